import { describe, expect, it } from 'vitest';
import { blockKitProblems } from '../../../sandbox/block-kit-limits.js';
import type { AuditRecord } from '../../../src/domain/audit-event.js';
import type { BackupClientState } from '../../../src/domain/client-status.js';
import type { Operation } from '../../../src/domain/operation.js';
import { SUBMISSION_UNANSWERED, SUBMISSION_UNCERTAIN } from '../../../src/domain/outcome.js';
import { combineFacts } from '../../../src/domain/preflight.js';
import type { HbrRequest, RequestStatus } from '../../../src/domain/request.js';
import { APPROVE_ACTION, REJECT_ACTION, WITHDRAW_ACTION } from '../../../src/slack/messages/action-ids.js';
import type { ActionsBlock, Block, SlackMessage } from '../../../src/slack/messages/blocks.js';
import { clamp, packLines } from '../../../src/slack/messages/blocks.js';
import { formatDuration } from '../../../src/slack/messages/durations.js';
import {
  alreadyDecidedMessage,
  auditForApproversMessage,
  decisionRefusedMessage,
  invalidCommandMessage,
  notAllowedInChannelMessage,
  notARequesterMessage,
  somethingWentWrongMessage,
  temporarilyUnavailableMessage,
  unknownRequestMessage,
} from '../../../src/slack/messages/error-replies.js';
import { code, codeListPieces, escapeMrkdwn, mentionApprover, slackDate } from '../../../src/slack/messages/format.js';
import { helpMessage } from '../../../src/slack/messages/help.js';
import { operationWords } from '../../../src/slack/messages/operation-words.js';
import { progressMessage } from '../../../src/slack/messages/progress.js';
import { requestMessage, requestPostedMessage } from '../../../src/slack/messages/request.js';
import { finalResultMessage } from '../../../src/slack/messages/result.js';
import { requestDetailsMessage, unknownRequestIdMessage } from '../../../src/slack/messages/show.js';
import { clientStatuses, clientStatusFailedMessage, clientStatusMessage } from '../../../src/slack/messages/status.js';
import { parseCommand } from '../../../src/slack/slash-command-parser.js';
import { messageText } from '../../support/message-text.js';
import {
  APPROVER,
  instanceIds,
  pendingRequest,
  poll,
  REQUESTER,
  submit,
  T0,
  withStatus,
} from '../../support/request-fixtures.js';

const APPROVERS = ['U0APPROVER', 'S0OPSTEAM'];
const RULES = { approvers: APPROVERS, allowSelfApproval: false };

/** Slack's limits (the shared checker) plus ours: a meaningful fallback text of at most 3000. */
function expectValid(message: SlackMessage): void {
  expect(blockKitProblems(message)).toEqual([]);
  expect(message.text.length).toBeGreaterThan(10);
  expect(message.text.length).toBeLessThanOrEqual(3000);
  expect(message.blocks.length).toBeLessThanOrEqual(50);
  const json = JSON.stringify(message);
  expect(json).not.toMatch(/undefined|\[object Object\]|NaN/);
}

/** Every mrkdwn/plain text of the message's blocks, joined. */
function allText(message: SlackMessage): string {
  return messageText(message.blocks);
}

function actionsOf(message: SlackMessage): ActionsBlock | undefined {
  return message.blocks.find((b: Block): b is ActionsBlock => b.type === 'actions');
}

const FAILURE = {
  code: 'Forbidden.RAM',
  explanation: 'the RAM user lacks the hbr:InstallBackupClients permission',
  hbrRequestId: '473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E',
};

/** The request with a pre-flight that found every instance, named by `names` ('' for none). */
function withPreflightNames(request: HbrRequest, names: readonly string[]): HbrRequest {
  const described = request.instanceIds.map((instanceId, i) => ({
    instanceId,
    instanceName: names[i] ?? '',
    status: 'Running',
    osType: 'linux',
    osName: 'Alibaba Cloud Linux 3',
    instanceType: 'ecs.g7.large',
    tags: [],
  }));
  const instances = combineFacts(request.instanceIds, described, null, []);
  return { ...request, preflight: { outcome: 'checked', checkedAt: T0, instances, cloudAssistantUnavailable: null } };
}

/** A request in `status` with `n` instances, at the stage that status implies. */
function requestIn(status: RequestStatus, n: number, operation: Operation = 'install'): HbrRequest {
  const base = withStatus(pendingRequest(n, 'cn-hangzhou', operation), status);
  switch (status) {
    case 'polling':
      return poll(submit(base), 'running', (id) => (id.endsWith('1') ? { clientStatus: 'ACTIVATED' } : null));
    case 'finished':
      return poll(submit({ ...base, finishedAt: T0 + 20 * 60_000 }), 'completed', (id) =>
        id.endsWith('3') ? { clientStatus: 'INSTALL_FAILED' } : { clientStatus: 'ACTIVATED' },
      );
    case 'failed':
      return { ...submit(base, {}, 1), failure: FAILURE, finishedAt: T0 + 7 * 60_000 };
    default:
      return base;
  }
}

const STATUSES: RequestStatus[] = [
  'pending',
  'approved',
  'submitting',
  'polling',
  'rejected',
  'withdrawn',
  'expired',
  'finished',
  'failed',
];
const SIZES = [1, 20, 200];

