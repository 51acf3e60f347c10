/**
 * The ephemeral answer to the status command: a headline counting each instance once by its
 * client's state ("outdated" a qualifier of those counts, not a state of its own), one line per
 * instance (its name where HBR gave one, client status in words, version and whether it is
 * outdated, last heartbeat), then what to do about each problem, once per kind of problem. Fits
 * Slack's limits for any number of instances.
 */

import {
  type BackupClientState,
  CLIENT_HEALTH_ORDER,
  type ClientHealth,
  clientStates,
  type InstanceClientState,
  isKnownClientStatus,
} from '../../domain/client-status.js';
import type { RequestFailure } from '../../domain/request.js';
import type { Block, SlackMessage } from './blocks.js';
import { context, fitPieces, LIMITS, packLines, section, slackMessage } from './blocks.js';
import { timeAgo } from './durations.js';
import { code, escapeMrkdwn, instanceLabel, plural } from './format.js';
import { clientStatusSentence } from './hbr-sentences.js';
import { explainedFailure } from './request.js';

export interface ClientProblem {
  /** What the problem is called in a list of hints: "install failed", "outdated client". */
  label: string;
  /** What to do. */
  hint: string;
}

/** An instance's client in words, as the status answer shows it. */
export interface InstanceClientStatus extends Omit<InstanceClientState, 'lastHeartBeatTime'> {
  /** "protected", "install failed", "no backup client", … */
  words: string;
  /** "last heartbeat 3 minutes ago", "no heartbeat reported"; null when there is no client. */
  heartbeat: string | null;
  /** At most one, the most pressing; null when nothing is wrong. */
  problem: ClientProblem | null;
}

export const NO_CLIENT_HINT =
  'HBR knows no backup client on this instance in this region — install one with /hbr-install, or check the --region';

/** "protected" for ACTIVATED, the status in lowercase words for the other known ones. */
export function clientStatusWords(status: string): string {
  if (status === 'ACTIVATED') return 'protected';
  if (isKnownClientStatus(status)) return status.toLowerCase().replace(/_/g, ' ');
  return 'unrecognised status';
}

function inWords(state: InstanceClientState, now: number): InstanceClientStatus {
  const { lastHeartBeatTime, ...facts } = state;
  if (state.health === 'no_client') {
    return {
      ...facts,
      words: 'no backup client',
      heartbeat: null,
      problem: { label: 'no backup client', hint: NO_CLIENT_HINT },
    };
  }
  const words = clientStatusWords(state.status);
  let problem: ClientProblem | null = null;
  if (state.health === 'problem' || state.health === 'unrecognised') {
    problem = { label: words, hint: clientStatusSentence(state.status) };
  } else if (state.health === 'protected' && state.outdated) {
    problem = {
      label: 'outdated client',
      hint: `a newer client (${state.latestVersion}) is available — upgrade it from the HBR console`,
    };
  }
  const heartbeat =
    lastHeartBeatTime === null ? 'no heartbeat reported' : `last heartbeat ${timeAgo(lastHeartBeatTime, now)}`;
  return { ...facts, words, heartbeat, problem };
}

/** One entry per `instanceIds`, in the same order, in words; `now` dates the heartbeats. */
export function clientStatuses(
  instanceIds: readonly string[],
  clients: readonly BackupClientState[],
  now: number,
): InstanceClientStatus[] {
  return clientStates(instanceIds, clients).map((state) => inWords(state, now));
}

export interface ClientStatusCount {
  health: ClientHealth;
  words: string;
  count: number;
  /** Of `count`: clients older than the newest version HBR offers. */
  outdated: number;
}

/**
 * How many instances are in each state, grouped by health in CLIENT_HEALTH_ORDER, then by words:
 * every instance in exactly one state, so the counts add up to the instances asked about.
 */
export function countClientStatuses(statuses: readonly InstanceClientStatus[]): ClientStatusCount[] {
  const counts = new Map<string, ClientStatusCount>();
  for (const s of statuses) {
    const key = `${s.health}\u0000${s.words}`;
    const known = counts.get(key) ?? { health: s.health, words: s.words, count: 0, outdated: 0 };
    known.count++;
    if (s.outdated) known.outdated++;
    counts.set(key, known);
  }
  return [...counts.values()].sort(
    (a, b) => CLIENT_HEALTH_ORDER.indexOf(a.health) - CLIENT_HEALTH_ORDER.indexOf(b.health),
  );
}

