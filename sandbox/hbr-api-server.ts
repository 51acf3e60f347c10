/**
 * A stand-in for the Alibaba Cloud HBR OpenAPI (version 2017-09-08), for tests and sandboxes.
 *
 * It is a real HTTP server on 127.0.0.1 (ephemeral port) on the plumbing every Alibaba RPC stand-in
 * shares (alibaba-rpc-server.ts: signatures checked as shared/hbr-api.md describes, the timestamp
 * window, nonce replay, the API version, injectable faults, Alibaba-style error answers, every call
 * recorded), and behaves like the parts of HBR that hbr-bot needs:
 *
 *  - InstallBackupClients / UninstallBackupClients (InstanceIds: a JSON array string of 1..20 IDs),
 *    DescribeTask (progress climbing over `pollsToComplete` polls, then a JSON Result) and
 *    DescribeBackupClients (ClientType=ECS_CLIENT, InstanceIds in the form body, paging);
 *  - scripted instance states (instance-script.ts, shared with the ECS stand-in) and injectable
 *    faults (throttling, 5xx, an HTML 502, slow answers, connection resets, missing RAM permission,
 *    malformed task results, ...). A slow InstallBackupClients / UninstallBackupClients starts its
 *    task at once and answers late, as HBR does; a reset, an HTML 502 or a 500 starts none (the bot
 *    cannot tell these cases apart, which is the point).
 *
 * Usage:
 *   const hbr = await startHbrStandIn({ accessKeyId: 'AK', accessKeySecret: 'secret',
 *                                       instances: { 'i-abc...': 'stopped' } });
 *   const client = new HbrClient({ defaultRegion: 'cn-hangzhou', endpoint: hbr.url, credential });
 *   ...
 *   await hbr.close();
 */
import {
  type BackupClientInfo,
  HBR_API_VERSION,
  MAX_INSTANCES_PER_CALL,
  MAX_PAGE_SIZE,
  type RawBackupClient,
  type RawDescribeBackupClientsResponse,
  type RawDescribeTaskResponse,
  type RawInstallResponse,
  type RawInstanceStatus,
  type RawTaskResultItem,
} from '../src/hbr/types.js';
import {
  type Answer,
  ApiError,
  intParam,
  type ParsedRequest,
  parseIdList,
  type RecordedRpcCall,
  type RpcFault,
  randomId,
  rejectFlattened,
  startRpcServer,
} from './alibaba-rpc-server.js';
import { InstanceScript, type ScriptedState } from './instance-script.js';

export { SCRIPTED_STATES, type ScriptedState } from './instance-script.js';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** A fault served to the next call of an action (faults queue up per action): see RpcFault. */
export type HbrFault = RpcFault;

export interface HbrStandInOptions {
  /** The one AccessKey the stand-in knows; any other AccessKeyId gets InvalidAccessKeyId.NotFound. */
  accessKeyId: string;
  accessKeySecret: string;
  /** Scripted instances (unscripted ones behave as the script says: 'running' unless told). Added to `script` when both are given. */
  instances?: Record<string, ScriptedState>;
  /** The script shared with the ECS stand-in; a new one when not given. */
  script?: InstanceScript;
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
  /**
   * How DescribeBackupClients pages, for paging tests: 'honest' (default); 'stuck' serves the first
   * page whatever PageNumber asks, with a TotalCount above what it ever lists; 'endless' makes up
   * new clients on every page, with a TotalCount no paging reaches.
   */
  backupClientPaging?: 'honest' | 'stuck' | 'endless';
  /** The stand-in's clock runs this many ms ahead of the host's (for timestamp-window tests). Default 0. */
  clockOffsetMs?: number;
}

/** One request the stand-in received: see RecordedRpcCall. */
export type RecordedHbrCall = RecordedRpcCall;

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

/** A client as the stand-in keeps it: the client's fields, with the heartbeat in UNIX seconds as on the wire. */
export interface StandInClient extends Omit<BackupClientInfo, 'lastHeartBeatTime'> {
  lastHeartBeatTime: number;
}

