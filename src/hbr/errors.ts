/**
 * Error classification for HBR calls, and the sentences an operator reads in Slack.
 *
 * Pure module: no I/O. Everything @alicloud/openapi-client (0.4.15) can throw ends up here:
 *  - an HBR error answer (HTTP 4xx/5xx with a JSON body): an Error with `code` (the body's Code),
 *    `statusCode`, `message` ("code: 400, <Message> request id: <id>") and `data` (the body plus
 *    statusCode);
 *  - a non-JSON error body (an HTML 502 page from a gateway): a bare SyntaxError from JSON.parse;
 *  - the http layer (httpx): Node socket errors (`code` ECONNRESET, ECONNREFUSED, ...) and
 *    `RequestTimeoutError` (name) for both the read timeout and the socket idle ("connect") timeout;
 *  - the credentials chain: a plain Error "unable to get credentials from any of the providers ...",
 *    or the library's own `InvalidCredentials` error when no credential is configured.
 *
 * HbrError never carries the original library error: those hold the full request (headers with
 * signatures, security tokens). Only sanitised text is kept.
 */
import type { InstallSubmission } from './types.js';
import { instanceErrorSentence } from '../domain/outcome.js';

/** Codes this module produces itself (in addition to the codes HBR answers with). */
export type LocalErrorCode =
  | 'NetworkError'
  | 'Timeout'
  | 'BadGateway'
  | 'MalformedResult'
  | 'HttpError'
  | 'InvalidCredentials'
  | 'InvalidInstanceId'
  | 'InvalidRegion'
  | 'Unexpected';

export interface HbrErrorInit {
  code: string;
  action: string;
  /** Technical detail (sanitised: no secrets, no query strings). */
  message: string;
  httpStatus?: number | null;
  requestId?: string | null;
  /** Defaults to isTransientCode(code, httpStatus). */
  transient?: boolean;
  /** Defaults to explainErrorCode(code, action, httpStatus). */
  explanation?: string;
  /** Install/uninstall calls that had already been accepted when this error stopped a multi-call run. */
  submittedBeforeFailure?: readonly InstallSubmission[];
}

export class HbrError extends Error {
  override readonly name = 'HbrError';
  /** Alibaba code, or one of LocalErrorCode. */
  readonly code: string;
  readonly httpStatus: number | null;
  readonly requestId: string | null;
  /** e.g. 'InstallBackupClients'. */
  readonly action: string;
  readonly transient: boolean;
  /** One sentence an operator can act on. Never contains secrets. */
  readonly explanation: string;
  /**
   * installBackupClients/uninstallBackupClients make one call per 20 IDs. When call N fails, the
   * calls before it were accepted by HBR and their tasks run: they are listed here so the caller can
   * still track them. Empty for every other failure.
   */
  readonly submittedBeforeFailure: readonly InstallSubmission[];

  constructor(init: HbrErrorInit) {
    super(init.message);
    this.code = init.code;
    this.action = init.action;
    this.httpStatus = init.httpStatus ?? null;
    this.requestId = init.requestId ?? null;
    this.transient = init.transient ?? isTransientCode(init.code, this.httpStatus);
    this.explanation = init.explanation ?? explainErrorCode(init.code, init.action, this.httpStatus);
    this.submittedBeforeFailure = init.submittedBeforeFailure ?? [];
  }

