/**
 * The plumbing every Alibaba Cloud RPC stand-in shares (HBR, ECS): a real HTTP server on
 * 127.0.0.1 (ephemeral port) that speaks the RPC style the SDK uses (`POST /`, parameters in the
 * query string and/or an application/x-www-form-urlencoded body) and
 *
 *  - authenticates exactly as shared/hbr-api.md describes, for both signature schemes
 *    (ACS3-HMAC-SHA256 via the Authorization header, and the v2 HMAC-SHA1 `Signature` parameter),
 *    plus the 15-minute timestamp window, signature-nonce replay, `x-acs-action`/`Action` and the
 *    product's API version;
 *  - serves injectable faults (throttling, 5xx, an HTML 502, slow answers, connection resets,
 *    missing RAM permission, ...), queued per action; a slow answer is one the service has already
 *    acted on, as with the real service, so a client that stops waiting cannot tell whether it was;
 *  - answers errors like Alibaba's gateway does: HTTP 4xx/5xx with a JSON body
 *    `{ RequestId, HostId, Code, Message, Recommend }`;
 *  - records every request in `calls` (including refused ones) with its decoded parameters.
 *
 * A product stand-in (hbr-api-server.ts, ecs-api-server.ts) supplies its version, its actions and
 * one handler that turns an authenticated call into an answer.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

import { type HeaderBag, type SignatureCheck, verifyAcs3, verifyV2 } from './alibaba-signature.js';
import { listen } from './listen.js';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/**
 * A fault served to the next call of an action (faults queue up per action).
 * Gateway-level faults happen before authentication and the service never acts on the call;
 * service-level ones after it:
 *  - reset              (gateway) the connection is destroyed without an answer
 *  - html-502           (gateway) HTTP 502 with an HTML page (content-type text/html)
 *  - unavailable-503    (gateway) HTTP 503 ServiceUnavailable (JSON)
 *  - slow               the call is carried out at once (an install starts its task) and its answer
 *                       held for delayMs (default 1000): a client that gives up first never sees it
 *  - throttling         HTTP 400 Throttling.User
 *  - internal-500       HTTP 500 InternalError
 *  - forbidden-ram      HTTP 403 Forbidden.RAM
 *  - cloud-assist-error HTTP 400 CloudAssistNotRunningOnInstance for the whole call
 *  - success-false      HTTP 200 with Success:false and Code `code` (default OperationDenied)
 *  - malformed-result   left to the product (HBR: DescribeTask answers with a Result that is not JSON)
 */
export interface RpcFault {
  kind:
    | 'throttling'
    | 'unavailable-503'
    | 'internal-500'
    | 'html-502'
    | 'slow'
    | 'reset'
    | 'forbidden-ram'
    | 'malformed-result'
    | 'cloud-assist-error'
    | 'success-false';
  /** For 'slow': how long to hold the answer, ms (default 1000). */
  delayMs?: number;
  /** For 'success-false': the Code of the answer (default 'OperationDenied'). */
  code?: string;
}

export type SignatureScheme = 'ACS3-HMAC-SHA256' | 'v2';

export interface RecordedRpcCall {
  /** x-acs-action header, else the Action parameter ('' when neither). */
  action: string;
  /** Query and form-body parameters merged (body wins), decoded. */
  params: Record<string, string>;
  /** Decoded query-string parameters only. */
  query: Record<string, string>;
  /** Decoded form-body parameters only. */
  form: Record<string, string>;
  /** The Host header. */
  host: string;
  /** ms epoch of arrival. */
  at: number;
  /** The scheme the request used; 'none' when it carried no signature at all. */
  signature: SignatureScheme | 'none';
  /** AccessKeyId the request claimed, if any. */
  accessKeyId: string | null;
  /**
   * true once the service carried the call out: answered 200 with Success:true, or for a slow fault
   * would have (it acts before holding the answer), even if the client gave up waiting.
   */
  ok: boolean;
  /**
   * '200', the error Code answered, 'ConnectionReset', 'ClientGone' (the client gave up before a slow
   * answer; `ok` still says whether the service carried the call out), or 'pending'.
   */
  code: string;
  /** HTTP status answered; null while pending or when the connection was reset. */
  httpStatus: number | null;
  /** RequestId of the answer ('' for resets). */
  requestId: string;
}

export interface ParsedRequest {
  method: string;
  path: string;
  host: string;
  headers: HeaderBag;
  rawBody: Buffer;
  query: Record<string, string>;
  form: Record<string, string>;
  params: Record<string, string>;
  action: string;
  scheme: SignatureScheme | 'none';
}

export interface Answer {
  status: number;
  body: object;
}

