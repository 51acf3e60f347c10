/**
 * Error classification shared by every Alibaba Cloud RPC product the bot calls (HBR, ECS).
 *
 * Pure module: no I/O. Everything @alicloud/openapi-client (0.4.15) can throw ends up here:
 *  - an error answer (HTTP 4xx/5xx with a JSON body): an Error with `code` (the body's Code),
 *    `statusCode`, `message` ("code: 400, <Message> request id: <id>") and `data` (the body plus
 *    statusCode);
 *  - a non-JSON error body (an HTML 502 page from a gateway): a bare SyntaxError from JSON.parse;
 *  - the http layer (httpx): Node socket errors (`code` ECONNRESET, ECONNREFUSED, ...) and
 *    `RequestTimeoutError` (name) for both the read timeout and the socket idle ("connect") timeout;
 *  - the credentials chain: a plain Error "unable to get credentials from any of the providers ...",
 *    or the library's own `InvalidCredentials` error when no credential is configured.
 *
 * Each product has its own error class on top of AlibabaApiError (HbrError, EcsError). An error
 * carries codes and facts, no sentences: the words a Slack user reads for it are chosen in
 * slack/messages/failure-words.ts.
 *
 * No error carries the original library error: those hold the full request (headers with
 * signatures, security tokens). Only sanitised text is kept.
 */

/** The fields of a failure, before a product turns them into its error class. */
export interface AlibabaErrorFields {
  code: string;
  action: string;
  /** Technical detail (sanitised: no secrets, no query strings). */
  message: string;
  httpStatus?: number | null;
  requestId?: string | null;
  /** Defaults to isTransientCode(code, httpStatus). */
  transient?: boolean;
  /** Defaults to isOutcomeUnknownCode(code, httpStatus); see AlibabaApiError.outcomeUnknown. */
  outcomeUnknown?: boolean;
  /** Defaults to none; see AlibabaApiError.refused. */
  refused?: readonly string[];
}

export interface AlibabaApiErrorInit extends AlibabaErrorFields {
  /** 'HBR', 'ECS': who answered (or failed to). */
  product: string;
}

/** A failed call to an Alibaba Cloud API, classified. Products subclass it (HbrError, EcsError). */
export class AlibabaApiError extends Error {
  override readonly name: string = 'AlibabaApiError';
  readonly product: string;
  /** Alibaba code, or one of the local codes (NetworkError, Timeout, BadGateway, ...). */
  readonly code: string;
  readonly httpStatus: number | null;
  readonly requestId: string | null;
  /** e.g. 'InstallBackupClients'. */
  readonly action: string;
  readonly transient: boolean;
  /**
   * The call failed in a way that does not tell whether the service carried it out: the request may
   * have reached it although no usable answer came back (no answer in time, the connection cut
   * after it was up, a 500 or a gateway's error page). Re-sending such a call may run it twice.
   * False when the failure proves the call was not carried out (a refusal, an unreachable endpoint).
   */
  readonly outcomeUnknown: boolean;
  /**
   * The values refused before any call was made (InvalidRegion: the region; InvalidInstanceId: at
   * most three of the IDs), each cut to 40 characters; empty when the service itself answered.
   */
  readonly refused: readonly string[];

  constructor(init: AlibabaApiErrorInit) {
    super(init.message);
    this.product = init.product;
    this.code = init.code;
    this.action = init.action;
    this.httpStatus = init.httpStatus ?? null;
    this.requestId = init.requestId ?? null;
    this.transient = init.transient ?? isTransientCode(init.code, this.httpStatus);
    this.outcomeUnknown = init.outcomeUnknown ?? isOutcomeUnknownCode(init.code, this.httpStatus);
    this.refused = init.refused ?? [];
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
  'TooManyPages',
  'InvalidCredentials',
  'InvalidInstanceId',
  'InvalidRegion',
  'InvalidRegionId.NotFound',
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

/**
 * Whether a failure with this code / HTTP status leaves unknown whether the service carried the
 * call out. Only transient failures can: a permanent one is the service's refusal (or a local
 * problem before sending). Of those, throttling and 429/503 are refusals too; everything else
 * (500 InternalError and other 5xx, BadGateway, Timeout, NetworkError) may have come after the
 * service acted. classifyFailure tells an unreachable endpoint (nothing sent) from a cut connection.
 */
export function isOutcomeUnknownCode(code: string, httpStatus: number | null): boolean {
  if (!isTransientCode(code, httpStatus)) return false;
  if (/^(Throttling|ServiceUnavailable)(\.|$)/.test(code)) return false;
  return httpStatus !== 429 && httpStatus !== 503;
}

/** Socket errors raised before a connection exists: the request never left the bot. */
const UNREACHABLE_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
]);

