/**
 * A stand-in for the Alibaba Cloud HBR OpenAPI (version 2017-09-08), for tests and sandboxes.
 *
 * It is a real HTTP server on 127.0.0.1 (ephemeral port) that speaks the RPC style the SDK uses
 * (`POST /`, parameters in the query string and/or an application/x-www-form-urlencoded body) and
 * behaves like the parts of HBR that hbr-bot needs:
 *
 *  - authentication exactly as shared/hbr-api.md describes, for both signature schemes
 *    (ACS3-HMAC-SHA256 via the Authorization header, and the v2 HMAC-SHA1 `Signature` parameter),
 *    plus the 15-minute timestamp window, signature-nonce replay, `x-acs-action`/`Action` and the
 *    API version;
 *  - InstallBackupClients / UninstallBackupClients (InstanceIds: a JSON array string of 1..20 IDs),
 *    DescribeTask (progress climbing over `pollsToComplete` polls, then a JSON Result) and
 *    DescribeBackupClients (ClientType=ECS_CLIENT, InstanceIds in the form body, paging);
 *  - scripted instance states and injectable faults (throttling, 5xx, an HTML 502, slow answers,
 *    connection resets, missing RAM permission, malformed task results, ...).
 *
 * Errors are answered like Alibaba's gateway does: HTTP 4xx/5xx with a JSON body
 * `{ RequestId, HostId, Code, Message, Recommend }`.
 *
 * Every request is recorded in `calls` (including refused ones) with its decoded parameters, so a
 * test can assert what the client really sent.
 *
 * Usage:
 *   const hbr = await startHbrStandIn({ accessKeyId: 'AK', accessKeySecret: 'secret',
 *                                       instances: { 'i-abc...': 'stopped' } });
 *   const client = new HbrClient({ defaultRegion: 'cn-hangzhou', endpoint: hbr.url, credential });
 *   ...
 *   await hbr.close();
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  HBR_API_VERSION,
  MAX_INSTANCES_PER_CALL,
  MAX_PAGE_SIZE,
  type RawBackupClient,
  type RawDescribeBackupClientsResponse,
  type RawDescribeTaskResponse,
  type RawHbrErrorBody,
  type RawInstallResponse,
  type RawInstanceStatus,
  type RawTaskResultItem,
} from '../hbr/types.js';
import { verifyAcs3, verifyV2, type HeaderBag, type SignatureCheck } from './alibaba-signature.js';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/**
 * How a scripted ECS instance behaves:
 *  - running          valid; install -> ACTIVATED, uninstall -> NOT_INSTALLED
 *  - stopped          refused per instance with InstanceNotRunning
 *  - no-cloud-assist  refused per instance with CloudAssistNotRunningOnInstance
 *  - missing          refused per instance with InstanceNotExists
 *  - install-fails    valid; install task result INSTALL_FAILED (errorCode InstallClientFailed)
 *  - unknown-status   valid; install task result clientStatus WEIRD_NEW_STATUS
 *  - uninstall-fails  valid; install -> ACTIVATED, uninstall -> UNINSTALL_FAILED (UninstallClientFailed)
 *  - slow             valid like running, but a task holding it needs `slowExtraPolls` more polls to complete
 * Unscripted instance IDs behave as 'running'.
 */
export type ScriptedState =
  | 'running'
  | 'stopped'
  | 'no-cloud-assist'
  | 'missing'
  | 'install-fails'
  | 'unknown-status'
  | 'uninstall-fails'
  | 'slow';

export const SCRIPTED_STATES: readonly ScriptedState[] = [
  'running',
  'stopped',
  'no-cloud-assist',
  'missing',
  'install-fails',
  'unknown-status',
  'uninstall-fails',
  'slow',
];

/**
 * A fault served to the next call of an action (faults queue up per action).
 * Gateway-level faults happen before authentication, service-level ones after it:
 *  - reset              (gateway) the connection is destroyed without an answer
 *  - html-502           (gateway) HTTP 502 with an HTML page (content-type text/html)
 *  - unavailable-503    (gateway) HTTP 503 ServiceUnavailable (JSON)
 *  - slow               (gateway) the answer is delayed by delayMs (default 1000), then served normally
 *  - throttling         HTTP 400 Throttling.User
 *  - internal-500       HTTP 500 InternalError
 *  - forbidden-ram      HTTP 403 Forbidden.RAM
 *  - cloud-assist-error HTTP 400 CloudAssistNotRunningOnInstance for the whole call
 *  - success-false      HTTP 200 with Success:false and Code `code` (default OperationDenied)
 *  - malformed-result   DescribeTask answers with a Result that is not JSON (other actions: no effect)
 */