/** Thrown by handlers to answer with an Alibaba error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RpcServerOptions {
  /** 'HBR', 'ECS': in messages. */
  product: string;
  /** 'hbr', 'ecs': the RAM namespace named by a Forbidden.RAM answer, and the Recommend link's product. */
  ramNamespace: string;
  /** The one API version accepted. */
  version: string;
  /** The actions served; anything else is InvalidAction.NotFound. */
  actions: readonly string[];
  /** The one AccessKey the stand-in knows; any other AccessKeyId gets InvalidAccessKeyId.NotFound. */
  accessKeyId: string;
  accessKeySecret: string;
  /** The stand-in's clock runs this many ms ahead of the host's (for timestamp-window tests). Default 0. */
  clockOffsetMs?: number;
  /**
   * Answers an authenticated call of one of `actions`, or throws ApiError. `fault` is the
   * service-level fault queued for this call that the plumbing does not serve itself
   * ('malformed-result'), if any.
   */
  handle(request: ParsedRequest, requestId: string, fault: RpcFault | undefined): Answer;
}

export interface RpcServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Every request, including refused ones, in arrival order. */
  calls: RecordedRpcCall[];
  callsOf(action: string): RecordedRpcCall[];
  /** Served in order to the next calls of that action, then normal answers resume. */
  injectFaults(action: string, ...faults: RpcFault[]): void;
  /** Faults still queued for an action. */
  pendingFaults(action: string): number;
  /** Calls `listener` after every answered request and every changed(); returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** Tells the subscribers that something changed (a product's scripted state). */
  changed(): void;
  /** Stops the server, cutting slow answers short. Idempotent. */
  close(): Promise<void>;
}

const TIMESTAMP_WINDOW_MS = 15 * 60 * 1000;

const BAD_GATEWAY_PAGE =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
  '<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n';

export function randomId(prefix: string, length = 20): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = prefix;
  for (let i = 0; i < length; i += 1) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** Decodes `a=b&c=d` (form / query syntax: '+' is a space). Throws ApiError for bad escapes. */
function parseFormEncoded(text: string): Record<string, string> {
  const entries = new Map<string, string>();
  if (text === '') return {};
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    try {
      entries.set(decodeURIComponent(rawKey.replace(/\+/g, ' ')), decodeURIComponent(rawValue.replace(/\+/g, ' ')));
    } catch {
      throw new ApiError(400, 'InvalidParameter', `The parameter "${rawKey}" is not correctly percent-encoded.`);
    }
  }
  return Object.fromEntries(entries);
}

function firstHeader(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('the client went away before sending the whole request'));
    });
  });
}

function parseRequest(req: IncomingMessage, rawBody: Buffer): ParsedRequest {
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query = parseFormEncoded(q === -1 ? '' : rawUrl.slice(q + 1));
  const contentType = firstHeader(req.headers, 'content-type') ?? '';
  const form = contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')
    ? parseFormEncoded(rawBody.toString('utf8'))
    : {};
  const params = { ...query, ...form };
  const authorization = firstHeader(req.headers, 'authorization');
  const scheme: ParsedRequest['scheme'] =
    authorization !== undefined ? 'ACS3-HMAC-SHA256' : params.Signature !== undefined ? 'v2' : 'none';
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path,
    host: firstHeader(req.headers, 'host') ?? '',
    headers: req.headers,
    rawBody,
    query,
    form,
    params,
    action: firstHeader(req.headers, 'x-acs-action') ?? params.Action ?? '',
    scheme,
  };
}

/** A JSON array string of strings, e.g. '["i-a","i-b"]'; an ApiError otherwise. */
export function parseIdList(name: string, raw: string, max: number): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ApiError(
      400,
      'InvalidParameter',
      `The parameter ${name} must be a JSON array string such as ["i-xxx"], got ${JSON.stringify(raw.slice(0, 60))}.`,
    );
  }
  if (!Array.isArray(parsed) || parsed.some((id) => typeof id !== 'string' || id === '')) {
    throw new ApiError(400, 'InvalidParameter', `The parameter ${name} must be a JSON array of non-empty strings.`);
  }
  if (parsed.length === 0 || parsed.length > max) {
    throw new ApiError(
      400,
      'InvalidParameter',
      `The parameter ${name} must hold 1 to ${max} items, got ${parsed.length}.`,
    );
  }
  return parsed as string[];
}

/** Refuses `name.1=…` style parameters where the API wants one JSON array string. */
export function rejectFlattened(params: Record<string, string>, name: string): void {
  const flattened = Object.keys(params).find((key) => key.startsWith(`${name}.`));
  if (flattened !== undefined) {
    throw new ApiError(
      400,
      'InvalidParameter',
      `The parameter ${name} must be a JSON array string; "${flattened}" is not accepted.`,
    );
  }
}

