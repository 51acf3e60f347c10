/**
 * How instance outcomes read in messages: labels (in the words of the request's operation), emoji,
 * count lines and groups of instances that share a fate. Shared by the progress, result and show
 * messages.
 */

import { operationSpec, type Operation } from '../../domain/operation.js';
import type { InstanceOutcome, InstanceOutcomeKind, OutcomeSummary } from '../../domain/outcome.js';
import { OUTCOME_KINDS } from '../../domain/outcome.js';
import type { IdGroup } from './format.js';
import { code, escapeMrkdwn } from './format.js';

export const KIND_EMOJI: Readonly<Record<InstanceOutcomeKind, string>> = {
  succeeded: ':white_check_mark:',
  in_progress: ':hourglass_flowing_sand:',
  waiting: ':clock3:',
  refused: ':no_entry_sign:',
  failed: ':x:',
  timed_out: ':alarm_clock:',
  unknown: ':grey_question:',
  not_submitted: ':heavy_minus_sign:',
};

const FIXED_LABELS: Readonly<Record<Exclude<InstanceOutcomeKind, 'succeeded' | 'in_progress'>, string>> = {
  waiting: 'waiting',
  refused: 'refused by HBR',
  failed: 'failed',
  timed_out: 'timed out',
  unknown: 'unknown status',
  not_submitted: 'not sent',
};

/** "installed" / "uninstalled", "installing" / "uninstalling", "failed", … */
export function kindLabel(kind: InstanceOutcomeKind, operation: Operation): string {
  const spec = operationSpec(operation);
  if (kind === 'succeeded') return spec.pastTense;
  if (kind === 'in_progress') return spec.progressive;
  return FIXED_LABELS[kind];
}

/** ":white_check_mark: 12 installed · :x: 2 failed": the non-zero kinds, in a fixed order. */
export function countsLine(summary: OutcomeSummary, operation: Operation): string {
  const parts = OUTCOME_KINDS.filter((kind) => summary.byKind[kind] > 0).map(
    (kind) => `${KIND_EMOJI[kind]} ${summary.byKind[kind]} ${kindLabel(kind, operation)}`,
  );
  return parts.length > 0 ? parts.join(' · ') : 'no instances';
}

/** What an outcome's code and detail say, for one line: "`INSTALL_FAILED`: installation failed — …". */
export function outcomeReason(o: InstanceOutcome): string {
  const detail = escapeMrkdwn(o.detail);
  return o.code === '' ? detail : `${code(o.code, 60)}: ${detail}`;
}

/** One instance on one line: ":x: `i-…` failed — `INSTALL_FAILED`: installation failed — …". */
export function outcomeLine(o: InstanceOutcome, operation: Operation): string {
  const base = `${KIND_EMOJI[o.kind]} ${code(o.instanceId, 40)} ${kindLabel(o.kind, operation)}`;
  return o.kind === 'succeeded' ? base : `${base} — ${outcomeReason(o)}`;
}

/**
 * Outcomes grouped by kind, code and detail, in order of first appearance: each group's heading
 * names the kind, the code, the sentence and the count.
 */
export function outcomeGroups(outcomes: readonly InstanceOutcome[], operation: Operation): IdGroup[] {
  const groups = new Map<string, { first: InstanceOutcome; ids: string[] }>();
  for (const o of outcomes) {
    const key = `${o.kind}\u0000${o.code}\u0000${o.detail}`;
    const group = groups.get(key);
    if (group) group.ids.push(o.instanceId);
    else groups.set(key, { first: o, ids: [o.instanceId] });
  }
  return [...groups.values()].map(({ first, ids }) => ({
    heading: `${KIND_EMOJI[first.kind]} *${ids.length} ${kindLabel(first.kind, operation)}* — ${outcomeReason(first)}`,
    ids,
  }));
}