export interface HbrStandIn {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Every request, including refused ones, in arrival order. */
  calls: RecordedHbrCall[];
  callsOf(action: string): RecordedHbrCall[];
  setInstance(id: string, state: ScriptedState): void;
  /** The instance script, shared with an ECS stand-in started on it. */
  script: InstanceScript;
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

/** The newest client HBR offers (MaxClientVersion), which every install brings. */
export const LATEST_CLIENT_VERSION = '2.14.0';
/** What seedClient() registers unless told otherwise: an older install, one version behind. */
const SEEDED_CLIENT_VERSION = '2.13.2';

const INSTANCE_ERRORS: Partial<Record<ScriptedState, string>> = {
  stopped: 'InstanceNotRunning',
  'no-cloud-assist': 'CloudAssistNotRunningOnInstance',
  missing: 'InstanceNotExists',
};

const ACTIONS = ['InstallBackupClients', 'UninstallBackupClients', 'DescribeTask', 'DescribeBackupClients'] as const;
type StandInAction = (typeof ACTIONS)[number];

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

export async function startHbrStandIn(options: HbrStandInOptions): Promise<HbrStandIn> {
  const script = options.script ?? new InstanceScript();
  for (const [id, state] of Object.entries(options.instances ?? {})) script.set(id, state);
  const resultOverrides = new Map<string, { clientStatus: string; errorCode: string }>();
  const tasks = new Map<string, Task>();
  const clientsByInstance = new Map<string, StandInClient>();
  let pollsToComplete = options.pollsToComplete ?? 1;
  const slowExtraPolls = options.slowExtraPolls ?? 4;
  const maxPageSize = options.maxPageSize ?? MAX_PAGE_SIZE;
  const paging = options.backupClientPaging ?? 'honest';
  const clockOffsetMs = options.clockOffsetMs ?? 0;

  const now = (): number => Date.now() + clockOffsetMs;
  const nowSeconds = (): number => Math.floor(now() / 1000);
  const stateOf = (id: string): ScriptedState => script.stateOf(id);

  // --- clients and tasks --------------------------------------------------------------------

  /** `fields` default to a client seeded some time ago: active, one version behind the latest. */
  function registerClient(
    instanceId: string,
    fields: Partial<Omit<StandInClient, 'clientId' | 'instanceId'>> = {},
  ): StandInClient {
    const existing = clientsByInstance.get(instanceId);
    const client: StandInClient = {
      clientId: existing?.clientId ?? randomId('c-'),
      instanceId,
      instanceName: fields.instanceName ?? existing?.instanceName ?? script.nameOf(instanceId),
      status: fields.status ?? 'ACTIVATED',
      clientVersion: fields.clientVersion ?? SEEDED_CLIENT_VERSION,
      maxClientVersion: fields.maxClientVersion ?? LATEST_CLIENT_VERSION,
      lastHeartBeatTime: fields.lastHeartBeatTime ?? nowSeconds(),
    };
    clientsByInstance.set(instanceId, client);
    return client;
  }

  /** A client the stand-in does not keep: what an 'endless' page lists. */
  function madeUpClient(clientId: string): StandInClient {
    return {
      clientId,
      instanceId: 'i-bp1endlessendlessend',
      instanceName: 'endless',
      status: 'ACTIVATED',
      clientVersion: '2.13.2',
      maxClientVersion: '2.14.0',
      lastHeartBeatTime: nowSeconds(),
    };
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
    // As in HBR, an install brings the latest client.
    const clientId =
      clientStatus === 'ACTIVATED'
        ? registerClient(instanceId, { clientVersion: LATEST_CLIENT_VERSION }).clientId
        : (clientsByInstance.get(instanceId)?.clientId ?? randomId('c-'));
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
    const needed = task.instanceIds.some((id) => stateOf(id) === 'slow')
      ? pollsToComplete + slowExtraPolls
      : pollsToComplete;
    if (task.polls >= needed) {
      completeTask(task);
      return;
    }
    task.progress = Number.isFinite(needed)
      ? Math.min(99, Math.floor((task.polls * 100) / needed))
      : Math.min(99, task.polls * 5);
    task.updatedAt = nowSeconds();
  }

  // --- action handlers ----------------------------------------------------------------------

  function handleInstallLike(kind: TaskKind, params: Record<string, string>, requestId: string): Answer {
    rejectFlattened(params, 'InstanceIds');
    if (params.ClientIds !== undefined || Object.keys(params).some((k) => k.startsWith('ClientIds.'))) {
      throw new ApiError(400, 'InvalidParameter', 'ClientIds is not supported by the HBR stand-in: use InstanceIds.');
    }
    const raw = params.InstanceIds;
    if (raw === undefined)
      throw new ApiError(400, 'MissingParameter', 'The parameter InstanceIds is mandatory for this action.');
    const ids = parseIdList('InstanceIds', raw, MAX_INSTANCES_PER_CALL);
    const statuses: RawInstanceStatus[] = ids.map((id) => {
      const errorCode = INSTANCE_ERRORS[stateOf(id)] ?? '';
      return { InstanceId: id, ValidInstance: errorCode === '', ErrorCode: errorCode };
    });
    const validIds = statuses.filter((s) => s.ValidInstance).map((s) => s.InstanceId as string);
    const body: RawInstallResponse = {
      Code: '200',
      Message: 'successful',
      RequestId: requestId,
      Success: true,
      InstanceStatuses: statuses,
    };
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
    const taskId = params.TaskId;
    if (taskId === undefined || taskId === '')
      throw new ApiError(400, 'MissingParameter', 'The parameter TaskId is mandatory for this action.');
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
    const clientType = params.ClientType;
    if (clientType === undefined || clientType === '')
      throw new ApiError(400, 'MissingParameter', 'The parameter ClientType is mandatory for this action.');
    if (clientType !== 'ECS_CLIENT')
      throw new ApiError(400, 'InvalidParameter', `The stand-in only serves ClientType ECS_CLIENT, got ${clientType}.`);
    for (const name of ['InstanceIds', 'ClientIds']) {
      rejectFlattened(params, name);
      if (query[name] !== undefined)
        throw new ApiError(400, 'InvalidParameter', `The parameter ${name} must be sent in the form body.`);
    }
    const instanceFilter =
      form.InstanceIds !== undefined ? new Set(parseIdList('InstanceIds', form.InstanceIds, 10_000)) : null;
    const clientFilter =
      form.ClientIds !== undefined ? new Set(parseIdList('ClientIds', form.ClientIds, 10_000)) : null;
    const pageNumber = intParam(params, 'PageNumber', 1, 1, 1_000_000);
    const pageSize = Math.min(intParam(params, 'PageSize', 10, 1, MAX_PAGE_SIZE), maxPageSize);
    const matching = [...clientsByInstance.values()].filter(
      (c) =>
        (instanceFilter === null || instanceFilter.has(c.instanceId)) &&
        (clientFilter === null || clientFilter.has(c.clientId)),
    );
    const page =
      paging === 'endless'
        ? Array.from({ length: pageSize }, (_, i) => madeUpClient(`c-endless${pageNumber}x${i}`))
        : matching.slice(
            paging === 'stuck' ? 0 : (pageNumber - 1) * pageSize,
            (paging === 'stuck' ? 1 : pageNumber) * pageSize,
          );
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
      TotalCount: paging === 'honest' ? matching.length : matching.length + 1_000_000,
      Clients: clients,
    };
    return { status: 200, body };
  }

