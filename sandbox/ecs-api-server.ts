/**
 * A stand-in for the two read-only ECS OpenAPI (version 2014-05-26) actions hbr-bot's pre-flight
 * look-up calls, for tests and sandboxes: a sibling of the HBR stand-in on the same plumbing
 * (alibaba-rpc-server.ts: ACS3 and v2 signatures checked, timestamp window, nonce replay, the API
 * version, injectable faults, Alibaba-style errors, every call recorded).
 *
 *  - DescribeInstances: RegionId (required), InstanceIds as a JSON array string of 1..100 IDs
 *    (`InstanceIds.1=…` is refused), PageNumber, PageSize (1..100, default 10). Instances ECS does
 *    not know are simply absent.
 *  - DescribeCloudAssistantStatus: RegionId (required), InstanceId.N (1..100).
 *
 * What it says about an instance comes from the instance script it shares with the HBR stand-in
 * (instance-script.ts), so the two agree: 'stopped' is Stopped (agent offline), 'missing' is
 * absent, 'no-cloud-assist' is Running with CloudAssistantStatus 'false', everything else Running
 * with the agent online. Names are scripted or `web-<last 4>`.
 *
 * Usage:
 *   const hbr = await startHbrStandIn({ accessKeyId, accessKeySecret });
 *   const ecs = await startEcsStandIn({ accessKeyId, accessKeySecret, script: hbr.script });
 *   hbr.setInstance('i-…', 'stopped');   // HBR refuses it, ECS reports it Stopped
 */
import {
  ECS_API_VERSION,
  MAX_DESCRIBE_INSTANCES_IDS,
  MAX_DESCRIBE_INSTANCES_PAGE_SIZE,
  type RawCloudAssistantStatus,
  type RawDescribeCloudAssistantStatusResponse,
  type RawDescribeInstancesResponse,
  type RawEcsInstance,
} from '../src/ecs/types.js';
import {
  type Answer,
  ApiError,
  intParam,
  parseIdList,
  type RecordedRpcCall,
  type RpcFault,
  rejectFlattened,
  startRpcServer,
} from './alibaba-rpc-server.js';
import { InstanceScript, type ScriptedState } from './instance-script.js';

export interface EcsStandInOptions {
  /** The one AccessKey the stand-in knows (the same as the HBR stand-in's, as in one account). */
  accessKeyId: string;
  accessKeySecret: string;
  /** The script shared with the HBR stand-in (`hbr.script`); a new one when not given. */
  script?: InstanceScript;
  /** Scripted instances added to the script. */
  instances?: Record<string, ScriptedState>;
  /** The region the instances live in: a call for any other RegionId finds none. Default: every region. */
  region?: string;
  /** The stand-in's clock runs this many ms ahead of the host's. Default 0. */
  clockOffsetMs?: number;
}

export interface EcsStandIn {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Every request, including refused ones, in arrival order. */
  calls: RecordedRpcCall[];
  callsOf(action: string): RecordedRpcCall[];
  /** Served in order to the next calls of that action ('slow' with delayMs holds an answer). */
  injectFaults(action: string, ...faults: RpcFault[]): void;
  pendingFaults(action: string): number;
  script: InstanceScript;
  /** Calls `listener` after every answered request; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** Stops the server, cutting slow answers short. Idempotent. */
  close(): Promise<void>;
}

const ACTIONS = ['DescribeInstances', 'DescribeCloudAssistantStatus'] as const;
type EcsStandInAction = (typeof ACTIONS)[number];

/** DescribeCloudAssistantStatus takes at most this many InstanceId.N (the API's limit; the bot sends 50 at most). */
const MAX_INSTANCE_ID_N = 100;

const OS_NAMES: Readonly<Record<string, string>> = {
  linux: 'Alibaba Cloud Linux 3.2104 LTS 64 bit',
  windows: 'Windows Server 2022 Datacenter 64-bit',
};

/** Whether ECS knows the instance at all (a 'missing' one was released). */
function exists(state: ScriptedState): boolean {
  return state !== 'missing';
}

function agentOnline(state: ScriptedState): boolean {
  return state !== 'stopped' && state !== 'no-cloud-assist' && state !== 'missing';
}

function requiredRegion(params: Record<string, string>): string {
  const region = params.RegionId;
  if (region === undefined || region === '')
    throw new ApiError(
      400,
      'MissingParameter',
      'The input parameter "RegionId" that is mandatory for processing this request is not supplied.',
    );
  return region;
}