  /** A copy of this error that also lists the submissions accepted before it. */
  withSubmittedBeforeFailure(submitted: readonly InstallSubmission[]): HbrError {
    return new HbrError({
      code: this.code,
      action: this.action,
      message: this.message,
      httpStatus: this.httpStatus,
      requestId: this.requestId,
      transient: this.transient,
      explanation: this.explanation,
      submittedBeforeFailure: submitted,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------------

/** Codes that never succeed on a retry, whatever the HTTP status. */
const PERMANENT_CODES: ReadonlySet<string> = new Set([
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingSignature',
  'InvalidAccessKeyId.NotFound',
  'InvalidAccessKeyId.Inactive',
  'InvalidSecurityToken.Expired',
  'InvalidSecurityToken.Malformed',
  'Forbidden.RAM',
  'InvalidParameter',
  'MissingParameter',
  'InvalidTimeStamp.Expired',
  'InvalidTimeStamp.Format',
  'InvalidVersion',
  'InvalidAction.NotFound',
  'InvalidTaskId.NotFound',
  'CloudAssistNotRunningOnInstance',
  'InstanceNotExists',
  'InstanceNotRunning',
  'MalformedResult',
  'InvalidCredentials',
  'InvalidInstanceId',
  'InvalidRegion',
  'Unexpected',
]);

/** Codes that are worth another try after a backoff. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'Throttling',
  'Throttling.User',
  'Throttling.Api',
  'ServiceUnavailable',
  'InternalError',
  'NetworkError',
  'Timeout',
  'BadGateway',
]);

const TRANSIENT_PREFIXES = ['Throttling.', 'ServiceUnavailable.', 'InternalError.'];

/**
 * Whether a failure with this code / HTTP status is worth retrying.
 * Known permanent codes win over the status; otherwise known transient codes, any 5xx and 429
 * are transient; everything else (other 4xx, unknown codes without a status) is permanent.
 */
export function isTransientCode(code: string, httpStatus: number | null): boolean {
  if (PERMANENT_CODES.has(code)) return false;
  if (TRANSIENT_CODES.has(code)) return true;
  if (TRANSIENT_PREFIXES.some((prefix) => code.startsWith(prefix))) return true;
  if (httpStatus !== null && (httpStatus >= 500 || httpStatus === 429)) return true;
  return false;
}

const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
]);

const TIMEOUT_ERROR_CODES: ReadonlySet<string> = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

type Bag = Record<string, unknown>;

function isBag(value: unknown): value is Bag {
  return typeof value === 'object' && value !== null;
}

function stringField(bag: Bag | undefined, ...keys: string[]): string | undefined {
  if (!bag) return undefined;
  for (const key of keys) {
    const value = bag[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function numberField(bag: Bag | undefined, key: string): number | undefined {
  if (!bag) return undefined;
  const value = bag[key];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/**
 * Removes what must not reach logs or Slack from a technical message: query strings of URLs (the
 * http layer appends the full request URL, which for v2 signing carries AccessKeyId, Signature and
 * possibly SecurityToken), and anything after the length cap.
 */
export function sanitizeDetail(text: string): string {
  const withoutQueries = text.replace(/(https?:\/\/[^\s?]*)\?\S*/g, '$1');
  const squashed = withoutQueries.replace(/\s+/g, ' ').trim();
  return squashed.length > 300 ? `${squashed.slice(0, 297)}...` : squashed;
}

function summarize(action: string, code: string, httpStatus: number | null, detail: string): string {
  const status = httpStatus !== null ? ` (HTTP ${httpStatus})` : '';
  const tail = detail !== '' ? `: ${sanitizeDetail(detail)}` : '';
  return `${action} failed with ${code}${status}${tail}`;
}

/**
 * Classifies whatever a call to @alicloud/openapi-client threw (or anything else) as an HbrError.
 * An HbrError passes through unchanged.
 */
export function toHbrError(action: string, err: unknown): HbrError {
  if (err instanceof HbrError) return err;

  const bag: Bag = isBag(err) ? err : {};
  const name = typeof bag['name'] === 'string' ? bag['name'] : '';
  const rawMessage = typeof bag['message'] === 'string' ? bag['message'] : String(err);
  const sysCode = typeof bag['code'] === 'string' ? bag['code'] : '';

  // 1. The http layer: timeouts first (httpx names both of its timeouts RequestTimeoutError).
  if (TIMEOUT_ERROR_CODES.has(sysCode) || /timeout/i.test(name)) {
    return new HbrError({ code: 'Timeout', action, message: summarize(action, 'Timeout', null, rawMessage) });
  }
  if (NETWORK_ERROR_CODES.has(sysCode) || /socket hang up/i.test(rawMessage)) {
    return new HbrError({
      code: 'NetworkError',
      action,
      message: summarize(action, 'NetworkError', null, `${sysCode !== '' ? `${sysCode} ` : ''}${rawMessage}`),
    });
  }

  // 2. A body that is not JSON (HTML error page from a gateway or load balancer).
  if (err instanceof SyntaxError) {
    return new HbrError({
      code: 'BadGateway',
      action,
      message: summarize(action, 'BadGateway', null, `the answer was not JSON (${rawMessage})`),
    });
  }

  // 3. An HBR error answer: the library puts the parsed body (plus statusCode) in `data`.
  const data = isBag(bag['data']) ? bag['data'] : undefined;
  const httpStatus = numberField(bag, 'statusCode') ?? numberField(data, 'statusCode') ?? null;
  if (data !== undefined || httpStatus !== null) {
    const code = stringField(data, 'Code', 'code') ?? (sysCode !== '' && sysCode !== 'undefined' ? sysCode : 'HttpError');
    const requestId = stringField(data, 'RequestId', 'requestId') ?? null;
    const serverMessage = stringField(data, 'Message', 'message') ?? '';
    return new HbrError({
      code,
      action,
      httpStatus,
      requestId,
      message: summarize(action, code, httpStatus, serverMessage + (requestId ? ` (RequestId ${requestId})` : '')),
    });
  }

  // 4. Credentials: the library's own InvalidCredentials, or the default chain finding nothing.
  if (sysCode === 'InvalidCredentials' || /unable to get credentials/i.test(rawMessage)) {
    return new HbrError({
      code: 'InvalidCredentials',
      action,
      message: summarize(action, 'InvalidCredentials', null, rawMessage),
    });
  }

  // 5. Some other library error with a code (e.g. ParameterMissing): permanent.
  if (sysCode !== '') {
    return new HbrError({
      code: sysCode,
      action,
      transient: false,
      message: summarize(action, sysCode, null, rawMessage),
    });
  }

  return new HbrError({ code: 'Unexpected', action, message: summarize(action, 'Unexpected', null, rawMessage) });
}

// ---------------------------------------------------------------------------------------------
// Sentences
// ---------------------------------------------------------------------------------------------

/** One sentence for a whole-call failure with this code. */
export function explainErrorCode(code: string, action: string, httpStatus: number | null = null): string {
  switch (code) {
    case 'SignatureDoesNotMatch':
      return 'HBR rejected the request signature — the AccessKey secret does not belong to the AccessKey ID (check ALIBABA_CLOUD_ACCESS_KEY_SECRET) or a proxy altered the request';
    case 'IncompleteSignature':
    case 'MissingSignature':
      return 'HBR could not read the request signature — check that no proxy strips the Authorization header';
    case 'InvalidAccessKeyId.NotFound':
      return 'Alibaba Cloud does not know this AccessKey ID — check ALIBABA_CLOUD_ACCESS_KEY_ID (or the credentials the bot runs with)';
    case 'InvalidAccessKeyId.Inactive':
      return 'the AccessKey is disabled — enable it in the RAM console or configure an active one';
    case 'InvalidSecurityToken.Expired':
    case 'InvalidSecurityToken.Malformed':
      return 'the STS security token is expired or invalid — refresh the credentials the bot runs with';
    case 'Forbidden.RAM':
      return `the AccessKey's RAM user lacks permission hbr:${action} — grant it (see README: RAM permissions)`;
    case 'InvalidParameter':
    case 'MissingParameter':
      return `HBR refused the parameters of ${action} — this is a bot bug: report it with the RequestId`;
    case 'InvalidTimeStamp.Expired':
    case 'InvalidTimeStamp.Format':
      return "the bot host's clock is more than 15 minutes off — sync it (NTP) and request again";
    case 'InvalidVersion':
    case 'InvalidAction.NotFound':
      return `HBR does not offer ${action} at this endpoint — check the endpoint configuration and the region`;
    case 'InvalidTaskId.NotFound':
      return 'HBR knows no such task in this region — check the task ID and the --region';
    case 'CloudAssistNotRunningOnInstance':
    case 'InstanceNotRunning':
    case 'InstanceNotExists':
      // The same words as for one instance: the domain's wording table is the only one.
      return instanceErrorSentence(code);
    case 'Throttling':
    case 'Throttling.User':
    case 'Throttling.Api':
      return 'HBR is throttling this account — wait a minute and request again';
    case 'ServiceUnavailable':
    case 'InternalError':
      return 'HBR is temporarily unavailable — request again in a few minutes';
    case 'BadGateway':
      return 'a gateway in front of HBR answered with an error page instead of JSON — request again in a few minutes';
    case 'Timeout':
      return 'HBR did not answer in time — check network access to the HBR endpoint and request again';
    case 'NetworkError':
      return 'the bot could not reach the HBR endpoint (connection refused, reset or DNS failure) — check network access, proxy and --region, then request again';
    case 'MalformedResult':
      return 'HBR answered with a task result the bot cannot read — check the task in the HBR console and report it with the RequestId';
    case 'InvalidCredentials':
      return 'the bot found no Alibaba Cloud credentials — set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET or give the host a RAM role';
    case 'InvalidInstanceId':
      return 'an instance ID is not of the form i- followed by 8 to 30 lowercase letters or digits — correct it and request again';
    case 'InvalidRegion':
      return 'the region is not a valid Alibaba Cloud region ID (e.g. cn-hangzhou) — correct the --region';
    case 'HttpError':
      return httpStatus !== null && httpStatus >= 500
        ? `HBR answered HTTP ${httpStatus} without an error code — request again in a few minutes`
        : `HBR answered HTTP ${httpStatus ?? '?'} without an error code — check the endpoint configuration`;
    default:
      if (code.startsWith('Throttling')) return 'HBR is throttling this account — wait a minute and request again';
      if (httpStatus !== null && httpStatus >= 500) {
        return `HBR failed with ${code} (HTTP ${httpStatus}) — request again in a few minutes`;
      }
      return `HBR refused ${action} with ${code} — look the code up in the HBR error center and report it with the RequestId`;
  }
}