describe('format helpers', () => {
  it('escapes mrkdwn and keeps code spans whole', () => {
    expect(escapeMrkdwn('<@U1> & <!here>')).toBe('&lt;@U1&gt; &amp; &lt;!here&gt;');
    expect(code('a`b')).toBe('`aˋb`');
    expect(code('')).toBe('`(empty)`');
    expect(code('line\nbreak')).toBe('`line break`');
  });

  it('mentions approvers as users or user groups', () => {
    expect(mentionApprover('U012ABCDEF')).toBe('<@U012ABCDEF>');
    expect(mentionApprover('W012ABCDEF')).toBe('<@W012ABCDEF>');
    expect(mentionApprover('S012ABCDEF')).toBe('<!subteam^S012ABCDEF>');
    expect(mentionApprover('<!channel>')).toBe('&lt;!channel&gt;');
  });

  it('renders dates as Slack date tokens with a UTC fallback', () => {
    expect(slackDate(T0)).toBe('<!date^1736933400^{date_short_pretty} {time}|2025-01-15 09:30 UTC>');
    expect(slackDate(Number.NaN)).toBe('an unknown time');
    expect(formatDuration(60 * 60_000)).toBe('1 hour');
    expect(formatDuration(90 * 60_000)).toBe('1 hour 30 minutes');
    expect(formatDuration(25 * 60_000)).toBe('25 minutes');
    expect(formatDuration(3 * 24 * 3600_000)).toBe('3 days');
  });

  it('clamps without splitting a surrogate pair and packs lines under the limit', () => {
    expect(clamp('😀😀😀', 4)).toBe('😀…');
    const texts = packLines(
      Array.from({ length: 100 }, () => 'x'.repeat(100)),
      1000,
    );
    expect(texts.every((t) => t.length <= 1000)).toBe(true);
    expect(texts.join('\n').split('\n')).toHaveLength(100);
  });

  it('splits code lists without losing items', () => {
    const ids = instanceIds(500);
    const pieces = codeListPieces(ids, { heading: '*IDs:*', separator: ' ' });
    expect(pieces.every((p) => p.text.length <= 3000)).toBe(true);
    expect(pieces.reduce((sum, p) => sum + p.count, 0)).toBe(500);
    expect(pieces[1]?.text.startsWith('*IDs:* _(continued)_\n```\n')).toBe(true);
    for (const id of ids) expect(pieces.some((p) => p.text.includes(id))).toBe(true);
  });
});

