/**
 * What happened to each instance of a request, derived from the Install/UninstallBackupClients
 * answers (refusals) and the last DescribeTask results, judged by the request's operation
 * (operation.ts); summaries for messages. Pure.
 *
 * The sentence tables below are the operator wording for HBR's per-instance error codes and client
 * statuses. They are plain data so the HBR edge (src/hbr/errors.ts) and the status command can reuse them.
 */

import { capitalized, operationSpec, type Operation, type OperationSpec } from './operation.js';
import { isFinal } from './request.js';
import type { ClientCheck, HbrRequest, Submission, TaskPhase, TaskProgress, TaskInstanceResult } from './request.js';

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

export interface InstanceOutcome {
  instanceId: string;
  kind: InstanceOutcomeKind;
  /** HBR ErrorCode or raw clientStatus; '' if none. */
  code: string;
  /** A sentence for an operator. */
  detail: string;
}

// ---------------------------------------------------------------------------------------------
// Wording tables

/**
 * hbr-bot's own per-instance codes for an instance nobody knows whether HBR took: asking again
 * could run the operation twice, so it was not asked again and its outcome is 'unknown'.
 * SUBMISSION_UNCERTAIN: a process died while HBR was being asked about it.
 * SUBMISSION_UNANSWERED: HBR was asked, but its answer was lost (see AlibabaApiError.outcomeUnknown).
 */
export const SUBMISSION_UNCERTAIN = 'SubmissionUncertain';
export const SUBMISSION_UNANSWERED = 'SubmissionUnanswered';

/** Why hbr-bot cannot tell, per code: the start of the instance's sentence and the batch's progress line. */
const UNKNOWN_SUBMISSION_CAUSES: Readonly<Record<string, string>> = {
  [SUBMISSION_UNCERTAIN]: 'hbr-bot restarted while it was asking HBR',
  [SUBMISSION_UNANSWERED]: "hbr-bot lost HBR's answer (no answer in time, the connection was cut, or an error page came back instead)",
};

/** InstallBackupClients InstanceStatuses[].ErrorCode (also seen as a task result errorCode). */
export const INSTANCE_ERROR_SENTENCES: Readonly<Record<string, string>> = {
  InstanceNotExists: 'no such instance in this region — check the ID and the --region',
  InstanceNotRunning: 'instance is not running — start it and request again',
  CloudAssistNotRunningOnInstance:
    'the Cloud Assistant agent is not online on the instance — start or install it, then request again',
};

/**
 * The clientStatus values known for ECS clients (hbr-api.md), as DescribeTask and
 * DescribeBackupClients report them: what the state means, and what to do about it. An operation
 * may word a few of them differently in its task results (OperationSpec.resultSentences).
 */
export const CLIENT_STATUS_SENTENCES: Readonly<Record<string, string>> = {
  ACTIVATED: 'backup client installed and active',
  INSTALLING: 'HBR is installing the backup client',
  REGISTERED: 'backup client registered, not yet active',
  UPGRADING: 'HBR is upgrading the backup client',
  UNINSTALLING: 'HBR is uninstalling the backup client',
  INSTALL_FAILED: 'installation failed — check the Cloud Assistant command output on the instance, then request again',
  NOT_INSTALLED: 'backup client is not installed — request it with /hbr-install',
  DEACTIVATED: 'backup client is installed but deactivated — activate it in the HBR console',
  UNKNOWN: 'HBR cannot tell the state of the client (no heartbeat) — check the instance can reach HBR',
  UPGRADE_FAILED: 'a client upgrade failed — retry it from the HBR console',
  UNINSTALL_FAILED: 'an earlier uninstall failed — clean it up in the HBR console, then request again',
  STOPPED: 'backup client is stopped — start the HBR client service on the instance',
};

/** What a task phase means for an instance the task said nothing about. */
export const TASK_PHASE_WORDS: Readonly<Record<TaskPhase, string>> = {
  running: 'is still running',
  completed: 'completed',
  failed: 'failed',
  expired: 'expired',
  cancelled: 'was cancelled',
  timed_out: 'timed out',
};