export function intParam(
  params: Record<string, string>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = params[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ApiError(400, 'InvalidParameter', `The parameter ${name} must be an integer from ${min} to ${max}.`);
  }
  return Number(raw);
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

export async function startRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const faults = new Map<string, RpcFault[]>();
  const usedNonces = new Set<string>();
  const sleepers = new Set<() => void>();
  const listeners = new Set<() => void>();
  const calls: RecordedRpcCall[] = [];
  const clockOffsetMs = options.clockOffsetMs ?? 0;
  const { product, version } = options;

  const now = (): number => Date.now() + clockOffsetMs;
  const secretFor = (accessKeyId: string): string | undefined =>
    accessKeyId === options.accessKeyId ? options.accessKeySecret : undefined;

  /** A delay that close() cuts short. */
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });

  /** A listener's failure never changes what the stand-in answers. */
  function changed(): void {
    for (const listener of [...listeners]) {
      try {
        listener();
      } catch {
        // ignored on purpose
      }
    }
  }

  function takeFault(action: string): RpcFault | undefined {
    const queue = faults.get(action);
    return queue && queue.length > 0 ? queue.shift() : undefined;
  }

  /** Authentication, timestamp window, nonce replay, version and action. Throws ApiError. */
  function checkEnvelope(request: ParsedRequest): void {
    let check: SignatureCheck;
    if (request.scheme === 'ACS3-HMAC-SHA256') {
      check = verifyAcs3(
        {
          method: request.method,
          path: request.path,
          query: request.query,
          headers: request.headers,
          body: request.rawBody,
        },
        secretFor,
      );
    } else if (request.scheme === 'v2') {
      check = verifyV2(request.method, request.params, secretFor);
    } else {
      throw new ApiError(
        400,
        'MissingSignature',
        'The request carries neither an Authorization header nor a Signature parameter.',
      );
    }
    if (!check.ok) throw new ApiError(check.httpStatus, check.code, check.message);

    const stamp = request.scheme === 'v2' ? request.params.Timestamp : firstHeader(request.headers, 'x-acs-date');
    if (
      stamp === undefined ||
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(stamp) ||
      Number.isNaN(Date.parse(stamp))
    ) {
      throw new ApiError(
        400,
        'InvalidTimeStamp.Format',
        'Specified time stamp or date value is not well formatted (expected YYYY-MM-DDThh:mm:ssZ).',
      );
    }
    if (Math.abs(now() - Date.parse(stamp)) > TIMESTAMP_WINDOW_MS) {
      throw new ApiError(
        400,
        'InvalidTimeStamp.Expired',
        `Specified time stamp or date value is expired: ${stamp} is more than 15 minutes from the server time.`,
      );
    }

    const nonce =
      request.scheme === 'v2' ? request.params.SignatureNonce : firstHeader(request.headers, 'x-acs-signature-nonce');
    if (nonce !== undefined) {
      if (usedNonces.has(nonce))
        throw new ApiError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
      usedNonces.add(nonce);
    }

    const requested = firstHeader(request.headers, 'x-acs-version') ?? request.params.Version;
    if (requested !== version) {
      throw new ApiError(
        400,
        'InvalidVersion',
        `Specified parameter Version "${requested ?? ''}" is not valid (${product} is ${version}).`,
      );
    }
    const headerAction = firstHeader(request.headers, 'x-acs-action');
    const paramAction = request.params.Action;
    if (headerAction !== undefined && paramAction !== undefined && headerAction !== paramAction) {
      throw new ApiError(
        400,
        'InvalidParameter',
        `x-acs-action "${headerAction}" and Action "${paramAction}" disagree.`,
      );
    }
    if (request.path !== '/' || !options.actions.includes(request.action)) {
      throw new ApiError(
        404,
        'InvalidAction.NotFound',
        `Specified api "${request.action}" is not found at ${request.path}.`,
      );
    }
    if (request.method !== 'POST' && request.method !== 'GET') {
      throw new ApiError(400, 'InvalidParameter', `HTTP method ${request.method} is not supported.`);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const requestId = randomUUID().toUpperCase();
    const call: RecordedRpcCall = {
      action: firstHeader(req.headers, 'x-acs-action') ?? '',
      params: {},
      query: {},
      form: {},
      host: firstHeader(req.headers, 'host') ?? '',
      at: Date.now(),
      signature: 'none',
      accessKeyId: null,
      ok: false,
      code: 'pending',
      httpStatus: null,
      requestId: '',
    };
    calls.push(call);

    // Recorded once the service has decided, written once the client is to get it (later for a slow answer).
    const record = ({ status, body }: Answer): void => {
      queueMicrotask(changed);
      call.httpStatus = status;
      call.requestId = requestId;
      const isError = status >= 400;
      const success = (body as { Success?: unknown }).Success;
      call.ok = !isError && success !== false;
      call.code = isError || success === false ? String((body as { Code?: unknown }).Code ?? status) : '200';
    };
    const write = ({ status, body }: Answer): void => {
      if (res.destroyed) return;
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json;charset=utf-8',
        'content-length': Buffer.byteLength(text),
        'x-acs-request-id': requestId,
      });
      res.end(text);
    };
    const send = (answer: Answer): void => {
      record(answer);
      write(answer);
    };
    const errorAnswer = (status: number, code: string, message: string): Answer => ({
      status,
      body: {
        RequestId: requestId,
        HostId: call.host,
        Code: code,
        Message: message,
        Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(code)}&product=${options.ramNamespace}`,
      },
    });

    let request: ParsedRequest;
    try {
      request = parseRequest(req, rawBody);
    } catch (err) {
      if (err instanceof ApiError) return send(errorAnswer(err.status, err.code, err.message));
      throw err;
    }
    Object.assign(call, {
      action: request.action,
      params: request.params,
      query: request.query,
      form: request.form,
      signature: request.scheme,
      accessKeyId:
        request.scheme === 'v2'
          ? (request.params.AccessKeyId ?? null)
          : (/Credential=([^,\s]+)/.exec(firstHeader(req.headers, 'authorization') ?? '')?.[1] ?? null),
    });

    /** The service's answer to the call: authentication, a service-level fault, then the product's handler. */
    function serve(request: ParsedRequest, fault: RpcFault | undefined): Answer {
      try {
        checkEnvelope(request);

        // Service-level faults: after authentication.
        switch (fault?.kind) {
          case 'throttling':
            throw new ApiError(400, 'Throttling.User', 'Request was denied due to user flow control.');
          case 'internal-500':
            throw new ApiError(500, 'InternalError', 'The request processing has failed due to some unknown error.');
          case 'forbidden-ram':
            throw new ApiError(
              403,
              'Forbidden.RAM',
              `User not authorized to operate on the specified resource, or this API does not support RAM. (${options.ramNamespace}:${request.action})`,
            );
          case 'cloud-assist-error':
            throw new ApiError(
              400,
              'CloudAssistNotRunningOnInstance',
              'Cloud Assistant is not running on the instance.',
            );
          case 'success-false':
            return {
              status: 200,
              body: {
                Code: fault.code ?? 'OperationDenied',
                Message: 'The operation failed.',
                RequestId: requestId,
                Success: false,
              },
            };
          default:
            break;
        }
        return options.handle(request, requestId, fault);
      } catch (err) {
        if (err instanceof ApiError) return errorAnswer(err.status, err.code, err.message);
        return errorAnswer(500, 'InternalError', `${product} stand-in bug: ${(err as Error).message}`);
      }
    }

    // Gateway-level faults: before authentication.
    let fault = takeFault(request.action);
    if (fault?.kind === 'reset') {
      call.code = 'ConnectionReset';
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'html-502') {
      call.httpStatus = 502;
      call.code = 'BadGateway';
      call.requestId = requestId;
      res.writeHead(502, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(BAD_GATEWAY_PAGE) });
      res.end(BAD_GATEWAY_PAGE);
      return;
    }
    if (fault?.kind === 'unavailable-503') {
      return send(
        errorAnswer(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.'),
      );
    }
    let holdMs = 0;
    if (fault?.kind === 'slow') {
      holdMs = fault.delayMs ?? 1000;
      fault = undefined;
    }

    // The service acts now, whenever its answer leaves: a slow answer is late, not undone.
    const answer = serve(request, fault);
    record(answer);
    if (holdMs > 0) {
      await sleep(holdMs);
      if (res.destroyed || req.socket.destroyed) {
        call.code = 'ClientGone';
        return;
      }
    }
    write(answer);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Only reachable for a broken request stream; answer if still possible.
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json;charset=utf-8' });
        res.end(JSON.stringify({ Code: 'InternalError', Message: `${product} stand-in: ${(err as Error).message}` }));
      }
    });
  });

  const port = await listen(server);
  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    callsOf: (action) => calls.filter((c) => c.action === action),
    injectFaults: (action, ...added) => {
      faults.set(action, [...(faults.get(action) ?? []), ...added]);
    },
    pendingFaults: (action) => faults.get(action)?.length ?? 0,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    changed,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        listeners.clear();
        for (const wake of [...sleepers]) wake();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
