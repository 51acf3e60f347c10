/**
 * Typed shapes for the two read-only ECS OpenAPI (version 2014-05-26, RPC style) actions hbr-bot
 * uses for its pre-flight look-up: DescribeInstances and DescribeCloudAssistantStatus.
 *
 * As for HBR (src/hbr/types.ts): the bot-facing shapes, then the raw wire shapes (PascalCase as on
 * the wire, every field optional: the client parses defensively and the stand-in produces them).
 */

import type { AgentDescription, InstanceDescription } from '../domain/preflight.js';

/** The ECS OpenAPI version every call is made with. */
export const ECS_API_VERSION = '2014-05-26';

/** DescribeInstances: at most 100 IDs in InstanceIds (a JSON array string), PageSize 1..100. */
export const MAX_DESCRIBE_INSTANCES_IDS = 100;
export const MAX_DESCRIBE_INSTANCES_PAGE_SIZE = 100;

/** DescribeCloudAssistantStatus: InstanceId.N; the bot asks for at most 50 per call (older API pages allowed no more). */
export const MAX_CLOUD_ASSISTANT_IDS = 50;

// ---------------------------------------------------------------------------------------------
// Bot-facing shapes
// ---------------------------------------------------------------------------------------------

/** One instance as DescribeInstances describes it: the shape the pre-flight domain reads. */
export type EcsInstance = InstanceDescription;

/** One instance's Cloud Assistant agent as DescribeCloudAssistantStatus describes it. */
export interface CloudAssistantStatus extends AgentDescription {
  /** ISO 8601 as ECS wrote it, null when absent. */
  lastHeartbeatTime: string | null;
}

// ---------------------------------------------------------------------------------------------
// Raw wire shapes (what ECS answers)
// ---------------------------------------------------------------------------------------------

export interface RawEcsTag {
  TagKey?: string;
  TagValue?: string;
}

export interface RawEcsInstance {
  InstanceId?: string;
  InstanceName?: string;
  Status?: string;
  OSType?: string;
  OSName?: string;
  InstanceType?: string;
  RegionId?: string;
  Tags?: { Tag?: RawEcsTag[] };
}

export interface RawDescribeInstancesResponse {
  RequestId?: string;
  TotalCount?: number;
  PageNumber?: number;
  PageSize?: number;
  Instances?: { Instance?: RawEcsInstance[] };
}

export interface RawCloudAssistantStatus {
  InstanceId?: string;
  /** 'true' | 'false' (a string on the wire). */
  CloudAssistantStatus?: string;
  CloudAssistantVersion?: string;
  LastHeartbeatTime?: string;
  OSType?: string;
}

export interface RawDescribeCloudAssistantStatusResponse {
  RequestId?: string;
  TotalCount?: number;
  PageNumber?: number;
  PageSize?: number;
  InstanceCloudAssistantStatusSet?: { InstanceCloudAssistantStatus?: RawCloudAssistantStatus[] };
}