  // --- the server ---------------------------------------------------------------------------

  const server = await startRpcServer({
    product: 'HBR',
    ramNamespace: 'hbr',
    version: HBR_API_VERSION,
    actions: ACTIONS,
    accessKeyId: options.accessKeyId,
    accessKeySecret: options.accessKeySecret,
    clockOffsetMs,
    handle: (request, requestId, fault) => {
      switch (request.action as StandInAction) {
        case 'InstallBackupClients':
          return handleInstallLike('install', request.params, requestId);
        case 'UninstallBackupClients':
          return handleInstallLike('uninstall', request.params, requestId);
        case 'DescribeTask':
          return handleDescribeTask(request.params, requestId, fault?.kind === 'malformed-result');
        case 'DescribeBackupClients':
          return handleDescribeBackupClients(request, requestId);
      }
    },
  });
  // A scripted change is a change of this stand-in too (the sandbox page follows it).
  const unsubscribeScript = script.subscribe(() => server.changed());

  return {
    url: server.url,
    calls: server.calls,
    callsOf: server.callsOf,
    setInstance: (id, state) => script.set(id, state),
    script,
    instances: () => script.entries(),
    tasks: () =>
      [...tasks.values()].map((t) => ({
        taskId: t.id,
        kind: t.kind,
        instanceIds: [...t.instanceIds],
        polls: t.polls,
        progress: t.outcome === 'failed' ? -1 : t.progress,
        outcome: t.outcome,
      })),
    subscribe: server.subscribe,
    setPollsToComplete: (n) => {
      pollsToComplete = n;
    },
    injectFaults: server.injectFaults,
    pendingFaults: server.pendingFaults,
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
      unsubscribeScript();
      return server.close();
    },
  };
}

/** A well-formed, deterministic ECS instance ID for tests: `i-` + 20 characters derived from n. */
export function makeInstanceId(n: number): string {
  return `i-bp${n.toString(36).padStart(18, '0')}`;
}