describe('requestMessage', () => {
  for (const status of STATUSES) {
    for (const n of SIZES) {
      it(`${status} with ${n} instance(s) is valid and lists every instance`, () => {
        const request = requestIn(status, n);
        const message = requestMessage(request, RULES);
        expectValid(message);
        const text = allText(message);
        for (const id of request.instanceIds) expect(text).toContain(id);
        expect(text).toContain(`<@${REQUESTER}>`);
        expect(text).toContain('cn-hangzhou');
        expect(text).toContain(request.id);
        expect(actionsOf(message) !== undefined).toBe(status === 'pending');
      });
    }
  }

  it('pending: Approve (primary, confirmed) and Reject carry the request id', () => {
    const request = pendingRequest(3);
    const message = requestMessage(request, { ...RULES, now: T0 });
    const [approve, reject] = actionsOf(message)?.elements ?? [];
    expect(approve).toMatchObject({ action_id: APPROVE_ACTION, value: request.id, style: 'primary' });
    expect(approve?.confirm?.text.text).toBe('Install the HBR backup client on 3 instances in cn-hangzhou?');
    expect(reject).toMatchObject({ action_id: REJECT_ACTION, value: request.id });
    const text = allText(message);
    expect(text).toContain('*Pending:* waiting for approval by <@U0APPROVER> or <!subteam^S0OPSTEAM>');
    expect(text).toContain(
      `<!date^${Math.floor(request.expiresAt / 1000)}^{date_short_pretty} {time}|2025-01-15 10:30 UTC>`,
    );
    expect(text).toContain('`i-bp100000000000000000`, `i-bp100000000000000001`');
    expect(message.text).toContain('waiting for approval');
  });

  it('pending with 200 instances lists them in code blocks over several sections', () => {
    const message = requestMessage(pendingRequest(200), RULES);
    const listSections = message.blocks.filter((b) => b.type === 'section' && b.text?.text.includes('```'));
    expect(listSections.length).toBeGreaterThan(1);
    expect(allText(message)).toContain('*Instances (200):*');
  });

  it('pending past its expiry renders as expired, without buttons', () => {
    const request = pendingRequest(2);
    const message = requestMessage(request, { ...RULES, now: request.expiresAt });
    expect(actionsOf(message)).toBeUndefined();
    expect(allText(message)).toContain('Expired: nobody decided within 1 hour');
  });

  it('approved, rejected, expired, finished and failed say who and what', () => {
    expect(allText(requestMessage(requestIn('approved', 2), RULES))).toMatch(
      new RegExp(`Approved by <@${APPROVER}> at <!date\\^\\d+\\^`),
    );
    expect(allText(requestMessage(requestIn('polling', 20), RULES))).toContain(
      'Installing on 20 instances: 2 installed, 18 installing',
    );
    expect(allText(requestMessage(requestIn('rejected', 2), RULES))).toMatch(
      new RegExp(`Rejected by <@${APPROVER}> at <!date`),
    );
    expect(allText(requestMessage(requestIn('expired', 2), RULES))).toContain('Expired: nobody decided within 1 hour');
    const finished = allText(requestMessage(requestIn('finished', 20), RULES));
    expect(finished).toMatch(
      new RegExp(`Approved by <@${APPROVER}> at .* · \\*Installed on 18 of 20 instances — 2 failed\\*`),
    );
    const failed = requestMessage(requestIn('failed', 45), RULES);
    expect(allText(failed)).toContain(
      '*Failed:* the RAM user lacks the hbr:InstallBackupClients permission (code `Forbidden.RAM`, HBR RequestId `473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E`)',
    );
    expect(failed.text).toContain('failed: the RAM user lacks');
  });

  it('names only those who may decide: never the requester without self-approval, and says when nobody may', () => {
    const byApprover = { ...pendingRequest(1), requesterId: APPROVER };
    const waiting = (request: HbrRequest, rules: typeof RULES) => allText(requestMessage(request, rules));
    expect(waiting(byApprover, RULES)).toContain('*Pending:* waiting for approval by <!subteam^S0OPSTEAM>.');
    expect(allText(requestPostedMessage(byApprover, RULES))).toContain('waiting for approval by <!subteam^S0OPSTEAM>.');
    expect(waiting(byApprover, { ...RULES, allowSelfApproval: true })).toContain(
      'waiting for approval by <@U0APPROVER> or <!subteam^S0OPSTEAM>.',
    );
    const alone = { approvers: [APPROVER], allowSelfApproval: false };
    expect(waiting(byApprover, alone)).toContain(
      '*Pending:* no one can approve it: its requester is the only hbr-bot approver, and an hbr-bot admin can add another to HBR_APPROVERS.',
    );
    expect(allText(requestPostedMessage(byApprover, alone))).toContain(
      'no one can approve it: you are the only hbr-bot approver, and an hbr-bot admin can add another to HBR_APPROVERS.',
    );
  });

  it('pending: a Withdraw button for everyone to see; withdrawn: who took it back, and no buttons', () => {
    const pending = requestMessage(pendingRequest(1), RULES);
    expect(actionsOf(pending)?.elements?.map((e) => [e.action_id, e.text.text])).toEqual([
      [APPROVE_ACTION, 'Approve'],
      [REJECT_ACTION, 'Reject'],
      [WITHDRAW_ACTION, 'Withdraw'],
    ]);
    const withdrawn = requestMessage(requestIn('withdrawn', 2), RULES);
    expect(actionsOf(withdrawn)).toBeUndefined();
    expect(allText(withdrawn)).toMatch(
      new RegExp(
        `^:leftwards_arrow_with_hook: Withdrawn by <@${REQUESTER}> at <!date.*>\\. Nothing was installed\\.$`,
        'm',
      ),
    );
    expect(withdrawn.text).toContain('withdrawn by its requester, nothing was installed');
    expect(allText(alreadyDecidedMessage({ outcome: 'withdrawn', by: REQUESTER, at: T0 }))).toContain(
      `already withdrawn by <@${REQUESTER}>`,
    );
  });

  it('posted note: id, approvers, duplicates, permalink only when it is a Slack https link', () => {
    const request = pendingRequest(2);
    const message = requestPostedMessage(request, {
      approvers: APPROVERS,
      allowSelfApproval: false,
      permalink: 'https://acme.slack.com/archives/C1/p1',
      duplicates: 1,
    });
    expectValid(message);
    const text = allText(message);
    expect(text).toContain('Request `rabcdefghijkm` posted');
    expect(text).toContain('waiting for approval by <@U0APPROVER> or <!subteam^S0OPSTEAM>');
    expect(text).toContain('1 repeated ID was ignored');
    expect(text).toContain('<https://acme.slack.com/archives/C1/p1|Open the request>');
    const odd = allText(requestPostedMessage(request, { ...RULES, permalink: 'javascript:alert(1)>' }));
    expect(odd).not.toContain('javascript');
    expect(allText(requestPostedMessage(request, { ...RULES, permalink: null }))).not.toContain('Open the request');
  });
});

describe('progressMessage', () => {
  it.each(SIZES)('is valid for %i instances at every stage', (n) => {
    for (const status of STATUSES) expectValid(progressMessage(requestIn(status, n)));
  });

  it('explains refusals with instance, code and sentence, and shows task progress', () => {
    const ids = instanceIds(25);
    const request = poll(
      submit(withStatus(pendingRequest(25), 'polling'), {
        [ids[3] ?? '']: 'InstanceNotRunning',
        [ids[21] ?? '']: 'InstanceNotExists',
      }),
      'running',
      () => null,
      35,
    );
    const message = progressMessage(request);
    expectValid(message);
    const text = allText(message);
    expect(text).toContain('*HBR refused 2 instances at once:*');
    expect(text).toContain(
      '`InstanceNotRunning`: instance is not running — start it and request again: `i-bp100000000000000003`',
    );
    expect(text).toContain('`InstanceNotExists`: no such instance in this region');
    expect(text).toContain('Batch 1/2 (20 instances) · task `t-task0` · running · 25%+');
    expect(text).toContain(':no_entry_sign: 2 refused by HBR');
    // The refusals are listed under their heading without repeating "refused by HBR" on each line.
    expect(text).toContain(':no_entry_sign: `InstanceNotRunning`: instance is not running');
    expect(text).not.toContain('1 refused by HBR');
    expect(message.text).toBe(
      'Progress of HBR install request rabcdefghijkm: Installing on 25 instances: 23 installing, 2 refused by HBR',
    );
  });

  it('200 instances all refused, each with its own odd code, stays valid and lists all', () => {
    const ids = instanceIds(200);
    const refused = Object.fromEntries(ids.map((id, i) => [id, `Weird<Code>&${i}_${'x'.repeat(80)}`]));
    const message = progressMessage(submit(withStatus(pendingRequest(200), 'finished'), refused));
    expectValid(message);
    const text = allText(message);
    for (const id of ids) expect(text).toContain(id);
    expect(text).not.toContain('<Code>');
    expect(text).toContain('Weird&lt;Code&gt;&amp;');
  });

  it('a failed request shows the explanation, the code and the HBR RequestId', () => {
    const text = allText(progressMessage(requestIn('failed', 45)));
    expect(text).toContain('Forbidden.RAM');
    expect(text).toContain('473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E');
  });

  it('says why a batch has no known outcome: a restart, or an answer HBR never delivered', () => {
    const ids = instanceIds(25);
    const lost = Object.fromEntries(ids.slice(0, 20).map((id) => [id, SUBMISSION_UNANSWERED]));
    const unanswered = allText(progressMessage(submit(withStatus(pendingRequest(25), 'polling'), lost)));
    expect(unanswered).toContain(
      "Batch 1/2 (20 instances): outcome unknown — hbr-bot lost HBR's answer (no answer in time, the connection was cut, or an error page came back instead)",
    );
    expect(unanswered).toContain('Batch 2/2 (5 instances) · task `t-task1`');
    expect(unanswered).not.toContain('refused');
    const restarted = allText(
      progressMessage(submit(withStatus(pendingRequest(1), 'finished'), { [ids[0] ?? '']: SUBMISSION_UNCERTAIN })),
    );
    expect(restarted).toContain('Batch 1/1 (1 instance): outcome unknown — hbr-bot restarted while it was asking HBR');
  });

  it('a task HBR reports as failed (-1) says so', () => {
    const request = poll(submit(withStatus(pendingRequest(3), 'finished')), 'failed', () => null, -1);
    expect(allText(progressMessage(request))).toContain('failed · HBR reports failure');
  });
});