export async function startEcsStandIn(options: EcsStandInOptions): Promise<EcsStandIn> {
  const script = options.script ?? new InstanceScript();
  for (const [id, state] of Object.entries(options.instances ?? {})) script.set(id, state);
  const clockOffsetMs = options.clockOffsetMs ?? 0;
  const inRegion = (region: string): boolean => options.region === undefined || options.region === region;

  function describeInstance(id: string, region: string): RawEcsInstance {
    const name = script.nameOf(id);
    const osType = script.osTypeOf(id);
    return {
      InstanceId: id,
      InstanceName: name,
      Status: script.stateOf(id) === 'stopped' ? 'Stopped' : 'Running',
      OSType: osType,
      OSName: OS_NAMES[osType] ?? osType,
      InstanceType: 'ecs.g7.large',
      RegionId: region,
      Tags: { Tag: [{ TagKey: 'app', TagValue: name.split('-')[0] ?? name }] },
    };
  }

  function handleDescribeInstances(params: Record<string, string>, requestId: string): Answer {
    const region = requiredRegion(params);
    rejectFlattened(params, 'InstanceIds');
    const raw = params.InstanceIds;
    const ids =
      raw === undefined
        ? script.entries().map((e) => e.instanceId)
        : parseIdList('InstanceIds', raw, MAX_DESCRIBE_INSTANCES_IDS);
    const pageNumber = intParam(params, 'PageNumber', 1, 1, 1_000_000);
    const pageSize = intParam(params, 'PageSize', 10, 1, MAX_DESCRIBE_INSTANCES_PAGE_SIZE);
    const known = [...new Set(ids)].filter((id) => inRegion(region) && exists(script.stateOf(id)));
    const page = known.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
    const body: RawDescribeInstancesResponse = {
      RequestId: requestId,
      TotalCount: known.length,
      PageNumber: pageNumber,
      PageSize: pageSize,
      Instances: { Instance: page.map((id) => describeInstance(id, region)) },
    };
    return { status: 200, body };
  }

  function handleDescribeCloudAssistantStatus(params: Record<string, string>, requestId: string): Answer {
    const region = requiredRegion(params);
    if (params.InstanceIds !== undefined || params.InstanceId !== undefined) {
      throw new ApiError(
        400,
        'InvalidParameter',
        'DescribeCloudAssistantStatus takes InstanceId.N (InstanceId.1, InstanceId.2, ...), not a JSON list.',
      );
    }
    const ids = Object.keys(params)
      .filter((key) => /^InstanceId\.\d+$/.test(key))
      .sort((a, b) => Number(a.slice(11)) - Number(b.slice(11)))
      .map((key) => params[key] ?? '');
    if (ids.length > MAX_INSTANCE_ID_N) {
      throw new ApiError(
        400,
        'InvalidParameter',
        `The parameter InstanceId.N holds at most ${MAX_INSTANCE_ID_N} items, got ${ids.length}.`,
      );
    }
    const nowMs = Date.now() + clockOffsetMs;
    const statuses: RawCloudAssistantStatus[] = [...new Set(ids)]
      .filter((id) => inRegion(region) && exists(script.stateOf(id)))
      .map((id) => {
        const online = agentOnline(script.stateOf(id));
        const windows = script.osTypeOf(id) === 'windows';
        return {
          InstanceId: id,
          CloudAssistantStatus: online ? 'true' : 'false',
          CloudAssistantVersion: windows ? '2.1.3.857' : '2.2.3.857',
          // An offline agent last reported three days ago.
          LastHeartbeatTime: new Date(online ? nowMs - 20_000 : nowMs - 3 * 86_400_000)
            .toISOString()
            .replace(/\.\d+Z$/, 'Z'),
          OSType: windows ? 'Windows' : 'Linux',
        };
      });
    const body: RawDescribeCloudAssistantStatusResponse = {
      RequestId: requestId,
      TotalCount: statuses.length,
      PageNumber: 1,
      PageSize: Math.max(statuses.length, 1),
      InstanceCloudAssistantStatusSet: { InstanceCloudAssistantStatus: statuses },
    };
    return { status: 200, body };
  }

  const server = await startRpcServer({
    product: 'ECS',
    ramNamespace: 'ecs',
    version: ECS_API_VERSION,
    actions: ACTIONS,
    accessKeyId: options.accessKeyId,
    accessKeySecret: options.accessKeySecret,
    clockOffsetMs,
    handle: (request, requestId) => {
      switch (request.action as EcsStandInAction) {
        case 'DescribeInstances':
          return handleDescribeInstances(request.params, requestId);
        case 'DescribeCloudAssistantStatus':
          return handleDescribeCloudAssistantStatus(request.params, requestId);
      }
    },
  });

  return {
    url: server.url,
    calls: server.calls,
    callsOf: server.callsOf,
    injectFaults: server.injectFaults,
    pendingFaults: server.pendingFaults,
    script,
    subscribe: server.subscribe,
    close: server.close,
  };
}
