/**
 * What happened to each instance of a request, derived from the Install/UninstallBackupClients
 * answers (refusals) and the last DescribeTask results, judged by the request's operation
 * (operation.ts), and counted. Pure, and without words: an outcome holds its kind, HBR's code and
 * the facts behind it (OutcomeReason); slack/messages/outcome-text.ts words them.
 */

import { type OperationSpec, operationSpec } from './operation.js';
import type { ClientCheck, HbrRequest, Submission, TaskInstanceResult, TaskPhase, TaskProgress } from './request.js';
import { isFinal } from './request.js';

/** `succeeded`: the operation reached its target status; `in_progress`: HBR is still at it. */
export type InstanceOutcomeKind =
  | 'waiting'
  | 'in_progress'
  | 'succeeded'
  | 'failed'
  | 'refused'
  | 'timed_out'
  | 'unknown'
  | 'not_submitted';

export const OUTCOME_KINDS: readonly InstanceOutcomeKind[] = [
  'succeeded',
  'in_progress',
  'waiting',
  'refused',
  'failed',
  'timed_out',
  'unknown',
  'not_submitted',
];

/**
 * hbr-bot's own per-instance codes for an instance nobody knows whether HBR took: asking again
 * could run the operation twice, so it was not asked again and its outcome is 'unknown'.
 * SUBMISSION_UNCERTAIN: a process died while HBR was being asked about it.
 * SUBMISSION_UNANSWERED: HBR was asked, but its answer was lost (see AlibabaApiError.outcomeUnknown).
 */
export const SUBMISSION_UNCERTAIN = 'SubmissionUncertain';
export const SUBMISSION_UNANSWERED = 'SubmissionUnanswered';

/** Whether a per-instance code is one of hbr-bot's own codes for an unknown submission. */
function isUnknownSubmissionCode(code: string): boolean {
  return code === SUBMISSION_UNCERTAIN || code === SUBMISSION_UNANSWERED;
}

/**
 * What HBR's client list showed at the request's end for an instance whose submission is unknown:
 * `error` when HBR could not be asked (its explanation), else the status (`listed` false: HBR
 * listed no client, read as NOT_INSTALLED).
 */
export type UnknownSubmissionCheck = { error: string } | { status: string; listed: boolean };

/** The facts an outcome's sentence is made of. */
export type OutcomeReason =
  /** The last task result for the instance: its client status and error code ('' if none). */
  | { type: 'client_status'; status: string; errorCode: string }
  /** A status HBR was still changing when the task ended (or hbr-bot stopped waiting). */
  | { type: 'unfinished_status'; status: string; taskId: string; phase: TaskPhase }
  /** HBR refused the instance when asked: its per-instance ErrorCode ('' when it gave none). */
  | { type: 'refused'; errorCode: string }
  /** Nobody knows whether HBR took the instance (`code` says why); `check`: what HBR showed at the end, if looked up. */
  | { type: 'unknown_submission'; code: string; check: UnknownSubmissionCheck | null }
  /** HBR accepted the call but started no task. */
  | { type: 'no_task' }
  /** The instance's task has no status yet. */
  | { type: 'task_not_polled'; taskId: string }
  /** The instance's task runs and said nothing about it yet; progress -1 when HBR reports none. */
  | { type: 'task_running'; taskId: string; progress: number }
  /** The instance's task ended without a result for it. */
  | { type: 'no_result'; taskId: string; phase: TaskPhase }
  /** Never sent to HBR; `failureCode`: the failure that ended the request first, if any. */
  | { type: 'not_sent'; failureCode: string | null }
  /** Not sent to HBR yet. */
  | { type: 'waiting' };

export interface InstanceOutcome {
  instanceId: string;
  kind: InstanceOutcomeKind;
  /** HBR ErrorCode or raw clientStatus; '' if none. */
  code: string;
  reason: OutcomeReason;
}

// ---------------------------------------------------------------------------------------------
// Per-instance outcomes

function outcome(instanceId: string, kind: InstanceOutcomeKind, code: string, reason: OutcomeReason): InstanceOutcome {
  return { instanceId, kind, code, reason };
}

function fromResult(
  spec: OperationSpec,
  instanceId: string,
  result: TaskInstanceResult,
  task: TaskProgress,
): InstanceOutcome {
  const status = result.clientStatus;
  // Stryker disable next-line StringLiteral: errorCode is typed string; the fallback only guards a stored record that lacks it
  const errorCode = result.errorCode ?? '';
  const reason: OutcomeReason = { type: 'client_status', status, errorCode };
  if (status === spec.targetStatus) {
    return outcome(instanceId, 'succeeded', '', reason);
  }
  if (spec.failureStatuses.has(status)) {
    // Both: the status says what failed, the error code says why.
    return outcome(instanceId, 'failed', errorCode === '' ? status : `${status} ${errorCode}`, reason);
  }
  if (spec.inProgressStatuses.has(status)) {
    if (task.phase === 'running') return outcome(instanceId, 'in_progress', status, reason);
    return ended(instanceId, task, status, {
      type: 'unfinished_status',
      status,
      taskId: task.taskId,
      phase: task.phase,
    });
  }
  return outcome(instanceId, 'unknown', status, reason);
}

/** An instance whose task ended without a final status for it. */
function ended(instanceId: string, task: TaskProgress, code: string, reason: OutcomeReason): InstanceOutcome {
  return outcome(instanceId, task.phase === 'timed_out' ? 'timed_out' : 'failed', code, reason);
}