describe('finalResultMessage', () => {
  it('1 instance installed: mention, summary, the instance', () => {
    const request = requestIn('finished', 1);
    const message = finalResultMessage(request);
    expectValid(message);
    expect(message.text).toBe(
      `<@${REQUESTER}> HBR install request rabcdefghijkm finished: Installed on 1 of 1 instance`,
    );
    const text = allText(message);
    expect(text).toContain(':white_check_mark: `i-bp100000000000000000` installed');
    expect(text).toContain(`Approved by <@${APPROVER}>`);
  });

  it('20 instances: every instance on its own line with its outcome', () => {
    const request = requestIn('finished', 20);
    const message = finalResultMessage(request);
    expectValid(message);
    const text = allText(message);
    expect(text).toContain('*Installed on 18 of 20 instances — 2 failed*');
    for (const id of request.instanceIds) expect(text).toContain(`\`${id}\``);
    expect(text).toContain(':x: `i-bp100000000000000003` failed — `INSTALL_FAILED`: installation failed');
  });

  it('200 instances with some failures: counts plus every failure', () => {
    const request = requestIn('finished', 200);
    const message = finalResultMessage(request);
    expectValid(message);
    const text = allText(message);
    expect(text).toContain('*Installed on 180 of 200 instances — 20 failed*');
    expect(text).toContain(':white_check_mark: 180 installed · :x: 20 failed');
    for (const id of request.instanceIds.filter((id) => id.endsWith('3'))) expect(text).toContain(id);
    expect(text).not.toContain('i-bp100000000000000000');
  });

  it('200 failures, each with a different long unknown status, all listed within the limits', () => {
    const request = poll(submit(withStatus(pendingRequest(200), 'finished')), 'completed', (id) => ({
      clientStatus: `STATUS_${id.slice(-3)}_${'Q'.repeat(300)}`,
    }));
    const message = finalResultMessage(request);
    expectValid(message);
    const text = allText(message);
    for (const id of request.instanceIds) expect(text).toContain(id);
    expect(text).toContain('*Installed on 0 of 200 instances — 200 unknown*');
    expect(text).not.toContain('more instance');
  });

  it('200 failures of mixed kinds are grouped by kind and code', () => {
    const ids = instanceIds(200);
    const refused = Object.fromEntries(ids.slice(0, 50).map((id) => [id, 'CloudAssistNotRunningOnInstance']));
    const request = poll(submit(withStatus(pendingRequest(200), 'finished'), refused), 'timed_out', (id) =>
      id.endsWith('7') ? { clientStatus: 'INSTALLING' } : id.endsWith('8') ? { clientStatus: 'STOPPED' } : null,
    );
    const message = finalResultMessage(request);
    expectValid(message);
    const text = allText(message);
    expect(text).toContain('*50 refused by HBR* — `CloudAssistNotRunningOnInstance`');
    expect(text).toContain(':alarm_clock:');
    for (const id of ids) expect(text).toContain(id);
  });

  it('says how many are left out when even 50 blocks cannot hold them', () => {
    const request = poll(submit(withStatus(pendingRequest(3000, 'cn-shanghai'), 'finished')), 'completed', (id) => ({
      clientStatus: `S${id.slice(-4)}${'Z'.repeat(150)}`,
    }));
    const message = finalResultMessage(request);
    expectValid(message);
    expect(allText(message)).toMatch(/…and \d+ more instances not listed/);
  });

  it('names each instance beside its ID where the pre-flight learnt its name', () => {
    const request = withPreflightNames(requestIn('finished', 4), ['web-01', '', 'db-<01>', 'build-01']);
    const text = allText(finalResultMessage(request));
    const [web, unnamed, db, build] = request.instanceIds;
    expect(text).toContain(`:white_check_mark: \`web-01\` \`${web}\` installed`);
    expect(text).toContain(`:white_check_mark: \`${unnamed}\` installed`);
    expect(text).toContain(`:white_check_mark: \`db-&lt;01&gt;\` \`${db}\` installed`);
    expect(text).toContain(`:x: \`build-01\` \`${build}\` failed — \`INSTALL_FAILED\``);
    expect(allText(requestDetailsMessage(request, RULES))).toContain(`\`web-01\` \`${web}\` installed`);
    const refused = withPreflightNames(
      submit(withStatus(pendingRequest(2), 'finished'), { [web ?? '']: 'InstanceNotRunning' }),
      ['web-01', 'web-02'],
    );
    expect(allText(progressMessage(refused))).toContain(
      `:no_entry_sign: \`InstanceNotRunning\`: instance is not running — start it and request again: \`web-01\` \`${web}\``,
    );
  });

  it('advises what fits the outcome: retry what failed, check what is unknown', () => {
    const [a, b, c] = instanceIds(3);
    const footer = (request: HbrRequest) => {
      const blocks = finalResultMessage(request).blocks;
      return allText({ text: '', blocks: blocks.slice(-1) });
    };
    const unknownOnly = submit(withStatus(pendingRequest(1), 'finished'), { [a ?? '']: SUBMISSION_UNANSWERED });
    expect(footer(unknownOnly)).toContain('check the unknown instance with `/hbr-status` before requesting it again');
    expect(footer(unknownOnly)).not.toContain('to retry');
    const mixed = poll(
      submit(withStatus(pendingRequest(3), 'finished'), { [a ?? '']: 'InstanceNotRunning' }),
      'completed',
      (id) => (id === b ? { clientStatus: 'INSTALL_FAILED' } : id === c ? { clientStatus: 'WEIRD' } : null),
    );
    expect(footer(mixed)).toContain(
      'to retry the refused and failed instances, fix the cause and send a new request for them · check the unknown instance with `/hbr-status` before requesting it again',
    );
    expect(footer(requestIn('finished', 1))).not.toMatch(/retry|check the/);
  });

  it('a failed request explains the failure and lists what was never sent', () => {
    const request = requestIn('failed', 45);
    const message = finalResultMessage(request);
    expectValid(message);
    const text = allText(message);
    expect(text).toContain(':x: *The install request failed*');
    expect(text).toContain('Forbidden.RAM');
    expect(text).toContain(':heavy_minus_sign: 25 not sent');
    expect(message.text).toContain('failed: the RAM user lacks');
  });
});

