/**
 * What happened to each instance of a request, derived from the InstallBackupClients answers
 * (refusals) and the last DescribeTask results; summaries for messages. Pure.
 *
 * The sentence tables below are the operator wording for HBR's per-instance error codes and client
 * statuses. They are plain data so the HBR edge (src/hbr/errors.ts) can reuse them.
 */

import { isFinal } from './request.js';
import type { InstallRequest, Submission, TaskPhase, TaskProgress, TaskInstanceResult } from './request.js';

export type InstanceOutcomeKind =
  | 'waiting'
  | 'installing'
  | 'installed'
  | 'failed'
  | 'refused'
  | 'timed_out'
  | 'unknown'
  | 'not_submitted';

export const OUTCOME_KINDS: readonly InstanceOutcomeKind[] = [
  'installed',
  'installing',
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

/** InstallBackupClients InstanceStatuses[].ErrorCode (also seen as a task result errorCode). */
export const INSTANCE_ERROR_SENTENCES: Readonly<Record<string, string>> = {
  InstanceNotExists: 'no such instance in this region — check the ID and the --region',
  InstanceNotRunning: 'instance is not running — start it and request again',
  CloudAssistNotRunningOnInstance:
    'the Cloud Assistant agent is not online on the instance — start or install it, then request again',
};

/** DescribeTask Result[].clientStatus values known for ECS clients (hbr-api.md). */
export const CLIENT_STATUS_SENTENCES: Readonly<Record<string, string>> = {
  ACTIVATED: 'backup client installed and active',
  INSTALLING: 'HBR is installing the backup client',
  REGISTERED: 'backup client registered, not yet active',
  UPGRADING: 'HBR is upgrading the backup client',
  UNINSTALLING: 'HBR is uninstalling the backup client',
  INSTALL_FAILED: 'installation failed — check the Cloud Assistant command output on the instance, then request again',
  NOT_INSTALLED: 'backup client is not installed — HBR did not get to install it',
  DEACTIVATED: 'backup client is installed but deactivated — activate it in the HBR console',
  UNKNOWN: 'HBR cannot tell the state of the client (no heartbeat) — check the instance can reach HBR',
  UPGRADE_FAILED: 'a client upgrade failed — retry it from the HBR console',
  UNINSTALL_FAILED: 'an earlier uninstall failed — clean it up in the HBR console, then request again',
  STOPPED: 'backup client is stopped — start the HBR client service on the instance',
};

/** The statuses that end an install well. */
export const SUCCESS_CLIENT_STATUSES: ReadonlySet<string> = new Set(['ACTIVATED']);

/** Statuses that say work is still under way; if the task has ended they mean it never finished. */
export const IN_PROGRESS_CLIENT_STATUSES: ReadonlySet<string> = new Set([
  'INSTALLING',
  'REGISTERED',
  'UPGRADING',
  'UNINSTALLING',
]);

/** Statuses that mean the install did not work. */
export const FAILED_CLIENT_STATUSES: ReadonlySet<string> = new Set([
  'INSTALL_FAILED',
  'NOT_INSTALLED',
  'DEACTIVATED',
  'UNKNOWN',
  'UPGRADE_FAILED',
  'UNINSTALL_FAILED',
  'STOPPED',
]);

/** What a task phase means for an instance the task said nothing about. */
export const TASK_PHASE_WORDS: Readonly<Record<TaskPhase, string>> = {
  running: 'is still running',
  completed: 'completed',
  failed: 'failed',
  expired: 'expired',
  cancelled: 'was cancelled',
  timed_out: 'timed out',
};

/** The operator sentence for an HBR per-instance error code; never empty. */
export function instanceErrorSentence(code: string): string {
  if (code === '') return 'HBR refused this instance without giving a reason';
  return INSTANCE_ERROR_SENTENCES[code] ?? `HBR refused this instance (error ${shorten(code)})`;
}

/** The operator sentence for a clientStatus, known or not; never empty. */
export function clientStatusSentence(status: string): string {
  const known = CLIENT_STATUS_SENTENCES[status];
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

function fromResult(instanceId: string, result: TaskInstanceResult, task: TaskProgress): InstanceOutcome {
  const status = result.clientStatus;
  const errorCode = result.errorCode ?? '';
  if (SUCCESS_CLIENT_STATUSES.has(status)) {
    return outcome(instanceId, 'installed', '', clientStatusSentence(status));
  }
  if (FAILED_CLIENT_STATUSES.has(status)) {
    const detail = INSTANCE_ERROR_SENTENCES[errorCode] ?? clientStatusSentence(status);
    // Both: the status says what failed, the error code says why.
    return outcome(instanceId, 'failed', errorCode === '' ? status : `${status} ${errorCode}`, detail);
  }
  if (IN_PROGRESS_CLIENT_STATUSES.has(status)) {
    if (task.phase === 'running') return outcome(instanceId, 'installing', status, clientStatusSentence(status));
    return ended(instanceId, task, status, `HBR still reported ${status} when task ${task.taskId} ${TASK_PHASE_WORDS[task.phase]}`);
  }
  return outcome(instanceId, 'unknown', status, clientStatusSentence(status));
}

/** An instance whose task ended without a final status for it. */
function ended(instanceId: string, task: TaskProgress, code: string, what: string): InstanceOutcome {
  if (task.phase === 'timed_out') {
    return outcome(instanceId, 'timed_out', code, `${what} — hbr-bot stopped waiting; check the instance in the HBR console`);
  }
  return outcome(instanceId, 'failed', code, what);
}

function fromSubmission(request: InstallRequest, instanceId: string, submission: Submission): InstanceOutcome {
  const answer = submission.instances.find((s) => s.instanceId === instanceId);
  if (answer && !answer.valid) {
    return outcome(instanceId, 'refused', answer.errorCode, instanceErrorSentence(answer.errorCode));
  }
  const finalRequest = isFinal(request.status);
  if (submission.taskId === null) {
    return finalRequest
      ? outcome(instanceId, 'failed', '', 'HBR accepted the call but started no install task for this instance')
      : outcome(instanceId, 'installing', '', 'sent to HBR, no install task yet');
  }
  const task = request.tasks.find((t) => t.taskId === submission.taskId);
  if (!task) {
    return finalRequest
      ? outcome(instanceId, 'failed', '', `hbr-bot never got a status for HBR task ${submission.taskId}`)
      : outcome(instanceId, 'installing', '', `sent to HBR (task ${submission.taskId}), first status check pending`);
  }
  // Later entries are newer if a result ever lists an instance twice.
  const result = [...task.results].reverse().find((r) => r.instanceId === instanceId);
  if (result) return fromResult(instanceId, result, task);
  if (task.phase === 'running') {
    const percent = task.progress >= 0 ? `, ${Math.min(100, Math.round(task.progress))}%` : '';
    return outcome(instanceId, 'installing', '', `HBR is working on it (task ${task.taskId}${percent})`);
  }
  return ended(instanceId, task, '', `HBR task ${task.taskId} ${TASK_PHASE_WORDS[task.phase]} without a result for this instance`);
}

/** One outcome per `request.instanceIds`, in the same order. */
export function instanceOutcomes(request: InstallRequest): InstanceOutcome[] {
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
  installed: number;
  /** failed + refused + timed_out + unknown + not_submitted */
  failed: number;
  /** waiting + installing */
  inProgress: number;
  byKind: Record<InstanceOutcomeKind, number>;
}

export function summarize(outcomes: readonly InstanceOutcome[]): OutcomeSummary {
  const byKind: Record<InstanceOutcomeKind, number> = {
    waiting: 0,
    installing: 0,
    installed: 0,
    failed: 0,
    refused: 0,
    timed_out: 0,
    unknown: 0,
    not_submitted: 0,
  };
  for (const o of outcomes) byKind[o.kind]++;
  return {
    total: outcomes.length,
    installed: byKind.installed,
    failed: byKind.failed + byKind.refused + byKind.timed_out + byKind.unknown + byKind.not_submitted,
    inProgress: byKind.waiting + byKind.installing,
    byKind,
  };
}

/**
 * "Installed on all 3", "Installed on 18 of 20 — 2 failed", while running
 * "Installing: 5 of 20 done" (plus " — 1 failed" once something has failed).
 */
export function summaryLine(summary: OutcomeSummary): string {
  const { total, installed, failed, inProgress } = summary;
  if (total === 0) return 'No instances';
  if (inProgress > 0) {
    const done = total - inProgress;
    return `Installing: ${done} of ${total} done${failed > 0 ? ` — ${failed} failed` : ''}`;
  }
  if (installed === total) return total === 1 ? 'Installed on 1 of 1' : `Installed on all ${total}`;
  return `Installed on ${installed} of ${total} — ${failed} failed`;
}

/** Every submission that started a task has a last known state other than running. */
export function allTasksEnded(request: InstallRequest): boolean {
  return request.submissions.every((submission) => {
    if (submission.taskId === null) return true;
    const task = request.tasks.find((t) => t.taskId === submission.taskId);
    return task !== undefined && task.phase !== 'running';
  });
}
