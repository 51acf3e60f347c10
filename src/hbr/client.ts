/**
 * HbrClient: typed wrappers around the four HBR OpenAPI actions hbr-bot uses, on top of
 * @alicloud/openapi-client's generic `callApi` (HBR's generated SDK is not on npm).
 *
 * What this layer adds to the library:
 *  - one openapi Client per region (cached), with the endpoint derived from the region (or an
 *    override URL for tests), explicit connect/read timeouts and the chosen signature algorithm;
 *  - retries with exponential backoff and jitter for transient failures only (p-retry); the
 *    library's own `autoretry` is left off;
 *  - every failure as an HbrError (see errors.ts), including 200 answers with `Success: false`;
 *  - chunking of install/uninstall requests into calls of <= 20 IDs, paging of DescribeBackupClients;
 *  - one log line per HTTP attempt (action, region, RequestId, code, latency, attempt). No secrets,
 *    no request parameters are logged.
 */
import CredentialsPackage, { Config as CredentialConfig } from '@alicloud/credentials';
import OpenApiPackage, * as $OpenApi from '@alicloud/openapi-client';
import * as $Util from '@alicloud/tea-util';
import pRetry from 'p-retry';
import type { Logger } from 'pino';

import { HbrError, toHbrError } from './errors.js';
import {
  HBR_API_VERSION,
  INSTANCE_ID_PATTERN,
  MAX_INSTANCES_PER_CALL,
  MAX_PAGE_SIZE,
  type BackupClientInfo,
  type InstallSubmission,
  type InstanceStatus,
  type RawDescribeBackupClientsResponse,
  type RawDescribeTaskResponse,
  type RawInstallResponse,
  type TaskInstanceResult,
  type TaskPhase,
  type TaskReport,
} from './types.js';

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
export function defaultCredential(): AlibabaCredential {
  return new Credential();
}

/** A credential from a fixed AccessKey pair (tests, or explicit configuration). */
export function accessKeyCredential(accessKeyId: string, accessKeySecret: string): AlibabaCredential {
  return new Credential(new CredentialConfig({ type: 'access_key', accessKeyId, accessKeySecret }));
}

// ---------------------------------------------------------------------------------------------
// Options and endpoint resolution
// ---------------------------------------------------------------------------------------------

export type HbrSignatureAlgorithm = 'ACS3-HMAC-SHA256' | 'v2';

export interface HbrRetryOptions {
  /** Retries after the first attempt (so attempts = retries + 1). */
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
}

export interface HbrClientOptions {
  defaultRegion: string;
  /**
   * Full URL overriding the regional endpoint for every region, e.g. 'http://127.0.0.1:9100';
   * otherwise https://hbr.<region>.aliyuncs.com.
   */
  endpoint?: string;
  /** Default: the default credential chain (`new Credential()`). */
  credential?: AlibabaCredential;
  /** Default 10000. Note: the library also uses it as the socket idle timeout. */
  connectTimeoutMs?: number;
  /** Default 10000: time allowed for the whole answer after the connection is up. */
  readTimeoutMs?: number;
  /** Default { retries: 4, minTimeoutMs: 500, maxTimeoutMs: 8000 }, exponential, randomized jitter. */
  retry?: HbrRetryOptions;
  /** One line per HTTP attempt: action, region, HBR RequestId, code, latency ms, attempt. */
  logger?: Logger;
  /** Called once per HTTP attempt (metrics): the action, HBR's code ('200' on success) and latency. */
  onAttempt?: (attempt: HbrAttempt) => void;
  /** Default 'ACS3-HMAC-SHA256'. */
  signatureAlgorithm?: HbrSignatureAlgorithm;
}

export interface HbrAttempt {
  action: string;
  code: string;
  latencyMs: number;
}

export const DEFAULT_RETRY: Readonly<HbrRetryOptions> = Object.freeze({ retries: 4, minTimeoutMs: 500, maxTimeoutMs: 8000 });
export const DEFAULT_TIMEOUT_MS = 10_000;