describe('ephemeral error replies', () => {
  it('invalid command: each token in code, escaped, with its reason', () => {
    const parsed = parseCommand('<@U012ABC|bob> I-BP1ABCDEFGHIJK12345 `--x` a&b', {
      maxInstances: 5,
      defaultRegion: 'cn-hangzhou',
    });
    if (parsed.kind !== 'invalid') throw new Error('expected invalid');
    const message = invalidCommandMessage(parsed);
    expectValid(message);
    const text = allText(message);
    expect(text).toContain('• `&lt;@U012ABC|bob&gt;` — a Slack user mention, not an instance ID');
    expect(text).toContain('instance IDs are lowercase — did you mean i-bp1abcdefghijk12345?');
    expect(text).toContain('`a&amp;b`');
    expect(text).not.toContain('<@U012ABC');
    expect(message.text).not.toContain('<@');
  });

  it('invalid command: a 4,000-character paste with 31 problems stays valid', () => {
    const paste = Array.from({ length: 300 }, (_, i) => `<@U${i}ABC> ${'ÿ'.repeat(70)}${i}`).join('\n');
    const parsed = parseCommand(paste, { maxInstances: 5, defaultRegion: 'cn-hangzhou' });
    if (parsed.kind !== 'invalid') throw new Error('expected invalid');
    expect(parsed.problems).toHaveLength(31);
    const message = invalidCommandMessage(parsed);
    expectValid(message);
    expect(allText(message)).toContain('more problems');
  });

  it('the fixed replies say what they must', () => {
    const replies = [
      notAllowedInChannelMessage(['C012ABC', 'C034DEF']),
      notARequesterMessage('/hbr-status'),
      auditForApproversMessage('/hbr-install', APPROVERS),
      decisionRefusedMessage('self_approval', 'approve', pendingRequest(1), RULES),
      unknownRequestMessage(),
      temporarilyUnavailableMessage(),
      somethingWentWrongMessage('ref-123'),
      somethingWentWrongMessage('rabcdefghijkm', 'The request could not be posted: the bot is not in the channel.'),
    ];
    replies.forEach(expectValid);
    expect(allText(replies[0] as SlackMessage)).toContain('Send the command in <#C012ABC> or <#C034DEF>.');
    expect(allText(temporarilyUnavailableMessage())).toContain(
      'hbr-bot is temporarily unavailable (cannot reach its database) — try again in a minute',
    );
    expect(allText(somethingWentWrongMessage('ref-123'))).toContain('`ref-123`');
    expect(allText(replies[7] as SlackMessage)).toContain('The request could not be posted');
  });

  it('a refusal names what was refused and who may do it', () => {
    const request = pendingRequest(1);
    expect(allText(decisionRefusedMessage('not_approver', 'approve', request, RULES))).toBe(
      'Only <@U0APPROVER> or <!subteam^S0OPSTEAM> can approve this request, and you are not an hbr-bot approver. Nothing was changed.',
    );
    expect(allText(decisionRefusedMessage('not_approver', 'reject', request, RULES))).toContain(
      'can reject this request',
    );
    expect(allText(decisionRefusedMessage('not_requester', 'withdraw', request, RULES))).toBe(
      `Only <@${REQUESTER}>, who made this request, can withdraw it. Nothing was changed.`,
    );
    const byApprover = { ...request, requesterId: APPROVER };
    expect(allText(decisionRefusedMessage('self_approval', 'approve', byApprover, RULES))).toBe(
      'You cannot approve your own request: <!subteam^S0OPSTEAM> can. To take it back, click *Withdraw*.',
    );
    expect(
      allText(decisionRefusedMessage('self_approval', 'approve', byApprover, { ...RULES, approvers: [APPROVER] })),
    ).toBe(
      'You cannot approve your own request, and no one can approve it: you are the only hbr-bot approver, and an hbr-bot admin can add another to HBR_APPROVERS. To take it back, click *Withdraw*.',
    );
    const audit = allText(auditForApproversMessage('/hbr-install', APPROVERS));
    expect(audit).toBe(
      'Only hbr-bot approvers (<@U0APPROVER> or <!subteam^S0OPSTEAM>) can read the audit trail with `/hbr-install audit`, and you are not one.',
    );
    expect(audit).not.toMatch(/button/);
    expect(allText(notARequesterMessage('/hbr-status'))).toBe(
      'You are not allowed to request or look anything up with `/hbr-status`: it is for hbr-bot requesters, and an hbr-bot admin can add you to HBR_REQUESTERS.',
    );
  });

  it('an invalid look-up says nothing was looked up; an invalid request, that nothing was requested', () => {
    const intro = (text: string) => {
      const parsed = parseCommand(text, { maxInstances: 5, defaultRegion: 'cn-hangzhou' });
      if (parsed.kind !== 'invalid') throw new Error(`expected invalid for ${text}`);
      return allText(invalidCommandMessage(parsed)).split('\n')[0];
    };
    expect(intro('web-01')).toBe('Nothing was requested — fix this and send the command again:');
    expect(intro('status web-01 db-01')).toBe('Nothing was looked up — fix these and send the command again:');
    expect(intro('show nope')).toBe('Nothing was looked up — fix this and send the command again:');
    expect(intro('audit 1000')).toBe('Nothing was looked up — fix this and send the command again:');
    const tooMany = parseCommand(instanceIds(7).join(' '), { maxInstances: 5, defaultRegion: 'cn-hangzhou' });
    if (tooMany.kind !== 'invalid') throw new Error('expected invalid');
    expect(allText(invalidCommandMessage(tooMany))).toContain(
      '• 7 instances given, at most 5 per request — split them over several requests',
    );
  });

  it('already decided names who and when, or the expiry', () => {
    const approved = alreadyDecidedMessage({ outcome: 'approved', by: 'U0BOSS', at: T0 });
    const rejected = alreadyDecidedMessage({ outcome: 'rejected', by: 'U0BOSS', at: T0 });
    const expired = alreadyDecidedMessage({ outcome: 'expired', by: null, at: T0 });
    [approved, rejected, expired].forEach(expectValid);
    expect(allText(approved)).toContain('already approved by <@U0BOSS>');
    expect(allText(rejected)).toContain('already rejected by <@U0BOSS>');
    expect(allText(expired)).toContain('this request expired at <!date^');
  });
});