const HEALTH_EMOJI: Readonly<Record<ClientHealth, string>> = {
  protected: ':white_check_mark:',
  busy: ':hourglass_flowing_sand:',
  problem: ':x:',
  unrecognised: ':grey_question:',
  no_client: ':heavy_minus_sign:',
};

/** Blocks kept for the hints, so the instance lines always have most of the message. */
const HINT_BLOCKS_AT_MOST = 12;

/** ":x: web-01 `i-…` *install failed* `INSTALL_FAILED` · client `2.13.2`, outdated (`2.14.0` available) · last heartbeat 2 days ago". */
function clientStatusLine(s: InstanceClientStatus): string {
  const raw = s.health === 'problem' || s.health === 'unrecognised' ? ` ${code(s.status, 60)}` : '';
  const parts = [
    `${HEALTH_EMOJI[s.health]} ${instanceLabel(s.instanceId, s.instanceName)} *${escapeMrkdwn(s.words)}*${raw}`,
  ];
  if (s.version !== '') {
    parts.push(
      s.outdated
        ? `client ${code(s.version, 30)}, outdated (${code(s.latestVersion, 30)} available)`
        : `client ${code(s.version, 30)}`,
    );
  }
  if (s.heartbeat !== null) parts.push(s.heartbeat);
  return parts.join(' · ');
}

/** "• *install failed* (2 instances): installation failed — …", once per distinct problem. */
function hintLines(statuses: readonly InstanceClientStatus[]): string[] {
  const groups = new Map<string, { label: string; hint: string; count: number }>();
  for (const { problem } of statuses) {
    if (problem === null) continue;
    const key = `${problem.label}\u0000${problem.hint}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { ...problem, count: 1 });
  }
  return [...groups.values()].map(
    (g) => `• *${escapeMrkdwn(g.label)}* (${plural(g.count, 'instance')}): ${escapeMrkdwn(g.hint)}`,
  );
}

/** "2 protected (1 outdated) · 3 no backup client": each instance counted once. */
export function clientStatusOverview(statuses: readonly InstanceClientStatus[]): string {
  const counts = countClientStatuses(statuses).map(
    (c) => `${c.count} ${c.words}${c.outdated > 0 ? ` (${c.outdated} outdated)` : ''}`,
  );
  return counts.length === 0 ? 'no instances' : counts.join(' · ');
}

export function clientStatusMessage(statuses: readonly InstanceClientStatus[], region: string): SlackMessage {
  const overview = clientStatusOverview(statuses);
  const head: Block[] = [
    section(
      `*HBR backup client status* in ${code(region, 60)} (${plural(statuses.length, 'instance')}): ${escapeMrkdwn(overview)}`,
    ),
  ];

  const hints = fitPieces(
    packLines(hintLines(statuses)).map((text, i) => ({ text: i === 0 ? `*What to do:*\n${text}` : text, count: 1 })),
    HINT_BLOCKS_AT_MOST,
  );
  const hintBlocks: Block[] = hints.kept.map((p) => section(p.text));
  if (hints.omitted > 0) hintBlocks.push(context('…and more hints not shown: ask about fewer instances at a time.'));

  const lines = fitPieces(
    packLines(statuses.map(clientStatusLine)).map((text) => ({ text, count: text.split('\n').length })),
    LIMITS.blocks - head.length - hintBlocks.length,
  );
  const lineBlocks: Block[] = lines.kept.map((p) => section(p.text));
  if (lines.omitted > 0)
    lineBlocks.push(context(`…and ${plural(lines.omitted, 'more instance')} not listed: the message is full.`));

  return slackMessage(`HBR backup client status in ${escapeMrkdwn(region)}: ${escapeMrkdwn(overview)}`, [
    ...head,
    ...lineBlocks,
    ...hintBlocks,
  ]);
}

/** DescribeBackupClients failed: what HBR said, in words, with the code and RequestId. */
export function clientStatusFailedMessage(failure: RequestFailure, region: string): SlackMessage {
  return slackMessage(
    `Could not read the HBR backup client status in ${escapeMrkdwn(region)}: ${escapeMrkdwn(failure.explanation)}`,
    [section(`:x: Could not read the HBR backup client status in ${code(region, 60)}: ${explainedFailure(failure)}`)],
  );
}