const REGION_PATTERN = /^[a-z]{2,}(?:-[a-z0-9]+)+$/;

export interface ResolvedEndpoint {
  /** host[:port], as the library's `endpoint` wants it. */
  host: string;
  protocol: 'HTTP' | 'HTTPS';
}

/** host and protocol for a region: the override URL when given, else https://hbr.<region>.aliyuncs.com. */
export function resolveEndpoint(region: string, override?: string): ResolvedEndpoint {
  if (override === undefined || override === '') {
    return { host: `hbr.${region}.aliyuncs.com`, protocol: 'HTTPS' };
  }
  let url: URL;
  try {
    url = new URL(override.includes('://') ? override : `https://${override}`);
  } catch {
    throw new TypeError(`HBR endpoint "${override}" is not a URL (expected e.g. https://hbr.cn-hangzhou.aliyuncs.com)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`HBR endpoint "${override}" must be http:// or https://`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.username !== '' || url.password !== '') {
    throw new TypeError(`HBR endpoint "${override}" must be scheme://host[:port] with no path, query or user info`);
  }
  return { host: url.host, protocol: url.protocol === 'http:' ? 'HTTP' : 'HTTPS' };
}

// ---------------------------------------------------------------------------------------------
// Small parsing helpers
// ---------------------------------------------------------------------------------------------

type Bag = Record<string, unknown>;

function isBag(value: unknown): value is Bag {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return '';
}

function num(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}

/** UNIX seconds (or, defensively, ms) -> ms epoch; null for missing / zero. */
function epochMs(value: unknown): number | null {
  const n = num(value);
  if (n === null || n <= 0) return null;
  return n < 1e12 ? n * 1000 : n;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Raw answer body of one action call. */
export type HbrAnswer = Bag;

export interface RawCallRequest {
  /** Query parameters (strings: arrays must be JSON-encoded by the caller). */
  query?: Record<string, string>;
  /** Form-body parameters (application/x-www-form-urlencoded). */
  body?: Record<string, string>;
}

export interface CallOptions {
  /** Overrides the client's retry count for this call. */
  retries?: number;
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

export class HbrClient {
  private readonly defaultRegion: string;
  private readonly endpointOverride: string | undefined;
  private readonly connectTimeoutMs: number;
  private readonly readTimeoutMs: number;
  private readonly retry: HbrRetryOptions;
  private readonly logger: Logger | undefined;
  private readonly onAttempt: ((attempt: HbrAttempt) => void) | undefined;
  private readonly signatureAlgorithm: HbrSignatureAlgorithm;
  private readonly usesDefaultChain: boolean;
  private credential: AlibabaCredential;
  private readonly clients = new Map<string, OpenApiClient>();

  constructor(options: HbrClientOptions) {
    this.defaultRegion = checkRegion(options.defaultRegion, 'construct the HBR client');
    this.endpointOverride = options.endpoint;
    resolveEndpoint(this.defaultRegion, this.endpointOverride); // fail fast on a bad override
    this.connectTimeoutMs = positive(options.connectTimeoutMs, DEFAULT_TIMEOUT_MS, 'connectTimeoutMs');
    this.readTimeoutMs = positive(options.readTimeoutMs, DEFAULT_TIMEOUT_MS, 'readTimeoutMs');
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.logger = options.logger;
    this.onAttempt = options.onAttempt;
    this.signatureAlgorithm = options.signatureAlgorithm ?? 'ACS3-HMAC-SHA256';
    this.usesDefaultChain = options.credential === undefined;
    this.credential = options.credential ?? defaultCredential();
  }

  /** Starts HBR client installs; one call (and at most one task) per 20 IDs, made one after another. */
  installBackupClients(instanceIds: string[], region?: string): Promise<InstallSubmission[]> {
    return this.submit('InstallBackupClients', instanceIds, region);
  }

  /** Starts HBR client uninstalls; same shape as installBackupClients. */
  uninstallBackupClients(instanceIds: string[], region?: string): Promise<InstallSubmission[]> {
    return this.submit('UninstallBackupClients', instanceIds, region);
  }

  /** One DescribeTask call (with retries for transient failures). */
  async describeTask(taskId: string, region?: string, options?: { retries?: number }): Promise<TaskReport> {
    if (typeof taskId !== 'string' || taskId.trim() === '') {
      throw new HbrError({ code: 'InvalidParameter', action: 'DescribeTask', message: 'DescribeTask needs a task ID', transient: false });
    }
    const body = (await this.callAction('DescribeTask', { query: { TaskId: taskId } }, region, options)) as RawDescribeTaskResponse & Bag;
    return parseTaskReport(taskId, body);
  }

  /**
   * The ECS backup clients of these instances (all ECS clients of the region when the list is
   * empty), following every page (PageSize 99). InstanceIds travels as a JSON string in the form body.
   */
  async describeBackupClients(instanceIds: string[], region?: string): Promise<BackupClientInfo[]> {
    const action = 'DescribeBackupClients';
    checkInstanceIds(instanceIds, action);
    const body = instanceIds.length > 0 ? { InstanceIds: JSON.stringify(instanceIds) } : undefined;
    const byClientId = new Map<string, BackupClientInfo>();
    const anonymous: BackupClientInfo[] = [];
    for (let page = 1; page <= 10_000; page += 1) {
      const request: RawCallRequest = {
        query: { ClientType: 'ECS_CLIENT', PageNumber: String(page), PageSize: String(MAX_PAGE_SIZE) },
        ...(body ? { body } : {}),
      };
      const answer = (await this.callAction(action, request, region)) as RawDescribeBackupClientsResponse & Bag;
      const rawClients: unknown[] = Array.isArray(answer.Clients) ? answer.Clients : [];
      for (const raw of rawClients) {
        if (!isBag(raw)) continue;
        const info = parseBackupClient(raw);
        if (info.clientId === '') anonymous.push(info);
        else byClientId.set(info.clientId, info);
      }
      const total = num(answer.TotalCount);
      const seen = byClientId.size + anonymous.length;
      if (rawClients.length === 0 || total === null || seen >= total) break;
    }
    return [...byClientId.values(), ...anonymous];
  }

  /**
   * Lower layer: one action with retries, HbrError classification and Success:false checking.
   * Returns the raw answer body. Used by the typed methods; handy for tests and new actions.
   */
  async callAction(action: string, request: RawCallRequest, region?: string, options?: CallOptions): Promise<HbrAnswer> {
    const regionId = region === undefined ? this.defaultRegion : checkRegion(region, action);
    const retries = options?.retries ?? this.retry.retries;
    return pRetry((attempt) => this.attempt(action, request, regionId, attempt), {
      retries,
      factor: 2,
      minTimeout: this.retry.minTimeoutMs,
      maxTimeout: this.retry.maxTimeoutMs,
      randomize: true,
      shouldRetry: ({ error }) => error instanceof HbrError && error.transient,
    });
  }

  private async attempt(action: string, request: RawCallRequest, region: string, attempt: number): Promise<HbrAnswer> {
    const started = performance.now();
    try {
      const client = this.clientFor(region);
      const params = new $OpenApi.Params({
        action,
        version: HBR_API_VERSION,
        protocol: resolveEndpoint(region, this.endpointOverride).protocol,
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
      const body: unknown = response['body'];
      const statusCode = num(response['statusCode']);
      if (!isBag(body)) {
        throw new HbrError({ code: 'BadGateway', action, httpStatus: statusCode, message: `${action} answered with a body that is not a JSON object` });
      }
      const requestId = str(body['RequestId']);
      if (body['Success'] === false) {
        const rawCode = str(body['Code']);
        const code = rawCode !== '' && rawCode !== '200' ? rawCode : 'OperationFailed';
        throw new HbrError({
          code,
          action,
          httpStatus: statusCode,
          requestId: requestId || null,
          message: `${action} answered Success:false with ${code}: ${str(body['Message'])}${requestId ? ` (RequestId ${requestId})` : ''}`,
        });
      }
      const latencyMs = Math.round(performance.now() - started);
      const code = str(body['Code']) || '200';
      this.onAttempt?.({ action, code, latencyMs });
      this.logger?.info({ action, region, requestId, code, latencyMs, attempt }, 'hbr call');
      return body;
    } catch (err) {
      const hbrError = toHbrError(action, err);
      this.onAttempt?.({ action, code: hbrError.code, latencyMs: Math.round(performance.now() - started) });
      this.logger?.warn(
        {
          action,
          region,
          requestId: hbrError.requestId,
          code: hbrError.code,
          httpStatus: hbrError.httpStatus,
          transient: hbrError.transient,
          latencyMs: Math.round(performance.now() - started),
          attempt,
        },
        'hbr call failed',
      );
      if (hbrError.code === 'InvalidCredentials' && this.usesDefaultChain) {
        // The default chain remembers the last provider it tried, even when every one failed: start
        // a fresh chain so that credentials that appear later (env, RAM role) are found.
        this.credential = defaultCredential();
        this.clients.clear();
      }
      throw hbrError;
    }
  }

  private clientFor(region: string): OpenApiClient {
    const cached = this.clients.get(region);
    if (cached) return cached;
    const endpoint = resolveEndpoint(region, this.endpointOverride);
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

  private async submit(action: 'InstallBackupClients' | 'UninstallBackupClients', instanceIds: string[], region?: string): Promise<InstallSubmission[]> {
    checkInstanceIds(instanceIds, action);
    const submissions: InstallSubmission[] = [];
    for (const ids of chunk(instanceIds, MAX_INSTANCES_PER_CALL)) {
      let answer: HbrAnswer;
      try {
        answer = await this.callAction(action, { query: { InstanceIds: JSON.stringify(ids) } }, region);
      } catch (err) {
        const hbrError = toHbrError(action, err);
        throw submissions.length > 0 ? hbrError.withSubmittedBeforeFailure(submissions) : hbrError;
      }
      submissions.push(parseSubmission(ids, answer as RawInstallResponse & Bag));
    }
    return submissions;
  }
}

// ---------------------------------------------------------------------------------------------
// Validation and answer parsing
// ---------------------------------------------------------------------------------------------

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number of milliseconds`);
  return value;
}

function checkRegion(region: string, action: string): string {
  if (typeof region !== 'string' || !REGION_PATTERN.test(region)) {
    throw new HbrError({
      code: 'InvalidRegion',
      action,
      message: `"${String(region).slice(0, 40)}" is not a region ID`,
      explanation: `"${String(region).slice(0, 40)}" is not an Alibaba Cloud region ID (e.g. cn-hangzhou) — correct the --region`,
    });
  }
  return region;
}

function checkInstanceIds(instanceIds: readonly string[], action: string): void {
  if (!Array.isArray(instanceIds)) {
    throw new HbrError({ code: 'InvalidInstanceId', action, message: `${action} needs an array of instance IDs` });
  }
  const bad = instanceIds.filter((id) => typeof id !== 'string' || !INSTANCE_ID_PATTERN.test(id));
  if (bad.length > 0) {
    const shown = bad.slice(0, 3).map((id) => `"${String(id).slice(0, 40)}"`).join(', ');
    throw new HbrError({
      code: 'InvalidInstanceId',
      action,
      message: `${action}: not instance IDs: ${shown}${bad.length > 3 ? ` and ${bad.length - 3} more` : ''}`,
      explanation: `${shown} ${bad.length === 1 ? 'is not an ECS instance ID' : 'are not ECS instance IDs'} (i- followed by 8 to 30 lowercase letters or digits) — correct and request again`,
    });
  }
}

function parseSubmission(sent: string[], answer: RawInstallResponse & Bag): InstallSubmission {
  const taskId = str(answer.TaskId) || null;
  const reported = new Map<string, Bag>();
  const rawStatuses: unknown[] = Array.isArray(answer.InstanceStatuses) ? answer.InstanceStatuses : [];
  for (const raw of rawStatuses) {
    if (isBag(raw)) {
      const id = str(raw['InstanceId']);
      if (id !== '' && !reported.has(id)) reported.set(id, raw);
    }
  }
  const statuses: InstanceStatus[] = sent.map((instanceId) => {
    const raw = reported.get(instanceId);
    if (!raw) {
      // Not mentioned: covered by the task when there is one (its result will tell), else unknown.
      return taskId !== null
        ? { instanceId, valid: true, errorCode: '' }
        : { instanceId, valid: false, errorCode: 'NotReportedByHbr' };
    }
    const valid = raw['ValidInstance'] === true || raw['ValidInstance'] === 'true';
    const errorCode = str(raw['ErrorCode']);
    return valid ? { instanceId, valid, errorCode: '' } : { instanceId, valid, errorCode: errorCode || 'InvalidInstance' };
  });
  return { instanceIds: [...sent], taskId, requestId: str(answer.RequestId), statuses };
}

function malformed(requestId: string, why: string): HbrError {
  return new HbrError({
    code: 'MalformedResult',
    action: 'DescribeTask',
    httpStatus: 200,
    requestId: requestId || null,
    transient: false,
    message: `DescribeTask answered with a Result the bot cannot read: ${why}${requestId ? ` (RequestId ${requestId})` : ''}`,
  });
}

function parseTaskResults(result: unknown, requestId: string): TaskInstanceResult[] {
  let items: unknown;
  if (result === undefined || result === null) return [];
  if (typeof result === 'string') {
    if (result.trim() === '') return [];
    try {
      items = JSON.parse(result);
    } catch {
      throw malformed(requestId, 'Result is not JSON');
    }
  } else {
    items = result;
  }
  if (!Array.isArray(items)) throw malformed(requestId, 'Result is not a JSON array');
  return items.map((item, index) => {
    if (!isBag(item)) throw malformed(requestId, `element ${index} is not an object`);
    const instanceId = str(item['instanceId'] ?? item['InstanceId']);
    if (instanceId === '') throw malformed(requestId, `element ${index} has no instanceId`);
    return {
      instanceId,
      clientId: str(item['clientId'] ?? item['ClientId']),
      clientStatus: str(item['clientStatus'] ?? item['ClientStatus']),
      errorCode: str(item['errorCode'] ?? item['ErrorCode']),
    };
  });
}

function taskPhase(description: string, progress: number): TaskPhase {
  if (progress < 0) return 'failed';
  switch (description.trim().toLowerCase()) {
    case 'completed':
      return 'completed';
    case 'expired':
      return 'expired';
    case 'cancelled':
    case 'canceled':
      return 'cancelled';
    case 'failed':
      return 'failed';
    default:
      // 'created', or a state this code does not know: keep polling (the poller has its own deadline).
      return 'running';
  }
}

function parseTaskReport(taskId: string, answer: RawDescribeTaskResponse & Bag): TaskReport {
  const requestId = str(answer.RequestId);
  const description = str(answer.Description);
  const rawProgress = num(answer.Progress);
  const progress = rawProgress ?? (description.toLowerCase() === 'completed' ? 100 : 0);
  const phase = taskPhase(description, progress);
  return {
    taskId,
    requestId,
    phase,
    progress: phase === 'failed' ? -1 : Math.max(0, Math.min(100, progress)),
    description,
    results: parseTaskResults(answer.Result, requestId),
    updatedAt: epochMs(answer.UpdatedTime),
  };
}

function parseBackupClient(raw: Bag): BackupClientInfo {
  return {
    clientId: str(raw['ClientId']),
    instanceId: str(raw['InstanceId']),
    instanceName: str(raw['InstanceName']),
    status: str(raw['Status']),
    clientVersion: str(raw['ClientVersion']),
    maxClientVersion: str(raw['MaxClientVersion']),
    lastHeartBeatTime: epochMs(raw['LastHeartBeatTime']),
  };
}