describe('helpMessage', () => {
  it('shows usage, an example, the limit, the approvers and the regions', () => {
    const message = helpMessage({
      command: '/hbr-install',
      defaultRegion: 'cn-hangzhou',
      maxInstances: 200,
      ...RULES,
    });
    expectValid(message);
    const text = allText(message);
    expect(text).toContain('`/hbr-install <instance IDs> [--region <region>]`');
    expect(text).toContain('--region cn-shanghai');
    expect(text).toContain('Up to *200* instances');
    expect(text).toContain('default `cn-hangzhou`');
    expect(text).toContain('<@U0APPROVER> or <!subteam^S0OPSTEAM>');
    expect(text).toContain('cn-hangzhou-finance');
    expect(text).toContain('me-central-1');
    expect(text).toContain(
      'Nothing is installed without an approval, you cannot approve your own request, and you can withdraw it with Withdraw while it waits.',
    );
    const selfApproved = allText(
      helpMessage({
        command: '/hbr-install',
        defaultRegion: 'cn-hangzhou',
        maxInstances: 200,
        ...RULES,
        allowSelfApproval: true,
      }),
    );
    expect(selfApproved).toContain('Nothing is installed without an approval, and you can withdraw it');
  });
});

describe('an uninstall request reads as one', () => {
  function uninstallIn(status: RequestStatus, n: number): HbrRequest {
    const base = withStatus(pendingRequest(n, 'cn-hangzhou', 'uninstall'), status);
    if (status !== 'finished') return base;
    return poll(submit({ ...base, finishedAt: T0 + 20 * 60_000 }), 'completed', (id) =>
      id.endsWith('3')
        ? { clientStatus: 'UNINSTALL_FAILED', errorCode: 'UninstallClientFailed' }
        : { clientStatus: 'NOT_INSTALLED' },
    );
  }

  it('pending: a danger Approve whose confirm names the count and the consequence, a plain Reject', () => {
    const message = requestMessage(uninstallIn('pending', 3), { ...RULES, now: T0 });
    expectValid(message);
    const [approve, reject] = actionsOf(message)?.elements ?? [];
    expect(approve).toMatchObject({ action_id: APPROVE_ACTION, style: 'danger', confirm: { style: 'danger' } });
    expect(approve?.confirm?.title.text).toBe('Approve the uninstall?');
    expect(approve?.confirm?.text.text).toMatch(
      /^Uninstall the HBR backup client from 3 instances in cn-hangzhou\? HBR stops backing them up/,
    );
    expect(reject?.style).toBeUndefined();
    expect(allText(message)).toContain('HBR backup client uninstall: 3 instances in cn-hangzhou');
    expect(message.text).toContain('asks to uninstall the HBR backup client from 3 instances');
  });

  it('says "it" of one instance and "them" of several in the confirm dialog', () => {
    const confirm = (n: number) =>
      actionsOf(requestMessage(uninstallIn('pending', n), RULES))?.elements?.[0]?.confirm?.text.text;
    expect(confirm(1)).toBe(
      'Uninstall the HBR backup client from 1 instance in cn-hangzhou? HBR stops backing it up until the client is installed again.',
    );
    expect(confirm(2)).toContain('HBR stops backing them up');
  });

  it('every stage and size stays valid and never says install', () => {
    for (const status of STATUSES) {
      for (const n of SIZES) {
        const request = uninstallIn(status, n);
        for (const message of [requestMessage(request, RULES), progressMessage(request), finalResultMessage(request)]) {
          expectValid(message);
          const text = allText(message)
            .replace(operationWords('uninstall').consequence(n), '')
            .replace(/uninstall/gi, '');
          expect(text).not.toMatch(/install/i);
        }
      }
    }
  });

  it('results: uninstalled, the failure in uninstall words, the summary', () => {
    const message = finalResultMessage(uninstallIn('finished', 20));
    const text = allText(message);
    expect(message.text).toBe(
      `<@${REQUESTER}> HBR uninstall request rabcdefghijkm finished: Uninstalled from 18 of 20 instances — 2 failed`,
    );
    expect(text).toContain(':white_check_mark: `i-bp100000000000000000` uninstalled');
    expect(text).toContain(
      ':x: `i-bp100000000000000003` failed — `UNINSTALL_FAILED UninstallClientFailed`: the uninstall failed',
    );
    expect(allText(requestMessage(uninstallIn('rejected', 2), RULES))).toContain('Nothing was uninstalled.');
  });
});

