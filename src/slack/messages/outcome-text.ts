/**
 * How instance outcomes read in messages: the sentence for each outcome's facts, labels (in the
 * words of the request's operation), emoji, the summary line, count lines and groups of instances
 * that share a fate. Shared by the progress, result, request and show messages and the audit
 * trail, so every one of them counts with the same words from the same tally.
 */

import type { Operation } from '../../domain/operation.js';
import {
  type InstanceOutcome,
  type InstanceOutcomeKind,
  instanceOutcomes,
  type OutcomeCount,
  type OutcomeSummary,
  summarize,
} from '../../domain/outcome.js';
import { preflightNames } from '../../domain/preflight.js';
import type { HbrRequest } from '../../domain/request.js';
import type { IdGroup, InstanceNames } from './format.js';
import { code, escapeMrkdwn, instanceLabel, plural } from './format.js';
import {
  clientStatusSentence,
  instanceErrorSentence,
  knownInstanceErrorSentence,
  shorten,
  TASK_PHASE_WORDS,
  uncertainty,
  unknownSubmissionCause,
} from './hbr-sentences.js';
import { capitalized, operationWords } from './operation-words.js';

const KIND_EMOJI: Readonly<Record<InstanceOutcomeKind, string>> = {
  succeeded: ':white_check_mark:',
  in_progress: ':hourglass_flowing_sand:',
  waiting: ':clock3:',
  refused: ':no_entry_sign:',
  failed: ':x:',
  timed_out: ':alarm_clock:',
  unknown: ':grey_question:',
  not_submitted: ':heavy_minus_sign:',
};

/** The one word (or few) for each kind, in headlines, breakdowns, instance lines and the audit trail. */
const FIXED_LABELS: Readonly<Record<Exclude<InstanceOutcomeKind, 'succeeded' | 'in_progress'>, string>> = {
  waiting: 'waiting',
  refused: 'refused by HBR',
  failed: 'failed',
  timed_out: 'timed out',
  unknown: 'unknown',
  not_submitted: 'not sent',
};

/** "installed" / "uninstalled", "installing" / "uninstalling", "failed", … */
function kindLabel(kind: InstanceOutcomeKind, operation: Operation): string {
  const words = operationWords(operation);
  if (kind === 'succeeded') return words.pastTense;
  if (kind === 'in_progress') return words.progressive;
  return FIXED_LABELS[kind];
}

/** Said of an instance hbr-bot gave up waiting for. */
function stoppedWaiting(kind: InstanceOutcomeKind): string {
  return kind === 'timed_out' ? ' — hbr-bot stopped waiting; check the instance in the HBR console' : '';
}

/** The sentence for an outcome, in the words of the request's operation: what happened and what to do. */
export function outcomeDetail(o: InstanceOutcome, operation: Operation): string {
  const { reason } = o;
  switch (reason.type) {
    case 'client_status': {
      const sentence = clientStatusSentence(reason.status, operation);
      return o.kind === 'failed' ? (knownInstanceErrorSentence(reason.errorCode) ?? sentence) : sentence;
    }
    case 'unfinished_status':
      return `HBR still reported ${reason.status} when task ${reason.taskId} ${TASK_PHASE_WORDS[reason.phase]}${stoppedWaiting(o.kind)}`;
    case 'refused':
      return instanceErrorSentence(reason.errorCode);
    case 'unknown_submission': {
      const { check } = reason;
      const cause = uncertainty(unknownSubmissionCause(reason.code) ?? reason.code);
      if (check === null) return instanceErrorSentence(reason.code);
      if ('error' in check)
        return `${cause}, and could not check afterwards (${check.error}) — check it with /hbr-status, then request again if needed`;
      const status = clientStatusSentence(check.status, operation);
      if (o.kind === 'succeeded') return `${status}, as HBR showed at the end (${cause})`;
      const shown = check.listed ? `HBR showed: ${status}` : 'HBR listed no backup client for it';
      return `${cause}; at the end ${shown} — check it again with /hbr-status, then request again if needed`;
    }
    case 'no_task': {
      const { verb } = operationWords(operation);
      return o.kind === 'failed'
        ? `HBR accepted the call but started no ${verb} task for this instance`
        : `sent to HBR, no ${verb} task yet`;
    }
    case 'task_not_polled':
      return o.kind === 'failed'
        ? `hbr-bot never got a status for HBR task ${reason.taskId}`
        : `sent to HBR (task ${reason.taskId}), first status check pending`;
    case 'task_running': {
      const percent = reason.progress >= 0 ? `, ${Math.min(100, Math.round(reason.progress))}%` : '';
      return `HBR is working on it (task ${reason.taskId}${percent})`;
    }
    case 'no_result':
      return `HBR task ${reason.taskId} ${TASK_PHASE_WORDS[reason.phase]} without a result for this instance${stoppedWaiting(o.kind)}`;
    case 'not_sent':
      return reason.failureCode === null
        ? 'never sent to HBR'
        : `not sent to HBR: the request failed first (${shorten(reason.failureCode)})`;
    case 'waiting':
      return 'waiting to be sent to HBR';
  }
}

