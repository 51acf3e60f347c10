/**
 * A request to install or uninstall HBR backup clients: its record and the state machine it moves
 * through, the same for every operation (operation.ts holds what differs).
 * Pure: no I/O. The Redis store persists these records and applies transitions atomically.
 *
 *   pending ──approve──▶ approved ──submit job──▶ submitting ──tasks submitted──▶ polling ──▶ finished
 *      │  ├──reject──▶ rejected                       │                               │
 *      │  └──withdraw (the requester)──▶ withdrawn    └──permanent error──▶ failed
 *      ├──ttl──▶ expired
 *      └──request message could not be posted──▶ failed
 */
import type { Operation } from './operation.js';
import type { PreflightResult } from './preflight.js';

/** Request ids are opaque to users: 12 lowercase base32 characters after `r`. */
export const REQUEST_ID_PATTERN = /^r[a-z2-7]{12}$/;

/** How long a request stays readable after it ends (for `show` and audits), then it is dropped. */
export const REQUEST_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

export type RequestStatus =
  | 'pending'
  | 'approved'
  | 'rejected'
  | 'withdrawn'
  | 'expired'
  | 'submitting'
  | 'polling'
  | 'finished'
  | 'failed';

export const FINAL_STATUSES: ReadonlySet<RequestStatus> = new Set([
  'rejected',
  'withdrawn',
  'expired',
  'finished',
  'failed',
]);

/** Who decided and when; present once a request leaves `pending` by a person or by the TTL. */
export interface Decision {
  /** `withdrawn`: its requester took the request back. */
  outcome: 'approved' | 'rejected' | 'withdrawn' | 'expired';
  /** Slack user ID, or null for an expiry. */
  by: string | null;
  at: number;
}

/** Per-instance answer of one InstallBackupClients / UninstallBackupClients call. */
export interface SubmittedInstance {
  instanceId: string;
  valid: boolean;
  /** '' when valid. */
  errorCode: string;
}

/** One InstallBackupClients / UninstallBackupClients call (a chunk of at most 20 instances). */
export interface Submission {
  index: number;
  instanceIds: string[];
  taskId: string | null;
  hbrRequestId: string;
  instances: SubmittedInstance[];
  submittedAt: number;
}

export type TaskPhase = 'running' | 'completed' | 'failed' | 'expired' | 'cancelled' | 'timed_out';

export interface TaskInstanceResult {
  instanceId: string;
  clientId: string;
  /** Raw HBR clientStatus, e.g. ACTIVATED, INSTALL_FAILED, or a value we do not know. */
  clientStatus: string;
  errorCode: string;
}

/** What the last DescribeTask said about one HBR task. */
export interface TaskProgress {
  taskId: string;
  phase: TaskPhase;
  /** 0..100, -1 when HBR reports failure. */
  progress: number;
  results: TaskInstanceResult[];
  polledAt: number;
  polls: number;
}

/** A failure that ended the whole request (e.g. missing RAM permission). */
export interface RequestFailure {
  code: string;
  explanation: string;
  hbrRequestId: string | null;
}

/**
 * What DescribeBackupClients showed, when the request ended, for the instances whose submission
 * is unknown (a process died while asking HBR, or HBR's answer was lost): the closest the bot can
 * get to their outcome without asking HBR to act twice.
 */
export interface ClientCheck {
  checkedAt: number;
  /** Client status per instance HBR listed; an instance missing here has no backup client. */
  statuses: Record<string, string>;
  /** Why HBR could not be asked (its explanation); the statuses are then empty. */
  error: string | null;
}

/** Where the request message lives in Slack. */
export interface SlackMessageRef {
  channel: string;
  ts: string;
}

/**
 * The bot's messages about a request: the request message in the channel, and in its thread the
 * progress reply (edited in place) and the final result.
 */
export type BotMessageKind = 'request' | 'progress' | 'final';

export interface HbrRequest {
  id: string;
  operation: Operation;
  status: RequestStatus;
  requesterId: string;
  /** Channel the command was typed in. */
  originChannel: string;
  region: string;
  instanceIds: string[];
  createdAt: number;
  expiresAt: number;
  /** Set once the request message is posted. */
  message: SlackMessageRef | null;
  decision: Decision | null;
  submissions: Submission[];
  tasks: TaskProgress[];
  failure: RequestFailure | null;
  /** What ECS said about the instances before the decision (pre-flight); null until looked up, or when off. */
  preflight: PreflightResult | null;
  /** HBR's client statuses of the instances whose submission is unknown, looked up at the end. */
  clientCheck: ClientCheck | null;
  /** Thread reply edited in place with progress; null until posted. */
  progressTs: string | null;
  /** Digest of the progress reply's content as last sent: an edit with the same content is skipped. */
  progressDigest: string | null;
  /** Thread reply with the final per-instance result; set once, so it is posted once. */
  finalTs: string | null;
  finishedAt: number | null;
}