function fromSubmission(request: HbrRequest, instanceId: string, submission: Submission): InstanceOutcome {
  const spec = operationSpec(request.operation);
  const answer = submission.instances.find((s) => s.instanceId === instanceId);
  if (answer && !answer.valid) {
    if (!isUnknownSubmissionCode(answer.errorCode)) {
      return outcome(instanceId, 'refused', answer.errorCode, { type: 'refused', errorCode: answer.errorCode });
    }
    return request.clientCheck === null
      ? outcome(instanceId, 'unknown', answer.errorCode, {
          type: 'unknown_submission',
          code: answer.errorCode,
          check: null,
        })
      : checkedOutcome(spec, instanceId, answer.errorCode, request.clientCheck);
  }
  const finalRequest = isFinal(request.status);
  if (submission.taskId === null) {
    return outcome(instanceId, finalRequest ? 'failed' : 'in_progress', '', { type: 'no_task' });
  }
  const task = request.tasks.find((t) => t.taskId === submission.taskId);
  if (!task) {
    return outcome(instanceId, finalRequest ? 'failed' : 'in_progress', '', {
      type: 'task_not_polled',
      taskId: submission.taskId,
    });
  }
  // Later entries are newer if a result ever lists an instance twice.
  const result = [...task.results].reverse().find((r) => r.instanceId === instanceId);
  if (result) return fromResult(spec, instanceId, result, task);
  if (task.phase === 'running') {
    return outcome(instanceId, 'in_progress', '', {
      type: 'task_running',
      taskId: task.taskId,
      progress: task.progress,
    });
  }
  return ended(instanceId, task, '', { type: 'no_result', taskId: task.taskId, phase: task.phase });
}

/**
 * An instance whose submission is unknown, with what HBR's client list showed when the request
 * ended. HBR showing the operation's target state counts as done (the state the operator asked
 * for is there, whoever brought it); anything else stays unknown, with the status shown.
 */
function checkedOutcome(spec: OperationSpec, instanceId: string, code: string, check: ClientCheck): InstanceOutcome {
  if (check.error !== null) {
    return outcome(instanceId, 'unknown', code, { type: 'unknown_submission', code, check: { error: check.error } });
  }
  const shown = Object.hasOwn(check.statuses, instanceId) ? check.statuses[instanceId] : undefined;
  // No client listed: for an uninstall that is the target; for an install HBR may not list it yet.
  const status = shown ?? 'NOT_INSTALLED';
  const reason: OutcomeReason = { type: 'unknown_submission', code, check: { status, listed: shown !== undefined } };
  const withStatus = shown === undefined ? code : `${code} ${shown}`;
  return outcome(instanceId, status === spec.targetStatus ? 'succeeded' : 'unknown', withStatus, reason);
}

/** Instances HBR may or may not have taken (a process died while asking, or its answer was lost). */
export function uncertainInstanceIds(request: HbrRequest): string[] {
  return request.submissions.flatMap((s) =>
    s.instances.filter((i) => !i.valid && isUnknownSubmissionCode(i.errorCode)).map((i) => i.instanceId),
  );
}

/** One outcome per `request.instanceIds`, in the same order. */
export function instanceOutcomes(request: HbrRequest): InstanceOutcome[] {
  const submissionOf = new Map<string, Submission>();
  for (const submission of request.submissions) {
    for (const id of submission.instanceIds) if (!submissionOf.has(id)) submissionOf.set(id, submission);
    // An instance HBR answered for but that is missing from instanceIds still belongs here.
    for (const s of submission.instances)
      if (!submissionOf.has(s.instanceId)) submissionOf.set(s.instanceId, submission);
  }
  return request.instanceIds.map((instanceId) => {
    const submission = submissionOf.get(instanceId);
    if (submission) return fromSubmission(request, instanceId, submission);
    if (isFinal(request.status)) {
      return outcome(instanceId, 'not_submitted', '', { type: 'not_sent', failureCode: request.failure?.code ?? null });
    }
    return outcome(instanceId, 'waiting', '', { type: 'waiting' });
  });
}

// ---------------------------------------------------------------------------------------------
// Summaries

/** How many instances came to one kind of outcome. */
export interface OutcomeCount {
  kind: InstanceOutcomeKind;
  count: number;
}

/**
 * A request's outcomes counted once, for every headline, breakdown and audit line: each instance is
 * in exactly one kind, so the counts always add up to `total`.
 */
export interface OutcomeSummary {
  total: number;
  succeeded: number;
  /** waiting + in_progress */
  inProgress: number;
  byKind: Record<InstanceOutcomeKind, number>;
  /** The kinds with at least one instance, in OUTCOME_KINDS order. */
  tally: OutcomeCount[];
}

export function summarize(outcomes: readonly InstanceOutcome[]): OutcomeSummary {
  const byKind = Object.fromEntries(OUTCOME_KINDS.map((kind) => [kind, 0])) as Record<InstanceOutcomeKind, number>;
  for (const o of outcomes) byKind[o.kind]++;
  return {
    total: outcomes.length,
    succeeded: byKind.succeeded,
    inProgress: byKind.waiting + byKind.in_progress,
    byKind,
    tally: OUTCOME_KINDS.filter((kind) => byKind[kind] > 0).map((kind) => ({ kind, count: byKind[kind] })),
  };
}

/** Every submission that started a task has a last known state other than running. */
export function allTasksEnded(request: HbrRequest): boolean {
  return request.submissions.every((submission) => {
    if (submission.taskId === null) return true;
    const task = request.tasks.find((t) => t.taskId === submission.taskId);
    return task !== undefined && task.phase !== 'running';
  });
}