/**
 * The headline, every instance counted once in the words of countsLine. Once HBR is done:
 * "Installed on 3 of 3 instances", "Installed on 1 of 4 instances — 2 refused by HBR, 1 failed";
 * while it works: "Installing on 20 instances: 5 installed, 15 installing"; for an uninstall
 * "Uninstalled from …", "Uninstalling from …".
 */
export function summaryLine(summary: OutcomeSummary, operation: Operation): string {
  if (summary.total === 0) return 'No instances';
  const words = operationWords(operation);
  const counted = (kinds: readonly OutcomeCount[]) =>
    kinds.map(({ kind, count }) => `${count} ${kindLabel(kind, operation)}`).join(', ');
  const instances = plural(summary.total, 'instance');
  if (summary.inProgress > 0) {
    return `${capitalized(words.progressive)} ${words.preposition} ${instances}: ${counted(summary.tally)}`;
  }
  const done = `${capitalized(words.pastTense)} ${words.preposition} ${summary.succeeded} of ${instances}`;
  const rest = summary.tally.filter(({ kind }) => kind !== 'succeeded');
  return rest.length === 0 ? done : `${done} — ${counted(rest)}`;
}

export interface RequestSummary {
  outcomes: InstanceOutcome[];
  summary: OutcomeSummary;
  /** summaryLine() of the request's operation. */
  line: string;
  /** The instances' names, where the pre-flight learnt them. */
  names: InstanceNames;
}

/** A request's outcomes, their counts, its summary line and its instances' names in one go. */
export function requestSummary(request: HbrRequest): RequestSummary {
  const outcomes = instanceOutcomes(request);
  const summary = summarize(outcomes);
  return {
    outcomes,
    summary,
    line: summaryLine(summary, request.operation),
    names: preflightNames(request.preflight),
  };
}

/** ":white_check_mark: 12 installed · :x: 2 failed": the breakdown, in the headline's words and order. */
export function countsLine(summary: OutcomeSummary, operation: Operation): string {
  const parts = summary.tally.map(({ kind, count }) => `${KIND_EMOJI[kind]} ${count} ${kindLabel(kind, operation)}`);
  return parts.length > 0 ? parts.join(' · ') : 'no instances';
}

/** What an outcome's code and sentence say, for one line: "`INSTALL_FAILED`: installation failed — …". */
function outcomeReason(o: InstanceOutcome, operation: Operation): string {
  const detail = escapeMrkdwn(outcomeDetail(o, operation));
  return o.code === '' ? detail : `${code(o.code, 60)}: ${detail}`;
}

/** One instance on one line: ":x: build-01 `i-…` failed — `INSTALL_FAILED`: installation failed — …". */
export function outcomeLine(o: InstanceOutcome, operation: Operation, names?: InstanceNames): string {
  const base = `${KIND_EMOJI[o.kind]} ${instanceLabel(o.instanceId, names?.get(o.instanceId))} ${kindLabel(o.kind, operation)}`;
  return o.kind === 'succeeded' ? base : `${base} — ${outcomeReason(o, operation)}`;
}

/**
 * Outcomes grouped by kind, code and sentence, in order of first appearance. Each group's heading
 * names the count and kind ("*2 failed*"), unless `sameKind` says the groups are all of one kind
 * that a heading above them already names; then it says only what happened.
 */
export function outcomeGroups(outcomes: readonly InstanceOutcome[], operation: Operation, sameKind = false): IdGroup[] {
  const groups = new Map<string, { first: InstanceOutcome; ids: string[] }>();
  for (const o of outcomes) {
    const key = `${o.kind}\u0000${o.code}\u0000${outcomeDetail(o, operation)}`;
    const group = groups.get(key);
    if (group) group.ids.push(o.instanceId);
    else groups.set(key, { first: o, ids: [o.instanceId] });
  }
  return [...groups.values()].map(({ first, ids }) => ({
    heading: sameKind
      ? `${KIND_EMOJI[first.kind]} ${outcomeReason(first, operation)}`
      : `${KIND_EMOJI[first.kind]} *${ids.length} ${kindLabel(first.kind, operation)}* — ${outcomeReason(first, operation)}`,
    ids,
  }));
}
