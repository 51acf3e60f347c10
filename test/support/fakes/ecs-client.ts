/**
 * The ECS client (src/ecs/client.ts) as scripted answers, for the pre-flight unit tests.
 */
import type { EcsClient } from '../../../src/ecs/client.js';
import { EcsError } from '../../../src/ecs/errors.js';
import type { CloudAssistantStatus, EcsInstance } from '../../../src/ecs/types.js';

/** ECS's error for `code`, classified (transient or not) as the real client would. */
export function ecsError(code: string, action = 'DescribeInstances'): EcsError {
  return new EcsError({ code, action, message: `${code} (fake)`, requestId: `ECS-${code}` });
}

/** A running Linux instance as DescribeInstances describes it. */
export function runningInstance(instanceId: string, instanceName = `name-${instanceId.slice(-4)}`): EcsInstance {
  return {
    instanceId,
    instanceName,
    status: 'Running',
    osType: 'linux',
    osName: 'Alibaba Cloud Linux 3.2104 LTS 64 bit',
    instanceType: 'ecs.g7.large',
    tags: [],
  };
}

export class FakeEcsClient implements Pick<EcsClient, 'describeInstances' | 'describeCloudAssistantStatus'> {
  readonly describeInstancesCalls: string[][] = [];
  readonly describeCloudAssistantStatusCalls: string[][] = [];
  /** The instances ECS knows in the region (filtered by the IDs asked for), or the error it throws. */
  instances: EcsInstance[] | Error = [];
  /** The Cloud Assistant agents ECS knows, or the error it throws. */
  agents: CloudAssistantStatus[] | Error = [];

  async describeInstances(instanceIds: string[]): Promise<EcsInstance[]> {
    this.describeInstancesCalls.push([...instanceIds]);
    if (this.instances instanceof Error) throw this.instances;
    return this.instances.filter((instance) => instanceIds.includes(instance.instanceId));
  }

  async describeCloudAssistantStatus(instanceIds: string[]): Promise<CloudAssistantStatus[]> {
    this.describeCloudAssistantStatusCalls.push([...instanceIds]);
    if (this.agents instanceof Error) throw this.agents;
    return this.agents.filter((agent) => instanceIds.includes(agent.instanceId));
  }
}