export interface NewRequestInput {
  id: string;
  operation: Operation;
  requesterId: string;
  originChannel: string;
  region: string;
  instanceIds: string[];
  now: number;
  approvalTtlMs: number;
}

export function newRequest(input: NewRequestInput): HbrRequest {
  return {
    id: input.id,
    operation: input.operation,
    status: 'pending',
    requesterId: input.requesterId,
    originChannel: input.originChannel,
    region: input.region,
    instanceIds: [...input.instanceIds],
    createdAt: input.now,
    expiresAt: input.now + input.approvalTtlMs,
    message: null,
    decision: null,
    submissions: [],
    tasks: [],
    failure: null,
    preflight: null,
    clientCheck: null,
    progressTs: null,
    progressDigest: null,
    finalTs: null,
    finishedAt: null,
  };
}

/** The request with these task records in place of older ones of the same task, in submission order. */
export function withTasks(request: HbrRequest, recorded: readonly TaskProgress[]): HbrRequest {
  const byId = new Map([...request.tasks, ...recorded].map((task) => [task.taskId, task]));
  const order = new Map(request.submissions.map((s, position) => [s.taskId, position]));
  return {
    ...request,
    tasks: [...byId.values()].sort((a, b) => (order.get(a.taskId) ?? 0) - (order.get(b.taskId) ?? 0)),
  };
}

export function isFinal(status: RequestStatus): boolean {
  return FINAL_STATUSES.has(status);
}

/** Which statuses each status may move to. The store enforces these atomically. */
export const TRANSITIONS: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = {
  // pending → failed: the request message could not be posted, so nobody can ever decide.
  pending: ['approved', 'rejected', 'withdrawn', 'expired', 'failed'],
  approved: ['submitting', 'failed'],
  submitting: ['polling', 'finished', 'failed'],
  polling: ['finished', 'failed'],
  rejected: [],
  withdrawn: [],
  expired: [],
  finished: [],
  failed: [],
};

/**
 * Why a submit job refuses the approval a request record carries (a record written by hand, or an
 * approver removed since): no approval at all, a decider who is not an approver, or the requester
 * approving their own request.
 */
export type ApprovalRefusal = { reason: 'no_approval' } | { reason: 'not_approver' | 'self_approval'; by: string };

/** The failure code of a request whose approval the submit job refused. */
export const APPROVAL_NOT_VALID = 'ApprovalNotValid';

export type ApprovalCheck = { allowed: true } | { allowed: false; reason: 'not_approver' | 'self_approval' };

/**
 * Whether `userId` may approve `request`, given whether they are an approver at all: approving
 * one's own request is what the four-eyes rule forbids unless self-approval is allowed.
 */
export function checkApprover(
  request: Pick<HbrRequest, 'requesterId'>,
  userId: string,
  isApprover: boolean,
  allowSelfApproval: boolean,
): ApprovalCheck {
  if (!isApprover) return { allowed: false, reason: 'not_approver' };
  if (request.requesterId === userId && !allowSelfApproval) return { allowed: false, reason: 'self_approval' };
  return { allowed: true };
}

/** The buttons of a pending request. */
export type DecisionAction = 'approve' | 'reject' | 'withdraw';

export type DecisionCheck =
  | { allowed: true; outcome: 'approved' | 'rejected' | 'withdrawn' }
  | { allowed: false; reason: 'not_approver' | 'self_approval' | 'not_requester' };

/**
 * What `action` by `userId` does to `request`, given whether they are an approver at all. The
 * requester may always take their own request back: Withdraw, or Reject on it, is a withdrawal;
 * approving is checkApprover's.
 */
export function checkDecision(
  request: Pick<HbrRequest, 'requesterId'>,
  userId: string,
  isApprover: boolean,
  allowSelfApproval: boolean,
  action: DecisionAction,
): DecisionCheck {
  if (action !== 'approve' && request.requesterId === userId) return { allowed: true, outcome: 'withdrawn' };
  if (action === 'withdraw') return { allowed: false, reason: 'not_requester' };
  if (action === 'reject') {
    return isApprover ? { allowed: true, outcome: 'rejected' } : { allowed: false, reason: 'not_approver' };
  }
  const approval = checkApprover(request, userId, isApprover, allowSelfApproval);
  return approval.allowed ? { allowed: true, outcome: 'approved' } : approval;
}

/**
 * The approvers (user and user-group IDs) who may decide this request: without self-approval, not
 * its requester. A group stays listed: its other members may decide. Empty when nobody can.
 */
export function eligibleApprovers(
  request: Pick<HbrRequest, 'requesterId'>,
  approvers: readonly string[],
  allowSelfApproval: boolean,
): string[] {
  return allowSelfApproval ? [...approvers] : approvers.filter((id) => id !== request.requesterId);
}
