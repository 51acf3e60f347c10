/**
 * AlibabaRpcClient: one RPC-style Alibaba Cloud OpenAPI product (HBR, ECS, ...) on top of
 * @alicloud/openapi-client's generic `callApi` (the generated per-product SDKs are not on npm).
 * The product is a parameter (name, API version, endpoint host prefix, error class); the typed
 * clients (src/hbr/client.ts, src/ecs/client.ts) wrap one of these and parse the answers.
 *
 * What this layer adds to the library:
 *  - one openapi Client per region (cached), with the endpoint derived from the region
 *    (`<prefix>.<region>.aliyuncs.com`, or an override URL for tests and private endpoints),
 *    explicit connect/read timeouts and the chosen signature algorithm;
 *  - the default credential chain, started afresh when it found nothing (credentials that appear
 *    later, e.g. a RAM role, are then found);
 *  - retries with exponential backoff and jitter for transient failures only (p-retry); the
 *    library's own `autoretry` is left off. A call marked not idempotent is not re-sent after a
 *    failure that leaves unknown whether the service carried it out (AlibabaApiError.outcomeUnknown);
 *  - every failure as the product's error class (see errors.ts), including 200 answers with
 *    `Success: false`;
 *  - one log line per HTTP attempt (action, region, RequestId, code, latency, attempt). No secrets,
 *    no request parameters are logged.
 */
import CredentialsPackage, { Config as CredentialConfig } from '@alicloud/credentials';
import OpenApiPackage, * as $OpenApi from '@alicloud/openapi-client';
import * as $Util from '@alicloud/tea-util';
import pRetry from 'p-retry';
import type { Logger } from 'pino';

import { redactUrl } from '../config.js';
import { INSTANCE_ID_PATTERN } from '../domain/instance-ids.js';
import { AlibabaApiError, type AlibabaErrorFields } from './errors.js';

// ---------------------------------------------------------------------------------------------
// CommonJS interop
// ---------------------------------------------------------------------------------------------
// Both Alibaba packages are CommonJS with `exports.default = Class` and `__esModule`. What a
// default import yields depends on the loader: Node's ESM loader (and so tsx and production) hands
// over the whole `module.exports` object, so the class is at `.default`; vitest's module runner
// honours `__esModule` and hands over the class itself. Named imports (Config, Params, ...) work in
// both. So: named imports for the models, and interopDefault() for the two client classes.

/** An instance of @alicloud/credentials' Credential class. */
export type AlibabaCredential = import('@alicloud/credentials').default;
type CredentialClass = typeof CredentialsPackage.default;
type OpenApiClient = import('@alicloud/openapi-client').default;
type OpenApiClientClass = typeof OpenApiPackage.default;

function interopDefault<T>(mod: unknown, name: string): T {
  if (typeof mod === 'function') return mod as T;
  if (typeof mod === 'object' && mod !== null && typeof (mod as { default?: unknown }).default === 'function') {
    return (mod as { default: T }).default;
  }
  throw new TypeError(`cannot find the ${name} class in its package`);
}

const Credential = interopDefault<CredentialClass>(CredentialsPackage, 'Credential');
const OpenApiClientCtor = interopDefault<OpenApiClientClass>(OpenApiPackage, 'openapi Client');

/** The default credential chain (env, OIDC/RRSA, CLI profile, credentials file, ECS RAM role, URI). */
function defaultCredential(): AlibabaCredential {
  return new Credential();
}

/** A credential from a fixed AccessKey pair (tests, or explicit configuration). */
export function accessKeyCredential(accessKeyId: string, accessKeySecret: string): AlibabaCredential {
  return new Credential(new CredentialConfig({ type: 'access_key', accessKeyId, accessKeySecret }));
}

// ---------------------------------------------------------------------------------------------
// Options and endpoint resolution
// ---------------------------------------------------------------------------------------------

export type SignatureAlgorithm = 'ACS3-HMAC-SHA256' | 'v2';