export interface HbrFault {
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

export interface HbrStandInOptions {
  /** The one AccessKey the stand-in knows; any other AccessKeyId gets InvalidAccessKeyId.NotFound. */
  accessKeyId: string;
  accessKeySecret: string;
  /** Scripted instances; unscripted instance IDs behave as 'running'. */
  instances?: Record<string, ScriptedState>;
  /**
   * DescribeTask calls before a task completes (default 1: the first poll sees it completed).
   * Progress climbs until then; Infinity = never completes (for timeout tests). Read at every poll,
   * so setPollsToComplete() affects tasks already running.
   */
  pollsToComplete?: number;
  /** A task holding a 'slow' instance needs this many polls more than pollsToComplete (default 4). */
  slowExtraPolls?: number;
  /** DescribeBackupClients serves at most this many clients per page, whatever PageSize asks (default 99). */
  maxPageSize?: number;
  /** The stand-in's clock runs this many ms ahead of the host's (for timestamp-window tests). Default 0. */
  clockOffsetMs?: number;
}

export type SignatureScheme = 'ACS3-HMAC-SHA256' | 'v2';

export interface RecordedHbrCall {
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
  /** true once answered with 200 and Success:true. */
  ok: boolean;
  /** '200', the error Code answered, 'ConnectionReset', 'ClientGone' (gave up during a slow fault), or 'pending'. */
  code: string;
  /** HTTP status answered; null while pending or when the connection was reset. */
  httpStatus: number | null;
  /** RequestId of the answer ('' for resets). */
  requestId: string;
}

export type TaskOutcome = 'failed' | 'expired' | 'cancelled';

/** A task as the stand-in sees it (read-only copy). */
export interface StandInTask {
  taskId: string;
  kind: 'install' | 'uninstall';
  instanceIds: string[];
  /** DescribeTask calls so far. */
  polls: number;
  progress: number;
  /** null while running. */
  outcome: 'completed' | TaskOutcome | null;
}

export interface StandInClient {
  clientId: string;
  instanceId: string;
  instanceName: string;
  status: string;
  clientVersion: string;
  maxClientVersion: string;
  /** UNIX seconds. */
  lastHeartBeatTime: number;
}

export interface HbrStandIn {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Every request, including refused ones, in arrival order. */
  calls: RecordedHbrCall[];
  callsOf(action: string): RecordedHbrCall[];
  setInstance(id: string, state: ScriptedState): void;
  /** The scripted instances and their states, in the order they were scripted. */
  instances(): Array<{ instanceId: string; state: ScriptedState }>;
  /** Every task created so far, oldest first. */
  tasks(): StandInTask[];
  /** Calls `listener` after every answered request and every scripted change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  setPollsToComplete(n: number): void;
  /** Served in order to the next calls of that action, then normal answers resume. */
  injectFaults(action: string, ...faults: HbrFault[]): void;
  /** Faults still queued for an action. */
  pendingFaults(action: string): number;
  /** IDs of every task created so far, oldest first. */
  taskIds(): string[];
  /** Ends a task the way HBR sometimes does: 'failed' = Progress -1 (Description stays 'completed'), or Description expired/cancelled. Result ''. */
  finishTask(taskId: string, outcome: TaskOutcome): void;
  /** Overrides the clientStatus (and errorCode) an instance reports in task results completed from now on. */
  scriptResult(instanceId: string, clientStatus: string, errorCode?: string): void;
  /** Registers a backup client as if an install had completed; returns its ClientId. */
  seedClient(instanceId: string, fields?: Partial<Omit<StandInClient, 'clientId' | 'instanceId'>>): string;
  /** The backup clients the stand-in knows, in registration order. */
  clients(): StandInClient[];
  /** Stops the server, cutting slow answers short. Idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Internal model
// ---------------------------------------------------------------------------------------------

type TaskKind = 'install' | 'uninstall';

interface Task {
  id: string;
  kind: TaskKind;
  instanceIds: string[];
  polls: number;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  /** null while running. */
  outcome: 'completed' | TaskOutcome | null;
  progress: number;
  results: RawTaskResultItem[] | null;
}

interface Answer {
  status: number;
  body: object;
}

interface ParsedRequest {
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

const INSTANCE_ERRORS: Partial<Record<ScriptedState, string>> = {
  stopped: 'InstanceNotRunning',
  'no-cloud-assist': 'CloudAssistNotRunningOnInstance',
  missing: 'InstanceNotExists',
};

const ACTIONS = ['InstallBackupClients', 'UninstallBackupClients', 'DescribeTask', 'DescribeBackupClients'] as const;
type StandInAction = (typeof ACTIONS)[number];

const TIMESTAMP_WINDOW_MS = 15 * 60 * 1000;

const BAD_GATEWAY_PAGE =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
  '<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n';

/** Thrown by handlers to answer with an Alibaba error. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function randomId(prefix: string, length = 20): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = prefix;
  for (let i = 0; i < length; i += 1) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** Decodes `a=b&c=d` (form / query syntax: '+' is a space). Throws ApiError for bad escapes. */
export function parseFormEncoded(text: string): Record<string, string> {
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
  const form = contentType.toLowerCase().startsWith('application/x-www-form-urlencoded') ? parseFormEncoded(rawBody.toString('utf8')) : {};
  const params = { ...query, ...form };
  const authorization = firstHeader(req.headers, 'authorization');
  const scheme: ParsedRequest['scheme'] = authorization !== undefined ? 'ACS3-HMAC-SHA256' : params['Signature'] !== undefined ? 'v2' : 'none';
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path,
    host: firstHeader(req.headers, 'host') ?? '',
    headers: req.headers,
    rawBody,
    query,
    form,
    params,
    action: firstHeader(req.headers, 'x-acs-action') ?? params['Action'] ?? '',
    scheme,
  };
}

/** A JSON array string of strings, e.g. '["i-a","i-b"]'; an ApiError otherwise. */
function parseIdList(name: string, raw: string, max: number): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ApiError(400, 'InvalidParameter', `The parameter ${name} must be a JSON array string such as ["i-xxx"], got ${JSON.stringify(raw.slice(0, 60))}.`);
  }
  if (!Array.isArray(parsed) || parsed.some((id) => typeof id !== 'string' || id === '')) {
    throw new ApiError(400, 'InvalidParameter', `The parameter ${name} must be a JSON array of non-empty strings.`);
  }
  if (parsed.length === 0 || parsed.length > max) {
    throw new ApiError(400, 'InvalidParameter', `The parameter ${name} must hold 1 to ${max} items, got ${parsed.length}.`);
  }
  return parsed as string[];
}

