/**
 * How instance outcomes read in messages: labels, emoji, count lines and groups of instances that
 * share a fate. Shared by the progress and result messages.
 */

import type { InstanceOutcome, InstanceOutcomeKind, OutcomeSummary } from '../../domain/outcome.js';
import { OUTCOME_KINDS } from '../../domain/outcome.js';
import type { IdGroup } from './format.js';
import { code, escapeMrkdwn } from './format.js';

export const KIND_EMOJI: Readonly<Record<InstanceOutcomeKind, string>> = {
  installed: ':white_check_mark:',
  installing: ':hourglass_flowing_sand:',
  waiting: ':clock3:',
  refused: ':no_entry_sign:',
  failed: ':x:',
  timed_out: ':alarm_clock:',
  unknown: ':grey_question:',
  not_submitted: ':heavy_minus_sign:',
};

export const KIND_LABEL: Readonly<Record<InstanceOutcomeKind, string>> = {
  installed: 'installed',
  installing: 'installing',
  waiting: 'waiting',
  refused: 'refused by HBR',
  failed: 'failed',
  timed_out: 'timed out',
  unknown: 'unknown status',
  not_submitted: 'not sent',
};

/** ":white_check_mark: 12 installed · :x: 2 failed": the non-zero kinds, in a fixed order. */
export function countsLine(summary: OutcomeSummary): string {
  const parts = OUTCOME_KINDS.filter((kind) => summary.byKind[kind] > 0).map(
    (kind) => `${KIND_EMOJI[kind]} ${summary.byKind[kind]} ${KIND_LABEL[kind]}`,
  );
  return parts.length > 0 ? parts.join(' · ') : 'no instances';
}

/** What an outcome's code and detail say, for one line: "`INSTALL_FAILED`: installation failed — …". */
export function outcomeReason(o: InstanceOutcome): string {
  const detail = escapeMrkdwn(o.detail);
  return o.code === '' ? detail : `${code(o.code, 60)}: ${detail}`;
}

/** One instance on one line: ":x: `i-…` failed — `INSTALL_FAILED`: installation failed — …". */
export function outcomeLine(o: InstanceOutcome): string {
  const base = `${KIND_EMOJI[o.kind]} ${code(o.instanceId, 40)} ${KIND_LABEL[o.kind]}`;
  return o.kind === 'installed' ? base : `${base} — ${outcomeReason(o)}`;
}

/**
 * Outcomes grouped by kind, code and detail, in order of first appearance: each group's heading
 * names the kind, the code, the sentence and the count.
 */
export function outcomeGroups(outcomes: readonly InstanceOutcome[]): IdGroup[] {
  const groups = new Map<string, { first: InstanceOutcome; ids: string[] }>();
  for (const o of outcomes) {
    const key = `${o.kind}\u0000${o.code}\u0000${o.detail}`;
    const group = groups.get(key);
    if (group) group.ids.push(o.instanceId);
    else groups.set(key, { first: o, ids: [o.instanceId] });
  }
  return [...groups.values()].map(({ first, ids }) => ({
    heading: `${KIND_EMOJI[first.kind]} *${ids.length} ${KIND_LABEL[first.kind]}* — ${outcomeReason(first)}`,
    ids,
  }));
}