export interface RetryOptions {
  /** Retries after the first attempt (so attempts = retries + 1). */
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
}

export interface RpcAttempt {
  action: string;
  code: string;
  latencyMs: number;
}

/** What a product's client may be configured with; the same for every product. */
export interface RpcClientOptions {
  defaultRegion: string;
  /**
   * Full URL overriding the regional endpoint for every region, e.g. 'http://127.0.0.1:9100';
   * otherwise https://<prefix>.<region>.aliyuncs.com.
   */
  endpoint?: string;
  /** Default: the default credential chain (`new Credential()`). */
  credential?: AlibabaCredential;
  /** Default 10000. Note: the library also uses it as the socket idle timeout. */
  connectTimeoutMs?: number;
  /** Default 10000: time allowed for the whole answer after the connection is up. */
  readTimeoutMs?: number;
  /** Default { retries: 4, minTimeoutMs: 500, maxTimeoutMs: 8000 }, exponential, randomized jitter. */
  retry?: RetryOptions;
  /** One line per HTTP attempt: action, region, RequestId, code, latency ms, attempt. */
  logger?: Logger;
  /** Called once per HTTP attempt (metrics): the action, the answer's code ('200' on success) and latency. */
  onAttempt?: (attempt: RpcAttempt) => void;
  /** Default 'ACS3-HMAC-SHA256'. */
  signatureAlgorithm?: SignatureAlgorithm;
}

/** What differs between products: how they are named, versioned, reached, and how they fail. */
export interface RpcProduct<E extends AlibabaApiError> {
  /** 'HBR', 'ECS': in error messages. */
  name: string;
  /** 'hbr', 'ecs': the regional endpoint's first label, and the log message ('hbr call'). */
  endpointPrefix: string;
  /** The OpenAPI version every call is made with, e.g. '2017-09-08'. */
  version: string;
  /** Builds the product's error from classified fields. */
  error(fields: AlibabaErrorFields): E;
  /** Classifies anything a call threw; the product's own errors pass through. */
  toError(action: string, err: unknown): E;
}

const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({ retries: 4, minTimeoutMs: 500, maxTimeoutMs: 8000 });
const DEFAULT_TIMEOUT_MS = 10_000;

const REGION_PATTERN = /^[a-z]{2,}(?:-[a-z0-9]+)+$/;

export interface ResolvedEndpoint {
  /** host[:port], as the library's `endpoint` wants it. */
  host: string;
  protocol: 'HTTP' | 'HTTPS';
}

/**
 * host and protocol of a product in a region: the override URL when given, else
 * https://<prefix>.<region>.aliyuncs.com. `product` names it in errors ('HBR').
 */
