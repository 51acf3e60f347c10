/**
 * Typed shapes for the parts of the Alibaba Cloud Hybrid Backup Recovery (HBR) OpenAPI
 * (version 2017-09-08) that hbr-bot uses.
 *
 * Two layers live here:
 *  - the bot-facing shapes (InstallSubmission, TaskReport, BackupClientInfo, ...), which the rest
 *    of the bot codes against;
 *  - the raw wire shapes (Raw*), i.e. the JSON bodies HBR answers with, PascalCase as on the wire.
 *    The client parses these defensively (every field optional) and the test stand-in produces them.
 */

/** The HBR OpenAPI version every call is made with. */
export const HBR_API_VERSION = '2017-09-08';

/** InstallBackupClients / UninstallBackupClients accept at most this many IDs per call. */
export const MAX_INSTANCES_PER_CALL = 20;

/** DescribeBackupClients accepts PageSize 1..99; the client always asks for full pages. */
export const MAX_PAGE_SIZE = 99;

// ---------------------------------------------------------------------------------------------
// Bot-facing shapes
// ---------------------------------------------------------------------------------------------

export interface InstanceStatus {
  instanceId: string;
  valid: boolean;
  /** '' when valid. */
  errorCode: string;
}

/** One InstallBackupClients / UninstallBackupClients call. */
export interface InstallSubmission {
  /** What was sent (<= 20), in the order given by the caller. */
  instanceIds: string[];
  /** null when no instance was valid (HBR starts no task then). */
  taskId: string | null;
  /** HBR RequestId of the call. */
  requestId: string;
  /**
   * One entry per sent instance, in the order of `instanceIds`.
   * An instance the answer does not mention is reported as
   *  - `{ valid: true, errorCode: '' }` when the answer carries a TaskId (the task covers it and its
   *    outcome shows up in the task result), and
   *  - `{ valid: false, errorCode: 'NotReportedByHbr' }` when there is no TaskId.
   */
  statuses: InstanceStatus[];
}

export type TaskPhase = 'running' | 'completed' | 'failed' | 'expired' | 'cancelled';

export interface TaskInstanceResult {
  instanceId: string;
  clientId: string;
  /** Raw value, e.g. ACTIVATED. Unknown values must be treated as failure. */
  clientStatus: string;
  errorCode: string;
}

export interface TaskReport {
  taskId: string;
  requestId: string;
  /**
   * - 'failed' when Progress is -1 (whatever the Description says) — a Success:false answer is an
   *   HbrError, never a report;
   * - 'completed' / 'expired' / 'cancelled' from Description;
   * - 'running' otherwise (Description 'created', or a Description this code does not know).
   */
  phase: TaskPhase;
  /** 0-100, -1 when failed. */
  progress: number;
  /** Raw Description. */
  description: string;
  /** Parsed from Result ('' -> []). A malformed Result throws HbrError 'MalformedResult'. */
  results: TaskInstanceResult[];
  /** ms epoch from UpdatedTime (UNIX seconds) when present. */
  updatedAt: number | null;
}

export interface BackupClientInfo {
  clientId: string;
  instanceId: string;
  instanceName: string;
  /** Raw Status, e.g. ACTIVATED. */
  status: string;
  clientVersion: string;
  maxClientVersion: string;
  /** ms epoch, null when HBR did not say. */
  lastHeartBeatTime: number | null;
}

// ---------------------------------------------------------------------------------------------
// Raw wire shapes (what HBR answers). Every field is optional: the client checks what it uses.
// ---------------------------------------------------------------------------------------------

/** Fields present in every HBR answer. */
export interface RawHbrEnvelope {
  RequestId?: string;
  Code?: string;
  Message?: string;
  Success?: boolean;
}

export interface RawInstanceStatus {
  InstanceId?: string;
  ValidInstance?: boolean;
  ErrorCode?: string;
}

/** InstallBackupClients and UninstallBackupClients answer. */
export interface RawInstallResponse extends RawHbrEnvelope {
  TaskId?: string;
  InstanceStatuses?: RawInstanceStatus[];
}

export interface RawDescribeTaskResponse extends RawHbrEnvelope {
  Name?: string;
  Description?: string;
  Progress?: number;
  CreatedTime?: number;
  UpdatedTime?: number;
  CompletedTime?: number;
  /** A JSON string ('' while pending). */
  Result?: string;
}

/** One element of the JSON array inside DescribeTask.Result (lowerCamel keys). */
export interface RawTaskResultItem {
  instanceId?: string;
  clientId?: string;
  clientStatus?: string;
  errorCode?: string;
}

export interface RawBackupClient {
  ClientId?: string;
  ClientType?: string;
  InstanceId?: string;
  InstanceName?: string;
  Status?: string;
  ClientVersion?: string;
  MaxClientVersion?: string;
  /** UNIX seconds. */
  LastHeartBeatTime?: number;
}

export interface RawDescribeBackupClientsResponse extends RawHbrEnvelope {
  PageNumber?: number;
  PageSize?: number;
  TotalCount?: number;
  Clients?: RawBackupClient[];
}
