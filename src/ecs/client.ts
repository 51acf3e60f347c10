/**
 * EcsClient: the two read-only ECS OpenAPI actions the pre-flight look-up uses, on the shared
 * Alibaba RPC client (src/alibaba/rpc-client.ts): same credentials chain, timeouts, retries and
 * error classification as HBR, with ECS's version (2014-05-26) and endpoint
 * (https://ecs.<region>.aliyuncs.com, or the ECS_ENDPOINT override).
 *
 *  - describeInstances: DescribeInstances with RegionId and InstanceIds as a JSON array string of
 *    at most 100 IDs per call, every page followed; instances ECS does not know in that region are
 *    simply absent from the answer;
 *  - describeCloudAssistantStatus: DescribeCloudAssistantStatus with RegionId and InstanceId.N
 *    (at most 50 per call).
 */
import {
  AlibabaRpcClient,
  type Bag,
  type CallOptions,
  isBag,
  num,
  type RawCallRequest,
  type RpcAnswer,
  type RpcClientOptions,
  type RpcProduct,
  str,
} from '../alibaba/rpc-client.js';
import { chunk } from '../domain/instance-ids.js';
import { EcsError, toEcsError } from './errors.js';
import {
  type CloudAssistantStatus,
  ECS_API_VERSION,
  type EcsInstance,
  MAX_CLOUD_ASSISTANT_IDS,
  MAX_DESCRIBE_INSTANCES_IDS,
  MAX_DESCRIBE_INSTANCES_PAGE_SIZE,
  type RawDescribeCloudAssistantStatusResponse,
  type RawDescribeInstancesResponse,
} from './types.js';

/** The shared client's options; `endpoint` overrides https://ecs.<region>.aliyuncs.com. */
export type EcsClientOptions = RpcClientOptions;

const ECS_PRODUCT: RpcProduct<EcsError> = {
  name: 'ECS',
  endpointPrefix: 'ecs',
  version: ECS_API_VERSION,
  error: (fields) => new EcsError(fields),
  toError: toEcsError,
};

/**
 * The ECS calls a pre-flight look-up of this many instances takes: DescribeInstances per 100 IDs,
 * DescribeCloudAssistantStatus per 50 (when all are found; fewer otherwise).
 */
export function preflightCalls(instances: number): number {
  return Math.ceil(instances / MAX_DESCRIBE_INSTANCES_IDS) + Math.ceil(instances / MAX_CLOUD_ASSISTANT_IDS);
}

/** Pages of one DescribeInstances chunk the client follows at most (a safety net against a looping answer). */
const MAX_PAGES = 100;

export class EcsClient {
  private readonly rpc: AlibabaRpcClient<EcsError>;

  constructor(options: EcsClientOptions) {
    this.rpc = new AlibabaRpcClient(ECS_PRODUCT, options);
  }

  /** The instances ECS knows among these IDs in the region, in no particular order. */
  async describeInstances(instanceIds: string[], region?: string): Promise<EcsInstance[]> {
    const action = 'DescribeInstances';
    this.rpc.checkInstanceIds(instanceIds, action);
    const regionId = this.regionOf(region, action);
    const found = new Map<string, EcsInstance>();
    for (const ids of chunk(instanceIds, MAX_DESCRIBE_INSTANCES_IDS)) {
      let seen = 0;
      for (let page = 1; page <= MAX_PAGES; page += 1) {
        const query = {
          RegionId: regionId,
          InstanceIds: JSON.stringify(ids),
          PageNumber: String(page),
          PageSize: String(MAX_DESCRIBE_INSTANCES_PAGE_SIZE),
        };
        const answer = (await this.callAction(action, { query }, regionId)) as RawDescribeInstancesResponse & Bag;
        const raw =
          isBag(answer.Instances) && Array.isArray(answer.Instances.Instance)
            ? (answer.Instances.Instance as unknown[])
            : [];
        for (const item of raw) {
          if (!isBag(item)) continue;
          const instance = parseInstance(item);
          if (instance.instanceId !== '') found.set(instance.instanceId, instance);
        }
        seen += raw.length;
        const total = num(answer.TotalCount);
        if (raw.length === 0 || total === null || seen >= total) break;
      }
    }
    return [...found.values()];
  }

  /** The Cloud Assistant agent of these instances, as far as ECS reports it (unknown instances are absent). */
  async describeCloudAssistantStatus(instanceIds: string[], region?: string): Promise<CloudAssistantStatus[]> {
    const action = 'DescribeCloudAssistantStatus';
    this.rpc.checkInstanceIds(instanceIds, action);
    const regionId = this.regionOf(region, action);
    const found = new Map<string, CloudAssistantStatus>();
    for (const ids of chunk(instanceIds, MAX_CLOUD_ASSISTANT_IDS)) {
      const query: Record<string, string> = { RegionId: regionId };
      ids.forEach((id, i) => {
        query[`InstanceId.${i + 1}`] = id;
      });
      const answer = (await this.callAction(action, { query }, regionId)) as RawDescribeCloudAssistantStatusResponse &
        Bag;
      const set = answer.InstanceCloudAssistantStatusSet;
      const raw =
        isBag(set) && Array.isArray(set.InstanceCloudAssistantStatus)
          ? (set.InstanceCloudAssistantStatus as unknown[])
          : [];
      for (const item of raw) {
        if (!isBag(item)) continue;
        const status = parseCloudAssistant(item);
        if (status.instanceId !== '') found.set(status.instanceId, status);
      }
    }
    return [...found.values()];
  }

  /** Lower layer: one action with retries, EcsError classification; the raw answer body. */
  callAction(action: string, request: RawCallRequest, region?: string, options?: CallOptions): Promise<RpcAnswer> {
    return this.rpc.callAction(action, request, region, options);
  }

  private regionOf(region: string | undefined, action: string): string {
    return region === undefined ? this.rpc.defaultRegion : this.rpc.checkRegion(region, action);
  }
}

function parseInstance(raw: Bag): EcsInstance {
  const tagsBag = raw.Tags;
  const rawTags = isBag(tagsBag) && Array.isArray(tagsBag.Tag) ? (tagsBag.Tag as unknown[]) : [];
  return {
    instanceId: str(raw.InstanceId),
    instanceName: str(raw.InstanceName),
    status: str(raw.Status),
    osType: str(raw.OSType),
    osName: str(raw.OSName),
    instanceType: str(raw.InstanceType),
    tags: rawTags
      .filter(isBag)
      .map((tag) => ({ key: str(tag.TagKey), value: str(tag.TagValue) }))
      .filter((tag) => tag.key !== ''),
  };
}

function parseCloudAssistant(raw: Bag): CloudAssistantStatus {
  const status = raw.CloudAssistantStatus;
  const heartbeat = str(raw.LastHeartbeatTime);
  return {
    instanceId: str(raw.InstanceId),
    running: status === true || (typeof status === 'string' && status.toLowerCase() === 'true'),
    version: str(raw.CloudAssistantVersion),
    lastHeartbeatTime: heartbeat === '' ? null : heartbeat,
  };
}