export function resolveProductEndpoint(
  prefix: string,
  product: string,
  region: string,
  override?: string,
): ResolvedEndpoint {
  if (override === undefined || override === '') {
    return { host: `${prefix}.${region}.aliyuncs.com`, protocol: 'HTTPS' };
  }
  // The override is quoted without its user info: errors reach logs and Slack.
  const shown = redactUrl(override.includes('://') ? override : `https://${override}`);
  let url: URL;
  try {
    url = new URL(override.includes('://') ? override : `https://${override}`);
  } catch {
    throw new TypeError(`${product} endpoint is not a URL (expected e.g. https://${prefix}.cn-hangzhou.aliyuncs.com)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`${product} endpoint "${shown}" must be http:// or https://`);
  }
  if (
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw new TypeError(`${product} endpoint "${shown}" must be scheme://host[:port] with no path, query or user info`);
  }
  return { host: url.host, protocol: url.protocol === 'http:' ? 'HTTP' : 'HTTPS' };
}

// ---------------------------------------------------------------------------------------------
// Small parsing helpers for answer bodies (shared by the typed clients)
// ---------------------------------------------------------------------------------------------

export type Bag = Record<string, unknown>;

export function isBag(value: unknown): value is Bag {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return '';
}

export function num(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}

/** Raw answer body of one action call. */
export type RpcAnswer = Bag;

export interface RawCallRequest {
  /** Query parameters (strings: arrays must be JSON-encoded by the caller). */
  query?: Record<string, string>;
  /** Form-body parameters (application/x-www-form-urlencoded). */
  body?: Record<string, string>;
}

export interface CallOptions {
  /** Overrides the client's retry count for this call. */
  retries?: number;
  /**
   * Default true. false for an action that must not run twice (it starts work and has no
   * idempotency token): it is retried only after failures that prove it was not carried out
   * (throttling, 503, an unreachable endpoint), never after one whose outcome is unknown.
   */
  idempotent?: boolean;
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

export class AlibabaRpcClient<E extends AlibabaApiError> {
  readonly defaultRegion: string;
  private readonly endpointOverride: string | undefined;
  private readonly connectTimeoutMs: number;
  private readonly readTimeoutMs: number;
  private readonly retry: RetryOptions;
  private readonly logger: Logger | undefined;
  private readonly onAttempt: ((attempt: RpcAttempt) => void) | undefined;
  private readonly signatureAlgorithm: SignatureAlgorithm;
  private readonly usesDefaultChain: boolean;
  private credential: AlibabaCredential;
  private readonly clients = new Map<string, OpenApiClient>();

  constructor(
    private readonly product: RpcProduct<E>,
    options: RpcClientOptions,
  ) {
    this.defaultRegion = this.checkRegion(options.defaultRegion, `construct the ${product.name} client`);
    this.endpointOverride = options.endpoint;
    this.endpoint(this.defaultRegion); // fail fast on a bad override
    this.connectTimeoutMs = positive(options.connectTimeoutMs, DEFAULT_TIMEOUT_MS, 'connectTimeoutMs');
    this.readTimeoutMs = positive(options.readTimeoutMs, DEFAULT_TIMEOUT_MS, 'readTimeoutMs');
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.logger = options.logger;
    this.onAttempt = options.onAttempt;
    this.signatureAlgorithm = options.signatureAlgorithm ?? 'ACS3-HMAC-SHA256';
    this.usesDefaultChain = options.credential === undefined;
    this.credential = options.credential ?? defaultCredential();
  }

  /** Where calls for `region` go. */
  endpoint(region: string): ResolvedEndpoint {
    return resolveProductEndpoint(this.product.endpointPrefix, this.product.name, region, this.endpointOverride);
  }

  /** The region itself when it looks like a region ID, else the product's InvalidRegion error. */
  checkRegion(region: string, action: string): string {
    if (typeof region !== 'string' || !REGION_PATTERN.test(region)) {
      const shown = String(region).slice(0, 40);
      throw this.product.error({
        code: 'InvalidRegion',
        action,
        message: `"${shown}" is not a region ID`,
        refused: [shown],
      });
    }
    return region;
  }

  /** Refuses anything that is not an array of ECS instance IDs, before any call is made. */
  checkInstanceIds(instanceIds: readonly string[], action: string): void {
    if (!Array.isArray(instanceIds)) {
      throw this.product.error({
        code: 'InvalidInstanceId',
        action,
        message: `${action} needs an array of instance IDs`,
      });
    }
    const bad = instanceIds.filter((id) => typeof id !== 'string' || !INSTANCE_ID_PATTERN.test(id));
    if (bad.length > 0) {
      const refused = bad.slice(0, 3).map((id) => String(id).slice(0, 40));
      throw this.product.error({
        code: 'InvalidInstanceId',
        action,
        message: `${action}: not instance IDs: ${refused.map((id) => `"${id}"`).join(', ')}${bad.length > 3 ? ` and ${bad.length - 3} more` : ''}`,
        refused,
      });
    }
  }

  /**
   * One action with retries, error classification and Success:false checking. Returns the raw
   * answer body.
   */
  async callAction(
    action: string,
    request: RawCallRequest,
    region?: string,
    options?: CallOptions,
  ): Promise<RpcAnswer> {
    const regionId = region === undefined ? this.defaultRegion : this.checkRegion(region, action);
    const retries = options?.retries ?? this.retry.retries;
    const idempotent = options?.idempotent ?? true;
    return pRetry((attempt) => this.attempt(action, request, regionId, attempt), {
      retries,
      factor: 2,
      minTimeout: this.retry.minTimeoutMs,
      maxTimeout: this.retry.maxTimeoutMs,
      randomize: true,
      shouldRetry: ({ error }) =>
        error instanceof AlibabaApiError && error.transient && (idempotent || !error.outcomeUnknown),
    });
  }

  private async attempt(action: string, request: RawCallRequest, region: string, attempt: number): Promise<RpcAnswer> {
    const started = performance.now();
    const logName = `${this.product.endpointPrefix} call`;
    try {
      const client = this.clientFor(region);
      const params = new $OpenApi.Params({
        action,
        version: this.product.version,
        protocol: this.endpoint(region).protocol,
        pathname: '/',
        method: 'POST',
        authType: 'AK',
        style: 'RPC',
        reqBodyType: 'formData',
        bodyType: 'json',
      });
      const openApiRequest = new $OpenApi.OpenApiRequest({
        query: { ...request.query },
        ...(request.body ? { body: { ...request.body } } : {}),
      });
      const runtime = new $Util.RuntimeOptions({
        autoretry: false,
        connectTimeout: this.connectTimeoutMs,
        readTimeout: this.readTimeoutMs,
      });
      const response = await client.callApi(params, openApiRequest, runtime);
      const body: unknown = response.body;
      const statusCode = num(response.statusCode);
      if (!isBag(body)) {
        throw this.product.error({
          code: 'BadGateway',
          action,
          httpStatus: statusCode,
          message: `${action} answered with a body that is not a JSON object`,
        });
      }
      const requestId = str(body.RequestId);
      if (body.Success === false) {
        const rawCode = str(body.Code);
        const code = rawCode !== '' && rawCode !== '200' ? rawCode : 'OperationFailed';
        throw this.product.error({
          code,
          action,
          httpStatus: statusCode,
          requestId: requestId || null,
          message: `${action} answered Success:false with ${code}: ${str(body.Message)}${requestId ? ` (RequestId ${requestId})` : ''}`,
        });
      }
      const latencyMs = Math.round(performance.now() - started);
      const code = str(body.Code) || '200';
      this.onAttempt?.({ action, code, latencyMs });
      this.logger?.info({ action, region, requestId, code, latencyMs, attempt }, logName);
      return body;
    } catch (err) {
      const failure = this.product.toError(action, err);
      const latencyMs = Math.round(performance.now() - started);
      this.onAttempt?.({ action, code: failure.code, latencyMs });
      this.logger?.warn(
        {
          action,
          region,
          requestId: failure.requestId,
          code: failure.code,
          httpStatus: failure.httpStatus,
          transient: failure.transient,
          outcomeUnknown: failure.outcomeUnknown,
          latencyMs,
          attempt,
        },
        `${logName} failed`,
      );
      if (failure.code === 'InvalidCredentials' && this.usesDefaultChain) {
        // The default chain remembers the last provider it tried, even when every one failed: start
        // a fresh chain so that credentials that appear later (env, RAM role) are found.
        this.credential = defaultCredential();
        this.clients.clear();
      }
      throw failure;
    }
  }

  private clientFor(region: string): OpenApiClient {
    const cached = this.clients.get(region);
    if (cached) return cached;
    const endpoint = this.endpoint(region);
    const client = new OpenApiClientCtor(
      new $OpenApi.Config({
        credential: this.credential,
        regionId: region,
        endpoint: endpoint.host,
        protocol: endpoint.protocol,
        connectTimeout: this.connectTimeoutMs,
        readTimeout: this.readTimeoutMs,
        signatureAlgorithm: this.signatureAlgorithm,
        userAgent: 'hbr-bot',
      }),
    );
    this.clients.set(region, client);
    return client;
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number of milliseconds`);
  return value;
}