describe('show: requestDetailsMessage', () => {
  for (const operation of ['install', 'uninstall'] as const) {
    it(`${operation}: valid at every stage and size, with the status and every instance`, () => {
      for (const status of STATUSES) {
        for (const n of SIZES) {
          const request = requestIn(status, n, operation);
          const message = requestDetailsMessage(request, RULES);
          expectValid(message);
          const text = allText(message);
          expect(text).toContain(request.id);
          expect(actionsOf(message)).toBeUndefined();
          if (n <= 20) for (const id of request.instanceIds) expect(text).toContain(id);
        }
      }
    });
  }

  it('says where a request stands, who decided, and why it failed', () => {
    expect(allText(requestDetailsMessage(requestIn('pending', 2), RULES))).toContain(
      '*Status:* waiting for approval by <@U0APPROVER>',
    );
    const finished = allText(requestDetailsMessage(requestIn('finished', 20), RULES));
    expect(finished).toContain('*Status:* Installed on 18 of 20 instances — 2 failed');
    expect(finished).toContain(`Approved by <@${APPROVER}>`);
    const failed = allText(requestDetailsMessage(requestIn('failed', 3), RULES));
    expect(failed).toContain(
      '*Failed:* the RAM user lacks the hbr:InstallBackupClients permission (code `Forbidden.RAM`',
    );
  });

  it('an unknown id is named, with how long requests are kept', () => {
    const message = unknownRequestIdMessage('rzzzzzzzzzzzz', 30 * 24 * 3600_000);
    expectValid(message);
    expect(allText(message)).toContain('hbr-bot knows no request `rzzzzzzzzzzzz`');
    expect(allText(message)).toContain('kept for 30 days');
  });
});

describe('status: clientStatusMessage', () => {
  const client = (instanceId: string, fields: Partial<BackupClientState>): BackupClientState => ({
    clientId: `c-${instanceId}`,
    instanceId,
    instanceName: '',
    status: 'ACTIVATED',
    clientVersion: '2.13.2',
    maxClientVersion: '2.14.0',
    lastHeartBeatTime: T0 - 3 * 60_000,
    ...fields,
  });

  it('one line per instance and one hint per problem', () => {
    const ids = instanceIds(4);
    const message = clientStatusMessage(
      clientStatuses(
        ids,
        [
          client(ids[0] ?? '', { instanceName: 'web-01' }),
          client(ids[1] ?? '', { status: 'STOPPED' }),
          client(ids[2] ?? '', { status: 'STOPPED' }),
        ],
        T0,
      ),
      'cn-hangzhou',
    );
    expectValid(message);
    const text = allText(message);
    expect(text).toContain(
      ':white_check_mark: `web-01` `i-bp100000000000000000` *protected* · client `2.13.2`, outdated (`2.14.0` available) · last heartbeat 3 minutes ago',
    );
    expect(text).toContain(':x: `i-bp100000000000000001` *stopped* `STOPPED`');
    expect(text).toContain(':heavy_minus_sign: `i-bp100000000000000003` *no backup client*');
    expect(text).toContain('*What to do:*');
    expect(text).toContain('• *stopped* (2 instances): backup client is stopped');
    expect(message.text).toBe(
      'HBR backup client status in cn-hangzhou: 1 protected (1 outdated) · 2 stopped (2 outdated) · 1 no backup client',
    );
  });

  it('200 instances, each with its own long odd status and version, stay valid and all listed', () => {
    const ids = instanceIds(200);
    const clients = ids.map((id, i) =>
      client(id, {
        status: `ODD_${i}_${'<&>'.repeat(40)}`,
        clientVersion: `${i}.${'9'.repeat(50)}`,
        maxClientVersion: `${i + 1}.0`,
      }),
    );
    const message = clientStatusMessage(clientStatuses(ids, clients, T0), 'cn-hangzhou');
    expectValid(message);
    const text = allText(message);
    for (const id of ids) expect(text).toContain(id);
    expect(text).not.toContain('<&>');
  });

  it('an HBR failure names the code and RequestId', () => {
    const message = clientStatusFailedMessage(FAILURE, 'cn-hangzhou');
    expectValid(message);
    expect(allText(message)).toContain(
      'Could not read the HBR backup client status in `cn-hangzhou`: the RAM user lacks',
    );
    expect(allText(message)).toContain('HBR RequestId `473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E`');
  });
});

