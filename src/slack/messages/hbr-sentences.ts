/**
 * The operator wording for what HBR says about single instances: its per-instance error codes, the
 * client statuses, hbr-bot's own codes for an instance nobody knows whether HBR took, and task
 * phases. Shared by the outcome lines, the status answer and the failure words (failure-words.ts).
 */
import type { Operation } from '../../domain/operation.js';
import { SUBMISSION_UNANSWERED, SUBMISSION_UNCERTAIN } from '../../domain/outcome.js';
import type { TaskPhase } from '../../domain/request.js';
import { operationWords } from './operation-words.js';

/** Why hbr-bot cannot tell, per code: the start of the instance's sentence and the batch's progress line. */
const UNKNOWN_SUBMISSION_CAUSES: Readonly<Record<string, string>> = {
  [SUBMISSION_UNCERTAIN]: 'hbr-bot restarted while it was asking HBR',
  [SUBMISSION_UNANSWERED]:
    "hbr-bot lost HBR's answer (no answer in time, the connection was cut, or an error page came back instead)",
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
 * may word a few of them differently in its task results (OperationWords.resultSentences).
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

/** At most `max` characters of something HBR sent, never splitting a character. */
export function shorten(s: string, max = 60): string {
  const chars = Array.from(s.length > max * 2 ? s.slice(0, max * 2) : s);
  return chars.length <= max && s.length <= max * 2 ? s : `${chars.slice(0, max - 1).join('')}…`;
}

/** Why the outcome of an instance with this per-instance code is unknown; undefined for HBR's own codes. */
export function unknownSubmissionCause(code: string): string | undefined {
  return lookup(UNKNOWN_SUBMISSION_CAUSES, code);
}

/** "<cause>, so it cannot tell whether HBR took this instance, and did not ask twice". */
export function uncertainty(cause: string): string {
  return `${cause}, so it cannot tell whether HBR took this instance, and did not ask twice`;
}

/** The sentence for one of HBR's documented per-instance error codes; undefined for any other code. */
export function knownInstanceErrorSentence(code: string): string | undefined {
  return lookup(INSTANCE_ERROR_SENTENCES, code);
}

/** The operator sentence for an HBR (or hbr-bot) per-instance error code; never empty. */
export function instanceErrorSentence(code: string): string {
  if (code === '') return 'HBR refused this instance without giving a reason';
  const cause = unknownSubmissionCause(code);
  if (cause !== undefined) return `${uncertainty(cause)} — check it with /hbr-status, then request again if needed`;
  return knownInstanceErrorSentence(code) ?? `HBR refused this instance (error ${shorten(code)})`;
}

/**
 * The operator sentence for a clientStatus, known or not; never empty. With an operation, in the
 * words of that operation's task results.
 */
export function clientStatusSentence(status: string, operation?: Operation): string {
  const known =
    (operation === undefined ? undefined : lookup(operationWords(operation).resultSentences, status)) ??
    lookup(CLIENT_STATUS_SENTENCES, status);
  if (known) return known;
  const shown = status === '' ? 'an empty client status' : `client status "${shorten(status)}"`;
  return `HBR reported ${shown}, which hbr-bot does not know — check the client in the HBR console`;
}