function rejectFlattened(params: Record<string, string>, name: string): void {
  const flattened = Object.keys(params).find((key) => key.startsWith(`${name}.`));
  if (flattened !== undefined) {
    throw new ApiError(400, 'InvalidParameter', `The parameter ${name} must be a JSON array string; "${flattened}" is not accepted.`);
  }
}

function intParam(params: Record<string, string>, name: string, fallback: number, min: number, max: number): number {
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

export async function startHbrStandIn(options: HbrStandInOptions): Promise<HbrStandIn> {
  const instanceStates = new Map<string, ScriptedState>(Object.entries(options.instances ?? {}));
  const resultOverrides = new Map<string, { clientStatus: string; errorCode: string }>();
  const faults = new Map<string, HbrFault[]>();
  const tasks = new Map<string, Task>();
  const clientsByInstance = new Map<string, StandInClient>();
  const usedNonces = new Set<string>();
  const sleepers = new Set<() => void>();
  const listeners = new Set<() => void>();
  const calls: RecordedHbrCall[] = [];
  let pollsToComplete = options.pollsToComplete ?? 1;
  const slowExtraPolls = options.slowExtraPolls ?? 4;
  const maxPageSize = options.maxPageSize ?? MAX_PAGE_SIZE;
  const clockOffsetMs = options.clockOffsetMs ?? 0;

  const now = (): number => Date.now() + clockOffsetMs;
  const nowSeconds = (): number => Math.floor(now() / 1000);
  const stateOf = (id: string): ScriptedState => instanceStates.get(id) ?? 'running';
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

  function takeFault(action: string): HbrFault | undefined {
    const queue = faults.get(action);
    return queue && queue.length > 0 ? queue.shift() : undefined;
  }

  // --- clients and tasks --------------------------------------------------------------------

  function registerClient(instanceId: string, fields: Partial<Omit<StandInClient, 'clientId' | 'instanceId'>> = {}): StandInClient {
    const existing = clientsByInstance.get(instanceId);
    const client: StandInClient = {
      clientId: existing?.clientId ?? randomId('c-'),
      instanceId,
      instanceName: fields.instanceName ?? existing?.instanceName ?? `ecs-${instanceId.slice(2, 10)}`,
      status: fields.status ?? 'ACTIVATED',
      clientVersion: fields.clientVersion ?? '2.13.2',
      maxClientVersion: fields.maxClientVersion ?? '2.14.0',
      lastHeartBeatTime: fields.lastHeartBeatTime ?? nowSeconds(),
    };
    clientsByInstance.set(instanceId, client);
    return client;
  }

  function installResult(instanceId: string): RawTaskResultItem {
    const override = resultOverrides.get(instanceId);
    const state = stateOf(instanceId);
    let clientStatus: string;
    let errorCode = '';
    if (override) {
      ({ clientStatus, errorCode } = override);
    } else if (state === 'install-fails') {
      clientStatus = 'INSTALL_FAILED';
      errorCode = 'InstallClientFailed';
    } else if (state === 'unknown-status') {
      clientStatus = 'WEIRD_NEW_STATUS';
    } else if (INSTANCE_ERRORS[state] !== undefined) {
      // The instance changed after the task started (stopped, agent gone, released).
      clientStatus = 'INSTALL_FAILED';
      errorCode = INSTANCE_ERRORS[state] as string;
    } else {
      clientStatus = 'ACTIVATED';
    }
    const clientId = clientStatus === 'ACTIVATED' ? registerClient(instanceId).clientId : (clientsByInstance.get(instanceId)?.clientId ?? randomId('c-'));
    return { instanceId, clientId, clientStatus, errorCode };
  }

  function uninstallResult(instanceId: string): RawTaskResultItem {
    const override = resultOverrides.get(instanceId);
    const clientId = clientsByInstance.get(instanceId)?.clientId ?? '';
    let clientStatus = 'NOT_INSTALLED';
    let errorCode = '';
    if (override) {
      ({ clientStatus, errorCode } = override);
    } else if (stateOf(instanceId) === 'uninstall-fails') {
      clientStatus = 'UNINSTALL_FAILED';
      errorCode = 'UninstallClientFailed';
    }
    if (clientStatus === 'NOT_INSTALLED') clientsByInstance.delete(instanceId);
    return { instanceId, clientId, clientStatus, errorCode };
  }

  function completeTask(task: Task): void {
    task.results = task.instanceIds.map((id) => (task.kind === 'install' ? installResult(id) : uninstallResult(id)));
    task.outcome = 'completed';
    task.progress = 100;
    task.updatedAt = task.completedAt = nowSeconds();
  }

  function pollTask(task: Task): void {
    task.polls += 1;
    if (task.outcome !== null) return;
    const needed = task.instanceIds.some((id) => stateOf(id) === 'slow') ? pollsToComplete + slowExtraPolls : pollsToComplete;
    if (task.polls >= needed) {
      completeTask(task);
      return;
    }
    task.progress = Number.isFinite(needed) ? Math.min(99, Math.floor((task.polls * 100) / needed)) : Math.min(99, task.polls * 5);
    task.updatedAt = nowSeconds();
  }

  // --- action handlers ----------------------------------------------------------------------

  function handleInstallLike(kind: TaskKind, params: Record<string, string>, requestId: string): Answer {
    rejectFlattened(params, 'InstanceIds');
    if (params['ClientIds'] !== undefined || Object.keys(params).some((k) => k.startsWith('ClientIds.'))) {
      throw new ApiError(400, 'InvalidParameter', 'ClientIds is not supported by the HBR stand-in: use InstanceIds.');
    }
    const raw = params['InstanceIds'];
    if (raw === undefined) throw new ApiError(400, 'MissingParameter', 'The parameter InstanceIds is mandatory for this action.');
    const ids = parseIdList('InstanceIds', raw, MAX_INSTANCES_PER_CALL);
    const statuses: RawInstanceStatus[] = ids.map((id) => {
      const errorCode = INSTANCE_ERRORS[stateOf(id)] ?? '';
      return { InstanceId: id, ValidInstance: errorCode === '', ErrorCode: errorCode };
    });
    const validIds = statuses.filter((s) => s.ValidInstance).map((s) => s.InstanceId as string);
    const body: RawInstallResponse = { Code: '200', Message: 'successful', RequestId: requestId, Success: true, InstanceStatuses: statuses };
    if (validIds.length > 0) {
      const task: Task = {
        id: randomId('t-'),
        kind,
        instanceIds: validIds,
        polls: 0,
        createdAt: nowSeconds(),
        updatedAt: nowSeconds(),
        completedAt: null,
        outcome: null,
        progress: 0,
        results: null,
      };
      tasks.set(task.id, task);
      body.TaskId = task.id;
    }
    return { status: 200, body };
  }

  function handleDescribeTask(params: Record<string, string>, requestId: string, malformedResult: boolean): Answer {
    const taskId = params['TaskId'];
    if (taskId === undefined || taskId === '') throw new ApiError(400, 'MissingParameter', 'The parameter TaskId is mandatory for this action.');
    const task = tasks.get(taskId);
    if (!task) throw new ApiError(404, 'InvalidTaskId.NotFound', `The specified task ${taskId} does not exist.`);
    pollTask(task);
    const description = task.outcome === null ? 'created' : task.outcome === 'failed' ? 'completed' : task.outcome;
    const body: RawDescribeTaskResponse = {
      Code: '200',
      Message: 'successful',
      RequestId: requestId,
      Success: true,
      Name: task.kind === 'install' ? 'InstallBackupClientsTask' : 'UninstallBackupClientsTask',
      Description: description,
      Progress: task.outcome === 'failed' ? -1 : task.progress,
      CreatedTime: task.createdAt,
      UpdatedTime: task.updatedAt,
      Result: task.outcome === 'completed' && task.results ? JSON.stringify(task.results) : '',
    };
    if (task.completedAt !== null) body.CompletedTime = task.completedAt;
    if (malformedResult) body.Result = `[{"instanceId":"${task.instanceIds[0] ?? 'i-'}","clientStatus":"ACTIV`;
    return { status: 200, body };
  }

  function handleDescribeBackupClients(request: ParsedRequest, requestId: string): Answer {
    const { params, query, form } = request;
    const clientType = params['ClientType'];
    if (clientType === undefined || clientType === '') throw new ApiError(400, 'MissingParameter', 'The parameter ClientType is mandatory for this action.');
    if (clientType !== 'ECS_CLIENT') throw new ApiError(400, 'InvalidParameter', `The stand-in only serves ClientType ECS_CLIENT, got ${clientType}.`);
    for (const name of ['InstanceIds', 'ClientIds']) {
      rejectFlattened(params, name);
      if (query[name] !== undefined) throw new ApiError(400, 'InvalidParameter', `The parameter ${name} must be sent in the form body.`);
    }
    const instanceFilter = form['InstanceIds'] !== undefined ? new Set(parseIdList('InstanceIds', form['InstanceIds'], 10_000)) : null;
    const clientFilter = form['ClientIds'] !== undefined ? new Set(parseIdList('ClientIds', form['ClientIds'], 10_000)) : null;
    const pageNumber = intParam(params, 'PageNumber', 1, 1, 1_000_000);
    const pageSize = Math.min(intParam(params, 'PageSize', 10, 1, MAX_PAGE_SIZE), maxPageSize);
    const matching = [...clientsByInstance.values()].filter(
      (c) => (instanceFilter === null || instanceFilter.has(c.instanceId)) && (clientFilter === null || clientFilter.has(c.clientId)),
    );
    const page = matching.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
    const clients: RawBackupClient[] = page.map((c) => ({
      ClientId: c.clientId,
      ClientType: 'ECS_CLIENT',
      InstanceId: c.instanceId,
      InstanceName: c.instanceName,
      Status: c.status,
      ClientVersion: c.clientVersion,
      MaxClientVersion: c.maxClientVersion,
      LastHeartBeatTime: c.lastHeartBeatTime,
    }));
    const body: RawDescribeBackupClientsResponse = {
      Code: '200',
      Message: 'successful',
      RequestId: requestId,
      Success: true,
      PageNumber: pageNumber,
      PageSize: pageSize,
      TotalCount: matching.length,
      Clients: clients,
    };
    return { status: 200, body };
  }

  // --- request pipeline ---------------------------------------------------------------------

  /** Authentication, timestamp window, nonce replay, version and action. Throws ApiError. */
  function checkEnvelope(request: ParsedRequest): void {
    let check: SignatureCheck;
    if (request.scheme === 'ACS3-HMAC-SHA256') {
      check = verifyAcs3({ method: request.method, path: request.path, query: request.query, headers: request.headers, body: request.rawBody }, secretFor);
    } else if (request.scheme === 'v2') {
      check = verifyV2(request.method, request.params, secretFor);
    } else {
      throw new ApiError(400, 'MissingSignature', 'The request carries neither an Authorization header nor a Signature parameter.');
    }
    if (!check.ok) throw new ApiError(check.httpStatus, check.code, check.message);

    const stamp = request.scheme === 'v2' ? request.params['Timestamp'] : firstHeader(request.headers, 'x-acs-date');
    if (stamp === undefined || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(stamp) || Number.isNaN(Date.parse(stamp))) {
      throw new ApiError(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted (expected YYYY-MM-DDThh:mm:ssZ).');
    }
    if (Math.abs(now() - Date.parse(stamp)) > TIMESTAMP_WINDOW_MS) {
      throw new ApiError(400, 'InvalidTimeStamp.Expired', `Specified time stamp or date value is expired: ${stamp} is more than 15 minutes from the server time.`);
    }

    const nonce = request.scheme === 'v2' ? request.params['SignatureNonce'] : firstHeader(request.headers, 'x-acs-signature-nonce');
    if (nonce !== undefined) {
      if (usedNonces.has(nonce)) throw new ApiError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
      usedNonces.add(nonce);
    }

    const version = firstHeader(request.headers, 'x-acs-version') ?? request.params['Version'];
    if (version !== HBR_API_VERSION) {
      throw new ApiError(400, 'InvalidVersion', `Specified parameter Version "${version ?? ''}" is not valid (HBR is ${HBR_API_VERSION}).`);
    }
    const headerAction = firstHeader(request.headers, 'x-acs-action');
    const paramAction = request.params['Action'];
    if (headerAction !== undefined && paramAction !== undefined && headerAction !== paramAction) {
      throw new ApiError(400, 'InvalidParameter', `x-acs-action "${headerAction}" and Action "${paramAction}" disagree.`);
    }
    if (request.path !== '/' || !(ACTIONS as readonly string[]).includes(request.action)) {
      throw new ApiError(404, 'InvalidAction.NotFound', `Specified api "${request.action}" is not found at ${request.path}.`);
    }
    if (request.method !== 'POST' && request.method !== 'GET') {
      throw new ApiError(400, 'InvalidParameter', `HTTP method ${request.method} is not supported.`);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const requestId = randomUUID().toUpperCase();
    const call: RecordedHbrCall = {
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

    const send = (status: number, body: object): void => {
      queueMicrotask(changed);
      call.httpStatus = status;
      call.requestId = requestId;
      const isError = status >= 400;
      const success = (body as { Success?: unknown }).Success;
      call.ok = !isError && success !== false;
      call.code = isError || success === false ? String((body as { Code?: unknown }).Code ?? status) : '200';
      if (res.destroyed) return;
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json;charset=utf-8',
        'content-length': Buffer.byteLength(text),
        'x-acs-request-id': requestId,
      });
      res.end(text);
    };
    const sendError = (status: number, code: string, message: string): void => {
      const body: RawHbrErrorBody = {
        RequestId: requestId,
        HostId: call.host,
        Code: code,
        Message: message,
        Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(code)}&product=hbr`,
      };
      send(status, body);
    };

    let request: ParsedRequest;
    try {
      request = parseRequest(req, rawBody);
    } catch (err) {
      if (err instanceof ApiError) return sendError(err.status, err.code, err.message);
      throw err;
    }
    Object.assign(call, {
      action: request.action,
      params: request.params,
      query: request.query,
      form: request.form,
      signature: request.scheme,
      accessKeyId: request.scheme === 'v2' ? (request.params['AccessKeyId'] ?? null) : (/Credential=([^,\s]+)/.exec(firstHeader(req.headers, 'authorization') ?? '')?.[1] ?? null),
    });

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
      return sendError(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.');
    }
    if (fault?.kind === 'slow') {
      await sleep(fault.delayMs ?? 1000);
      if (res.destroyed || req.socket.destroyed) {
        call.code = 'ClientGone';
        return;
      }
      fault = undefined;
    }

    try {
      checkEnvelope(request);

      // Service-level faults: after authentication.
      switch (fault?.kind) {
        case 'throttling':
          throw new ApiError(400, 'Throttling.User', 'Request was denied due to user flow control.');
        case 'internal-500':
          throw new ApiError(500, 'InternalError', 'The request processing has failed due to some unknown error.');
        case 'forbidden-ram':
          throw new ApiError(403, 'Forbidden.RAM', `User not authorized to operate on the specified resource, or this API does not support RAM. (hbr:${request.action})`);
        case 'cloud-assist-error':
          throw new ApiError(400, 'CloudAssistNotRunningOnInstance', 'Cloud Assistant is not running on the instance.');
        case 'success-false':
          return send(200, { Code: fault.code ?? 'OperationDenied', Message: 'The operation failed.', RequestId: requestId, Success: false });
        default:
          break;
      }

      const action = request.action as StandInAction;
      let answer: Answer;
      switch (action) {
        case 'InstallBackupClients':
          answer = handleInstallLike('install', request.params, requestId);
          break;
        case 'UninstallBackupClients':
          answer = handleInstallLike('uninstall', request.params, requestId);
          break;
        case 'DescribeTask':
          answer = handleDescribeTask(request.params, requestId, fault?.kind === 'malformed-result');
          break;
        case 'DescribeBackupClients':
          answer = handleDescribeBackupClients(request, requestId);
          break;
      }
      send(answer.status, answer.body);
    } catch (err) {
      if (err instanceof ApiError) return sendError(err.status, err.code, err.message);
      return sendError(500, 'InternalError', `HBR stand-in bug: ${(err as Error).message}`);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Only reachable for a broken request stream; answer if still possible.
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json;charset=utf-8' });
        res.end(JSON.stringify({ Code: 'InternalError', Message: `HBR stand-in: ${(err as Error).message}` }));
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    callsOf: (action) => calls.filter((c) => c.action === action),
    setInstance: (id, state) => {
      instanceStates.set(id, state);
      changed();
    },
    instances: () => [...instanceStates].map(([instanceId, state]) => ({ instanceId, state })),
    tasks: () =>
      [...tasks.values()].map((t) => ({
        taskId: t.id,
        kind: t.kind,
        instanceIds: [...t.instanceIds],
        polls: t.polls,
        progress: t.outcome === 'failed' ? -1 : t.progress,
        outcome: t.outcome,
      })),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    setPollsToComplete: (n) => {
      pollsToComplete = n;
    },
    injectFaults: (action, ...added) => {
      faults.set(action, [...(faults.get(action) ?? []), ...added]);
    },
    pendingFaults: (action) => faults.get(action)?.length ?? 0,
    taskIds: () => [...tasks.keys()],
    finishTask: (taskId, outcome) => {
      const task = tasks.get(taskId);
      if (!task) throw new Error(`HBR stand-in: no task ${taskId}`);
      task.outcome = outcome;
      task.results = null;
      task.updatedAt = task.completedAt = nowSeconds();
    },
    scriptResult: (instanceId, clientStatus, errorCode = '') => {
      resultOverrides.set(instanceId, { clientStatus, errorCode });
    },
    seedClient: (instanceId, fields) => registerClient(instanceId, fields).clientId,
    clients: () => [...clientsByInstance.values()].map((c) => ({ ...c })),
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

/** A well-formed, deterministic ECS instance ID for tests: `i-` + 20 characters derived from n. */
export function makeInstanceId(n: number): string {
  return `i-bp${n.toString(36).padStart(18, '0')}`;
}