describe('helpMessage: every command and subcommand', () => {
  const base = { defaultRegion: 'cn-hangzhou', maxInstances: 200, ...RULES };

  it.each<[string, 'install' | 'uninstall' | 'status' | 'show', string]>([
    ['/hbr-uninstall', 'uninstall', '`/hbr-uninstall <instance IDs> [--region <region>]`'],
    [
      '/hbr-status',
      'status',
      '`/hbr-status <instance IDs> [--region <region>]` or `/hbr-install status <instance IDs> [--region <region>]`',
    ],
    ['/hbr-install', 'show', '`/hbr-install show <request id>`'],
  ])('%s, topic %s', (command, topic, usage) => {
    const message = helpMessage({ ...base, command, topic });
    expectValid(message);
    expect(allText(message)).toContain(usage);
  });

  it('every usage names the other commands', () => {
    const text = allText(helpMessage({ ...base, command: '/hbr-install' }));
    for (const other of [
      '/hbr-uninstall <instance IDs>',
      '/hbr-status <instance IDs>',
      '/hbr-install show <request id>',
    ])
      expect(text).toContain(other);
  });
});

describe('auditMessage', () => {
  it('lists events newest first with who, what and HBR RequestIds, within Block Kit limits', async () => {
    const { auditMessage } = await import('../../../src/slack/messages/audit.js');
    const at = Date.UTC(2026, 10, 27, 12, 0, 0);
    // Events as an earlier version wrote them (no instance IDs, no approver group): still readable.
    const records = [
      {
        type: 'request.finished' as const,
        requestId: 'rabcdefghijkm',
        operation: 'install' as const,
        status: 'finished',
        summary: 'Installed on 1 of 2 instances — 1 failed',
        outcomes: { succeeded: 1, failed: 1 },
        failureCode: null,
        hbrRequestIds: ['REQ-1'],
        at: at + 3,
      },
      {
        type: 'request.submitted' as const,
        requestId: 'rabcdefghijkm',
        operation: 'install' as const,
        taskIds: ['t-1'],
        hbrRequestIds: ['REQ-1'],
        refused: 1,
        at: at + 2,
      },
      {
        type: 'request.decided' as const,
        requestId: 'rabcdefghijkm',
        operation: 'install' as const,
        actor: 'UAPPROVER',
        outcome: 'approved' as const,
        at: at + 1,
      },
      {
        type: 'request.created' as const,
        requestId: 'rabcdefghijkm',
        operation: 'uninstall' as const,
        actor: 'UREQ',
        channel: 'COPS',
        region: 'cn-hangzhou',
        instances: 2,
        at,
      },
    ];
    const message = auditMessage(records as AuditRecord[], 4, '/hbr-install', null);
    const text = JSON.stringify(message.blocks);
    expect(blockKitProblems(message)).toEqual([]);
    expect(text).toContain('`rabcdefghijkm` finished: Installed on 1 of 2 instances — 1 failed');
    expect(text).not.toContain('ended finished');
    expect(text.indexOf('`rabcdefghijkm` finished: Installed on 1 of 2 instances — 1 failed')).toBeLessThan(
      text.indexOf('<@UAPPROVER> approved'),
    );
    expect(text).toContain('REQ-1');
    expect(text).toContain('<@UREQ> asked to uninstall the HBR backup client from 2 instances');
    expect(text).toContain('sent to HBR: 1 task started, 1 refused by HBR');
    expect(text).toContain('`/hbr-install audit 8` shows more');
    expect(auditMessage([], 20, '/hbr-install', null).text).toMatch(/empty/);
    const many = Array.from({ length: 100 }, (_, i) => ({
      ...records[3]!,
      requestId: `r${String(i).padStart(12, 'a')}`,
      at: at + i,
    }));
    expect(blockKitProblems(auditMessage(many as AuditRecord[], 100, '/hbr-install', null))).toEqual([]);
  });
});

describe('progressStep', () => {
  it('rounds progress down to quarters so the reply changes a handful of times per task', async () => {
    const { progressStep } = await import('../../../src/slack/messages/progress.js');
    expect([0, 10, 24, 25, 49, 50, 74, 75, 99, 100, 130].map(progressStep)).toEqual([
      'starting',
      'starting',
      'starting',
      '25%+',
      '25%+',
      '50%+',
      '50%+',
      '75%+',
      '75%+',
      '100%',
      '100%',
    ]);
    expect(new Set(Array.from({ length: 101 }, (_, p) => progressStep(p))).size).toBe(5);
  });
});
