/**
 * The ephemeral answer to the status command: one line per instance (client status in words,
 * version and whether it is outdated, last heartbeat), then what to do about each problem, once
 * per kind of problem. Fits Slack's limits for any number of instances.
 */

import { countClientStatuses, type ClientHealth, type InstanceClientStatus } from '../../domain/client-status.js';
import type { RequestFailure } from '../../domain/request.js';
import { LIMITS, context, fitPieces, packLines, section, slackMessage } from './blocks.js';
import type { Block, SlackMessage } from './blocks.js';
import { code, escapeMrkdwn, plural } from './format.js';
import { explainedFailure } from './request.js';

export const HEALTH_EMOJI: Readonly<Record<ClientHealth, string>> = {
  protected: ':white_check_mark:',
  busy: ':hourglass_flowing_sand:',
  problem: ':x:',
  unrecognised: ':grey_question:',
  no_client: ':heavy_minus_sign:',
};

/** Blocks kept for the hints, so the instance lines always have most of the message. */
const HINT_BLOCKS_AT_MOST = 12;

/** ":x: `i-…` *install failed* `INSTALL_FAILED` · client `2.13.2`, outdated (`2.14.0` available) · last heartbeat 2 days ago". */
export function clientStatusLine(s: InstanceClientStatus): string {
  const raw = s.health === 'problem' || s.health === 'unrecognised' ? ` ${code(s.status, 60)}` : '';
  const parts = [`${HEALTH_EMOJI[s.health]} ${code(s.instanceId, 40)} *${escapeMrkdwn(s.words)}*${raw}`];
  if (s.version !== '') {
    parts.push(s.outdated ? `client ${code(s.version, 30)}, outdated (${code(s.latestVersion, 30)} available)` : `client ${code(s.version, 30)}`);
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
  return [...groups.values()].map((g) => `• *${escapeMrkdwn(g.label)}* (${plural(g.count, 'instance')}): ${escapeMrkdwn(g.hint)}`);
}

export function clientStatusMessage(statuses: readonly InstanceClientStatus[], region: string): SlackMessage {
  const counts = countClientStatuses(statuses)
    .map((c) => `${c.count} ${c.words}`)
    .join(' · ');
  const outdated = statuses.filter((s) => s.outdated).length;
  const overview = `${counts === '' ? 'no instances' : counts}${outdated > 0 ? ` · ${outdated} outdated` : ''}`;
  const head: Block[] = [
    section(`*HBR backup client status* in ${code(region, 60)} (${plural(statuses.length, 'instance')}): ${escapeMrkdwn(overview)}`),
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
  if (lines.omitted > 0) lineBlocks.push(context(`…and ${plural(lines.omitted, 'more instance')} not listed: the message is full.`));

  return slackMessage(`HBR backup client status in ${escapeMrkdwn(region)}: ${escapeMrkdwn(overview)}`, [...head, ...lineBlocks, ...hintBlocks]);
}

/** DescribeBackupClients failed: what HBR said, in words, with the code and RequestId. */
export function clientStatusFailedMessage(failure: RequestFailure, region: string): SlackMessage {
  return slackMessage(`Could not read the HBR backup client status in ${escapeMrkdwn(region)}: ${escapeMrkdwn(failure.explanation)}`, [
    section(`:x: Could not read the HBR backup client status in ${code(region, 60)}: ${explainedFailure(failure)}`),
  ]);
}
