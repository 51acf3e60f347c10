/**
 * The ephemeral answer to the status command: one line per instance (client status in words,
 * version and whether it is outdated, last heartbeat), then what to do about each problem, once
 * per kind of problem. Fits Slack's limits for any number of instances.
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
import { code, escapeMrkdwn, plural } from './format.js';
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
}

/** How many instances are in each state, grouped by health in CLIENT_HEALTH_ORDER, then by words. */
export function countClientStatuses(statuses: readonly InstanceClientStatus[]): ClientStatusCount[] {
  const counts = new Map<string, ClientStatusCount>();
  for (const s of statuses) {
    const key = `${s.health}\u0000${s.words}`;
    const known = counts.get(key);
    if (known) known.count++;
    else counts.set(key, { health: s.health, words: s.words, count: 1 });
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

/** ":x: `i-…` *install failed* `INSTALL_FAILED` · client `2.13.2`, outdated (`2.14.0` available) · last heartbeat 2 days ago". */
function clientStatusLine(s: InstanceClientStatus): string {
  const raw = s.health === 'problem' || s.health === 'unrecognised' ? ` ${code(s.status, 60)}` : '';
  const parts = [`${HEALTH_EMOJI[s.health]} ${code(s.instanceId, 40)} *${escapeMrkdwn(s.words)}*${raw}`];
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

export function clientStatusMessage(statuses: readonly InstanceClientStatus[], region: string): SlackMessage {
  const counts = countClientStatuses(statuses)
    .map((c) => `${c.count} ${c.words}`)
    .join(' · ');
  const outdated = statuses.filter((s) => s.outdated).length;
  const overview = `${counts === '' ? 'no instances' : counts}${outdated > 0 ? ` · ${outdated} outdated` : ''}`;
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