/** A table's own entry for `key`: a value from HBR such as "constructor" must not find Object's. */
function lookup(table: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Why the outcome of an instance with this per-instance code is unknown; undefined for HBR's own codes. */
export function unknownSubmissionCause(code: string): string | undefined {
  return lookup(UNKNOWN_SUBMISSION_CAUSES, code);
}

/** An outcome code naming an unknown submission, alone or followed by the client status HBR showed. */
function isUncertainCode(code: string): boolean {
  return unknownSubmissionCause(code.split(' ')[0] ?? '') !== undefined;
}

function uncertainty(cause: string): string {
  return `${cause}, so it cannot tell whether HBR took this instance, and did not ask twice`;
}

/** The operator sentence for an HBR (or hbr-bot) per-instance error code; never empty. */
export function instanceErrorSentence(code: string): string {
  if (code === '') return 'HBR refused this instance without giving a reason';
  const cause = unknownSubmissionCause(code);
  if (cause !== undefined) return `${uncertainty(cause)} — check it with /hbr-status, then request again if needed`;
  return lookup(INSTANCE_ERROR_SENTENCES, code) ?? `HBR refused this instance (error ${shorten(code)})`;
}

/**
 * The operator sentence for a clientStatus, known or not; never empty. With an operation, in the
 * words of that operation's task results.
 */
export function clientStatusSentence(status: string, operation?: Operation): string {
  const known =
    (operation === undefined ? undefined : lookup(operationSpec(operation).resultSentences, status)) ??
    lookup(CLIENT_STATUS_SENTENCES, status);
  if (known) return known;
  const shown = status === '' ? 'an empty client status' : `client status "${shorten(status)}"`;
  return `HBR reported ${shown}, which hbr-bot does not know — check the client in the HBR console`;
}

function shorten(s: string, max = 60): string {
  const chars = Array.from(s.length > max * 2 ? s.slice(0, max * 2) : s);
  return chars.length <= max && s.length <= max * 2 ? s : `${chars.slice(0, max - 1).join('')}…`;
}

// ---------------------------------------------------------------------------------------------
// Per-instance outcomes

function outcome(instanceId: string, kind: InstanceOutcomeKind, code: string, detail: string): InstanceOutcome {
  return { instanceId, kind, code, detail };
}

function fromResult(spec: OperationSpec, instanceId: string, result: TaskInstanceResult, task: TaskProgress): InstanceOutcome {
  const status = result.clientStatus;
  const errorCode = result.errorCode ?? '';
  const sentence = clientStatusSentence(status, spec.operation);
  if (status === spec.targetStatus) {
    return outcome(instanceId, 'succeeded', '', sentence);
  }
  if (spec.failureStatuses.has(status)) {
    const detail = lookup(INSTANCE_ERROR_SENTENCES, errorCode) ?? sentence;
    // Both: the status says what failed, the error code says why.
    return outcome(instanceId, 'failed', errorCode === '' ? status : `${status} ${errorCode}`, detail);
  }
  if (spec.inProgressStatuses.has(status)) {
    if (task.phase === 'running') return outcome(instanceId, 'in_progress', status, sentence);
    return ended(instanceId, task, status, `HBR still reported ${status} when task ${task.taskId} ${TASK_PHASE_WORDS[task.phase]}`);
  }
  return outcome(instanceId, 'unknown', status, sentence);
}

/** An instance whose task ended without a final status for it. */
function ended(instanceId: string, task: TaskProgress, code: string, what: string): InstanceOutcome {
  if (task.phase === 'timed_out') {
    return outcome(instanceId, 'timed_out', code, `${what} — hbr-bot stopped waiting; check the instance in the HBR console`);
  }
  return outcome(instanceId, 'failed', code, what);
}

function fromSubmission(request: HbrRequest, instanceId: string, submission: Submission): InstanceOutcome {
  const spec = operationSpec(request.operation);
  const answer = submission.instances.find((s) => s.instanceId === instanceId);
  if (answer && !answer.valid) {
    const cause = unknownSubmissionCause(answer.errorCode);
    if (cause === undefined) return outcome(instanceId, 'refused', answer.errorCode, instanceErrorSentence(answer.errorCode));
    return request.clientCheck === null
      ? outcome(instanceId, 'unknown', answer.errorCode, instanceErrorSentence(answer.errorCode))
      : checkedOutcome(spec, instanceId, answer.errorCode, cause, request.clientCheck);
  }
  const finalRequest = isFinal(request.status);
  if (submission.taskId === null) {
    return finalRequest
      ? outcome(instanceId, 'failed', '', `HBR accepted the call but started no ${spec.verb} task for this instance`)
      : outcome(instanceId, 'in_progress', '', `sent to HBR, no ${spec.verb} task yet`);
  }
  const task = request.tasks.find((t) => t.taskId === submission.taskId);
  if (!task) {
    return finalRequest
      ? outcome(instanceId, 'failed', '', `hbr-bot never got a status for HBR task ${submission.taskId}`)
      : outcome(instanceId, 'in_progress', '', `sent to HBR (task ${submission.taskId}), first status check pending`);
  }
  // Later entries are newer if a result ever lists an instance twice.
  const result = [...task.results].reverse().find((r) => r.instanceId === instanceId);
  if (result) return fromResult(spec, instanceId, result, task);
  if (task.phase === 'running') {
    const percent = task.progress >= 0 ? `, ${Math.min(100, Math.round(task.progress))}%` : '';
    return outcome(instanceId, 'in_progress', '', `HBR is working on it (task ${task.taskId}${percent})`);
  }
  return ended(instanceId, task, '', `HBR task ${task.taskId} ${TASK_PHASE_WORDS[task.phase]} without a result for this instance`);
}

/**
 * An instance whose submission is unknown, with what HBR's client list showed when the request
 * ended. HBR showing the operation's target state counts as done (the state the operator asked
 * for is there, whoever brought it); anything else stays unknown, with the status shown.
 */
function checkedOutcome(spec: OperationSpec, instanceId: string, code: string, cause: string, check: ClientCheck): InstanceOutcome {
  if (check.error !== null) {
    return outcome(instanceId, 'unknown', code, `${uncertainty(cause)}, and could not check afterwards (${check.error}) — check it with /hbr-status, then request again if needed`);
  }
  const shown = lookup(check.statuses, instanceId);
  // No client listed: for an uninstall that is the target; for an install HBR may not list it yet.
  const status = shown ?? 'NOT_INSTALLED';
  const withStatus = shown === undefined ? code : `${code} ${shown}`;
  if (status === spec.targetStatus) {
    return outcome(instanceId, 'succeeded', withStatus, `${clientStatusSentence(status, spec.operation)}, as HBR showed at the end (${uncertainty(cause)})`);
  }
  const now = shown === undefined ? 'HBR listed no backup client for it' : `HBR showed: ${clientStatusSentence(status, spec.operation)}`;
  return outcome(instanceId, 'unknown', withStatus, `${uncertainty(cause)}; at the end ${now} — check it again with /hbr-status, then request again if needed`);
}

/** Instances HBR may or may not have taken (a process died while asking, or its answer was lost). */
export function uncertainInstanceIds(request: HbrRequest): string[] {
  return request.submissions.flatMap((s) => s.instances.filter((i) => !i.valid && unknownSubmissionCause(i.errorCode) !== undefined).map((i) => i.instanceId));
}

/** One outcome per `request.instanceIds`, in the same order. */
export function instanceOutcomes(request: HbrRequest): InstanceOutcome[] {
  const submissionOf = new Map<string, Submission>();
  for (const submission of request.submissions) {
    for (const id of submission.instanceIds) if (!submissionOf.has(id)) submissionOf.set(id, submission);
    // An instance HBR answered for but that is missing from instanceIds still belongs here.
    for (const s of submission.instances) if (!submissionOf.has(s.instanceId)) submissionOf.set(s.instanceId, submission);
  }
  return request.instanceIds.map((instanceId) => {
    const submission = submissionOf.get(instanceId);
    if (submission) return fromSubmission(request, instanceId, submission);
    if (isFinal(request.status)) {
      const why = request.failure
        ? `not sent to HBR: the request failed first (${shorten(request.failure.code)})`
        : 'never sent to HBR';
      return outcome(instanceId, 'not_submitted', '', why);
    }
    return outcome(instanceId, 'waiting', '', 'waiting to be sent to HBR');
  });
}

// ---------------------------------------------------------------------------------------------
// Summaries

export interface OutcomeSummary {
  total: number;
  succeeded: number;
  /** failed + refused + timed_out + unknown + not_submitted */
  failed: number;
  /** Of `failed`: instances HBR may or may not have taken (never asked twice), to be checked. */
  uncertain: number;
  /** waiting + in_progress */
  inProgress: number;
  byKind: Record<InstanceOutcomeKind, number>;
}

export function summarize(outcomes: readonly InstanceOutcome[]): OutcomeSummary {
  const byKind: Record<InstanceOutcomeKind, number> = {
    waiting: 0,
    in_progress: 0,
    succeeded: 0,
    failed: 0,
    refused: 0,
    timed_out: 0,
    unknown: 0,
    not_submitted: 0,
  };
  for (const o of outcomes) byKind[o.kind]++;
  return {
    total: outcomes.length,
    succeeded: byKind.succeeded,
    failed: byKind.failed + byKind.refused + byKind.timed_out + byKind.unknown + byKind.not_submitted,
    uncertain: outcomes.filter((o) => o.kind === 'unknown' && isUncertainCode(o.code)).length,
    inProgress: byKind.waiting + byKind.in_progress,
    byKind,
  };
}

/**
 * "Installed on all 3", "Installed on 18 of 20 — 2 failed", "… — 1 failed, 1 unknown", while
 * running "Installing: 5 of 20 done" (plus " — 1 failed" once something has failed); for an
 * uninstall "Uninstalled from all 3", "Uninstalling: 5 of 20 done". Unknown instances are named
 * apart: they may well be installed, and the operator checks them rather than requests again.
 */
export function summaryLine(summary: OutcomeSummary, operation: Operation): string {
  const { total, succeeded, failed, uncertain, inProgress } = summary;
  const spec = operationSpec(operation);
  const done = `${capitalized(spec.pastTense)} ${spec.preposition}`;
  const problems = [failed - uncertain > 0 ? `${failed - uncertain} failed` : '', uncertain > 0 ? `${uncertain} unknown` : '']
    .filter((part) => part !== '')
    .join(', ');
  const tail = problems === '' ? '' : ` — ${problems}`;
  if (total === 0) return 'No instances';
  if (inProgress > 0) return `${capitalized(spec.progressive)}: ${total - inProgress} of ${total} done${tail}`;
  if (succeeded === total) return total === 1 ? `${done} 1 of 1` : `${done} all ${total}`;
  return `${done} ${succeeded} of ${total}${tail}`;
}

export interface RequestSummary {
  outcomes: InstanceOutcome[];
  summary: OutcomeSummary;
  /** summaryLine() of the request's operation. */
  line: string;
}

/** A request's outcomes, their counts and its summary line in one go. */
export function requestSummary(request: HbrRequest): RequestSummary {
  const outcomes = instanceOutcomes(request);
  const summary = summarize(outcomes);
  return { outcomes, summary, line: summaryLine(summary, request.operation) };
}

/** Every submission that started a task has a last known state other than running. */
export function allTasksEnded(request: HbrRequest): boolean {
  return request.submissions.every((submission) => {
    if (submission.taskId === null) return true;
    const task = request.tasks.find((t) => t.taskId === submission.taskId);
    return task !== undefined && task.phase !== 'running';
  });
}
