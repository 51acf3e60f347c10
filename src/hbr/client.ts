/**
 * HbrClient: typed wrappers around the four HBR OpenAPI actions hbr-bot uses, on top of the
 * shared Alibaba RPC client (src/alibaba/rpc-client.ts: @alicloud/openapi-client's generic
 * `callApi`, since HBR's generated SDK is not on npm).
 *
 * The shared client gives: one openapi Client per region (endpoint derived from the region or an
 * override URL for tests), explicit connect/read timeouts, the default credential chain, retries
 * with exponential backoff and jitter for transient failures only (install and uninstall calls not
 * after a failure whose outcome is unknown: they must never run twice), every failure as an HbrError
 * (see errors.ts, including 200 answers with `Success: false`), one log line per HTTP attempt.
 * This layer adds:
 *  - chunking of install/uninstall requests into calls of <= 20 IDs, paging of DescribeBackupClients;
 *  - parsing of the answers into the bot-facing shapes of types.ts.
 */
import {
  AlibabaRpcClient,
  type Bag,
  type CallOptions,
  isBag,
  num,
  type RawCallRequest,
  type ResolvedEndpoint,
  type RpcAnswer,
  type RpcClientOptions,
  type RpcProduct,
  resolveProductEndpoint,
  str,
} from '../alibaba/rpc-client.js';
import { chunk } from '../domain/instance-ids.js';
import { HbrError, toHbrError } from './errors.js';
import {
  type BackupClientInfo,
  HBR_API_VERSION,
  type InstallSubmission,
  type InstanceStatus,
  MAX_INSTANCES_PER_CALL,
  MAX_PAGE_SIZE,
  type RawDescribeBackupClientsResponse,
  type RawDescribeTaskResponse,
  type RawInstallResponse,
  type TaskInstanceResult,
  type TaskPhase,
  type TaskReport,
} from './types.js';

export { accessKeyCredential } from '../alibaba/rpc-client.js';

/** Raw answer body of one action call. */
export type HbrAnswer = RpcAnswer;

/** The shared client's options; `endpoint` overrides https://hbr.<region>.aliyuncs.com. */
export type HbrClientOptions = RpcClientOptions;

const HBR_PRODUCT: RpcProduct<HbrError> = {
  name: 'HBR',
  endpointPrefix: 'hbr',
  version: HBR_API_VERSION,
  error: (fields) => new HbrError(fields),
  toError: toHbrError,
};

/** host and protocol for a region: the override URL when given, else https://hbr.<region>.aliyuncs.com. */
export function resolveEndpoint(region: string, override?: string): ResolvedEndpoint {
  return resolveProductEndpoint(HBR_PRODUCT.endpointPrefix, HBR_PRODUCT.name, region, override);
}

/**
 * Pages of DescribeBackupClients the client follows at most: 990 clients at 99 a page, several times
 * what HBR_MAX_INSTANCES asks for, so only an answer that never ends reaches it.
 */
const MAX_DESCRIBE_BACKUP_CLIENTS_PAGES = 10;

/** The DescribeBackupClients pages a look-up of this many instances takes (one client per ECS instance). */
export function describeBackupClientsCalls(instances: number): number {
  return Math.max(1, Math.ceil(instances / MAX_PAGE_SIZE));
}

