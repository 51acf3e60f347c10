/**
 * Builders for request records in every stage, for the outcome and message tests.
 */
import { chunk } from '../../src/domain/instance-ids.js';
import type { Operation } from '../../src/domain/operation.js';
import type {
  Decision,
  HbrRequest,
  RequestStatus,
  SlackMessageRef,
  Submission,
  TaskInstanceResult,
  TaskPhase,
  TaskProgress,
} from '../../src/domain/request.js';
import { newRequest } from '../../src/domain/request.js';

export const T0 = Date.UTC(2025, 0, 15, 9, 30, 0);
export const REQUESTER = 'U0REQUESTER';
export const APPROVER = 'U0APPROVER';

/** `n` distinct, valid instance IDs (i- + 20 characters). */
export function instanceIds(n: number, prefix = 'bp1'): string[] {
  return Array.from({ length: n }, (_, k) => `i-${prefix}${String(k).padStart(20 - prefix.length, '0')}`);
}

export function pendingRequest(n: number, region = 'cn-hangzhou', operation: Operation = 'install'): HbrRequest {
  return newRequest({
    id: 'rabcdefghijkm',
    operation,
    requesterId: REQUESTER,
    originChannel: 'C0CHANNEL',
    region,
    instanceIds: instanceIds(n),
    now: T0,
    approvalTtlMs: 60 * 60 * 1000,
  });
}

/** Where a request's message was posted. */
export const REQUEST_MESSAGE: SlackMessageRef = { channel: 'C0CHANNEL', ts: '1736933400.000100' };

/** The request with its request message posted and recorded. */
export function posted(request: HbrRequest): HbrRequest {
  return { ...request, message: REQUEST_MESSAGE };
}

const APPROVED: Decision = { outcome: 'approved', by: APPROVER, at: T0 + 5 * 60_000 };

export function withStatus(request: HbrRequest, status: RequestStatus, extra: Partial<HbrRequest> = {}): HbrRequest {
  const decision: Decision | null =
    status === 'pending'
      ? null
      : status === 'rejected'
        ? { outcome: 'rejected', by: APPROVER, at: T0 + 60_000 }
        : status === 'withdrawn'
          ? { outcome: 'withdrawn', by: request.requesterId, at: T0 + 60_000 }
          : status === 'expired'
            ? { outcome: 'expired', by: null, at: request.expiresAt }
            : APPROVED;
  return { ...request, status, decision, ...extra };
}

/**
 * Submissions for the request's IDs in chunks of 20; `refused` maps an ID to the ErrorCode HBR
 * gave it at once. `upTo` limits how many chunks were submitted.
 */
export function submit(request: HbrRequest, refused: Record<string, string> = {}, upTo = Infinity): HbrRequest {
  const submissions: Submission[] = chunk(request.instanceIds, 20)
    .slice(0, upTo)
    .map((ids, index) => {
      const instances = ids.map((instanceId) => ({
        instanceId,
        valid: refused[instanceId] === undefined,
        errorCode: refused[instanceId] ?? '',
      }));
      return {
        index,
        instanceIds: ids,
        taskId: instances.some((i) => i.valid) ? `t-task${index}` : null,
        hbrRequestId: `REQ-${index}`,
        instances,
        submittedAt: T0 + 6 * 60_000,
      };
    });
  return { ...request, submissions };
}

/**
 * A DescribeTask state for every submission with a task. `result` gives an instance's status and
 * error code, or null for no result.
 */
export function poll(
  request: HbrRequest,
  phase: TaskPhase,
  result: (id: string) => { clientStatus: string; errorCode?: string } | null,
  progress = phase === 'running' ? 40 : 100,
): HbrRequest {
  const tasks: TaskProgress[] = request.submissions
    .filter((s): s is Submission & { taskId: string } => s.taskId !== null)
    .map((s) => ({
      taskId: s.taskId,
      phase,
      progress,
      results: s.instances
        .filter((i) => i.valid)
        .flatMap((i): TaskInstanceResult[] => {
          const r = result(i.instanceId);
          return r === null
            ? []
            : [
                {
                  instanceId: i.instanceId,
                  clientId: `c-${i.instanceId.slice(2)}`,
                  clientStatus: r.clientStatus,
                  errorCode: r.errorCode ?? '',
                },
              ];
        }),
      polledAt: T0 + 10 * 60_000,
      polls: 3,
    }));
  return { ...request, tasks };
}