/** Socket errors on a connection that was up: the request may have reached the service. */
const CUT_CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'UND_ERR_SOCKET',
]);

const TIMEOUT_ERROR_CODES: ReadonlySet<string> = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

type Bag = Record<string, unknown>;

function isObject(value: unknown): value is Bag {
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
 * Classifies whatever a call to @alicloud/openapi-client threw (or anything else): the fields of
 * the product error to throw.
 */
export function classifyFailure(action: string, err: unknown): AlibabaErrorFields {
  const bag: Bag = isObject(err) ? err : {};
  const name = typeof bag.name === 'string' ? bag.name : '';
  const rawMessage = typeof bag.message === 'string' ? bag.message : String(err);
  const sysCode = typeof bag.code === 'string' ? bag.code : '';

  // 1. The http layer: timeouts first (httpx names both of its timeouts RequestTimeoutError, so no
  //    timeout proves the request was not sent: the outcome is unknown, the code's default).
  if (TIMEOUT_ERROR_CODES.has(sysCode) || /timeout/i.test(name)) {
    return { code: 'Timeout', action, message: summarize(action, 'Timeout', null, rawMessage) };
  }
  const unreachable = UNREACHABLE_ERROR_CODES.has(sysCode);
  if (unreachable || CUT_CONNECTION_ERROR_CODES.has(sysCode) || /socket hang up/i.test(rawMessage)) {
    return {
      code: 'NetworkError',
      action,
      outcomeUnknown: !unreachable,
      message: summarize(action, 'NetworkError', null, `${sysCode !== '' ? `${sysCode} ` : ''}${rawMessage}`),
    };
  }

  // 2. A body that is not JSON (HTML error page from a gateway or load balancer).
  if (err instanceof SyntaxError) {
    return {
      code: 'BadGateway',
      action,
      message: summarize(action, 'BadGateway', null, `the answer was not JSON (${rawMessage})`),
    };
  }

  // 3. An error answer: the library puts the parsed body (plus statusCode) in `data`.
  const data = isObject(bag.data) ? bag.data : undefined;
  const httpStatus = numberField(bag, 'statusCode') ?? numberField(data, 'statusCode') ?? null;
  if (data !== undefined || httpStatus !== null) {
    const code =
      stringField(data, 'Code', 'code') ?? (sysCode !== '' && sysCode !== 'undefined' ? sysCode : 'HttpError');
    const requestId = stringField(data, 'RequestId', 'requestId') ?? null;
    const serverMessage = stringField(data, 'Message', 'message') ?? '';
    return {
      code,
      action,
      httpStatus,
      requestId,
      message: summarize(action, code, httpStatus, serverMessage + (requestId ? ` (RequestId ${requestId})` : '')),
    };
  }

  // 4. Credentials: the library's own InvalidCredentials, or the default chain finding nothing.
  if (sysCode === 'InvalidCredentials' || /unable to get credentials/i.test(rawMessage)) {
    return { code: 'InvalidCredentials', action, message: summarize(action, 'InvalidCredentials', null, rawMessage) };
  }

  // 5. Some other library error with a code (e.g. ParameterMissing): permanent.
  if (sysCode !== '') {
    return { code: sysCode, action, transient: false, message: summarize(action, sysCode, null, rawMessage) };
  }

  return { code: 'Unexpected', action, message: summarize(action, 'Unexpected', null, rawMessage) };
}