/** UNIX seconds (or, defensively, ms) -> ms epoch; null for missing / zero. */
function epochMs(value: unknown): number | null {
  const n = num(value);
  if (n === null || n <= 0) return null;
  return n < 1e12 ? n * 1000 : n;
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

export class HbrClient {
  private readonly rpc: AlibabaRpcClient<HbrError>;

  constructor(options: HbrClientOptions) {
    this.rpc = new AlibabaRpcClient(HBR_PRODUCT, options);
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
      throw new HbrError({
        code: 'InvalidParameter',
        action: 'DescribeTask',
        message: 'DescribeTask needs a task ID',
        transient: false,
      });
    }
    const body = (await this.callAction(
      'DescribeTask',
      { query: { TaskId: taskId } },
      region,
      options,
    )) as RawDescribeTaskResponse & Bag;
    return parseTaskReport(taskId, body);
  }

  /**
   * The ECS backup clients of these instances (all ECS clients of the region when the list is
   * empty), following every page (PageSize 99). InstanceIds travels as a JSON string in the form body.
   * Paging stops at the first page that adds no client not seen before (an answer that does not
   * advance), and fails with TooManyPages past MAX_DESCRIBE_BACKUP_CLIENTS_PAGES.
   */
  async describeBackupClients(instanceIds: string[], region?: string): Promise<BackupClientInfo[]> {
    const action = 'DescribeBackupClients';
    this.rpc.checkInstanceIds(instanceIds, action);
    const body = instanceIds.length > 0 ? { InstanceIds: JSON.stringify(instanceIds) } : undefined;
    // By ClientId; a client HBR names no ClientId for, by all its fields.
    const seen = new Map<string, BackupClientInfo>();
    for (let page = 1; ; page += 1) {
      if (page > MAX_DESCRIBE_BACKUP_CLIENTS_PAGES) {
        throw new HbrError({
          code: 'TooManyPages',
          action,
          transient: false,
          message: `${action} still had clients to list after ${MAX_DESCRIBE_BACKUP_CLIENTS_PAGES} pages; the bot follows no more`,
        });
      }
      const request: RawCallRequest = {
        query: { ClientType: 'ECS_CLIENT', PageNumber: String(page), PageSize: String(MAX_PAGE_SIZE) },
        ...(body ? { body } : {}),
      };
      const answer = (await this.callAction(action, request, region)) as RawDescribeBackupClientsResponse & Bag;
      const rawClients: unknown[] = Array.isArray(answer.Clients) ? answer.Clients : [];
      const before = seen.size;
      for (const raw of rawClients) {
        if (!isBag(raw)) continue;
        const info = parseBackupClient(raw);
        seen.set(info.clientId === '' ? JSON.stringify(info) : info.clientId, info);
      }
      const total = num(answer.TotalCount);
      if (seen.size === before || total === null || seen.size >= total) break;
    }
    return [...seen.values()];
  }

  /**
   * Lower layer: one action with retries, HbrError classification and Success:false checking.
   * Returns the raw answer body. Used by the typed methods; handy for tests and new actions.
   */
  callAction(action: string, request: RawCallRequest, region?: string, options?: CallOptions): Promise<HbrAnswer> {
    return this.rpc.callAction(action, request, region, options);
  }

  /**
   * Each call starts a task and HBR takes no idempotency token: a call whose outcome is unknown
   * (no answer in time, a cut connection, a 500) is not re-sent, and fails with outcomeUnknown.
   */
  private async submit(
    action: 'InstallBackupClients' | 'UninstallBackupClients',
    instanceIds: string[],
    region?: string,
  ): Promise<InstallSubmission[]> {
    this.rpc.checkInstanceIds(instanceIds, action);
    const submissions: InstallSubmission[] = [];
    for (const ids of chunk(instanceIds, MAX_INSTANCES_PER_CALL)) {
      let answer: HbrAnswer;
      try {
        answer = await this.callAction(action, { query: { InstanceIds: JSON.stringify(ids) } }, region, {
          idempotent: false,
        });
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
// Answer parsing
// ---------------------------------------------------------------------------------------------

function parseSubmission(sent: string[], answer: RawInstallResponse & Bag): InstallSubmission {
  const taskId = str(answer.TaskId) || null;
  const reported = new Map<string, Bag>();
  const rawStatuses: unknown[] = Array.isArray(answer.InstanceStatuses) ? answer.InstanceStatuses : [];
  for (const raw of rawStatuses) {
    if (isBag(raw)) {
      const id = str(raw.InstanceId);
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
    const valid = raw.ValidInstance === true || raw.ValidInstance === 'true';
    const errorCode = str(raw.ErrorCode);
    return valid
      ? { instanceId, valid, errorCode: '' }
      : { instanceId, valid, errorCode: errorCode || 'InvalidInstance' };
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
    const instanceId = str(item.instanceId ?? item.InstanceId);
    if (instanceId === '') throw malformed(requestId, `element ${index} has no instanceId`);
    return {
      instanceId,
      clientId: str(item.clientId ?? item.ClientId),
      clientStatus: str(item.clientStatus ?? item.ClientStatus),
      errorCode: str(item.errorCode ?? item.ErrorCode),
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
    clientId: str(raw.ClientId),
    instanceId: str(raw.InstanceId),
    instanceName: str(raw.InstanceName),
    status: str(raw.Status),
    clientVersion: str(raw.ClientVersion),
    maxClientVersion: str(raw.MaxClientVersion),
    lastHeartBeatTime: epochMs(raw.LastHeartBeatTime),
  };
}
