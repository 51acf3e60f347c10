/**
 * Hostile input, property-based (fast-check): whatever text follows a slash command, whatever HBR
 * puts in its answers, whatever a button payload carries.
 *
 * - The parser never throws; a request is only ever well-formed, unique instance IDs in a known
 *   region, no more than allowed; any bad token (markup, masked or cut-off IDs, look-alikes) refuses
 *   the whole command; and every answer it leads to fits Block Kit's limits.
 * - Every message builder stays within Block Kit's limits for any request record, including HBR
 *   answers full of junk, markup and 3,000-character strings.
 * - End to end (the real bot, fewer runs): every command is answered within 3 s, nothing is logged as
 *   an error, and HBR is only ever called with valid, distinct IDs, at most 20 per call.
 * - Buttons with unknown, tampered or stale request ids are refused with an ephemeral and change nothing.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { blockKitProblems } from '../../sandbox/block-kit-limits.js';
import { sendBlockAction, sendSlashCommand } from '../../sandbox/slack-requests.js';
import type { AuditRecord } from '../../src/domain/audit-event.js';
import type { BackupClientState } from '../../src/domain/client-status.js';
import { chunk, INSTANCE_ID_PATTERN } from '../../src/domain/instance-ids.js';
import { HBR_REGIONS, isHbrRegion } from '../../src/domain/regions.js';
import {
  type HbrRequest,
  newRequest,
  REQUEST_ID_PATTERN,
  REQUEST_RETENTION_MS,
  type RequestStatus,
  type Submission,
  type TaskPhase,
  type TaskProgress,
} from '../../src/domain/request.js';
import { APPROVE_ACTION, REJECT_ACTION } from '../../src/slack/messages/action-ids.js';
import { auditMessage } from '../../src/slack/messages/audit.js';
import type { SlackMessage } from '../../src/slack/messages/blocks.js';
import { invalidCommandMessage } from '../../src/slack/messages/error-replies.js';
import { helpMessage } from '../../src/slack/messages/help.js';
import { progressMessage } from '../../src/slack/messages/progress.js';
import { requestMessage, requestPostedMessage } from '../../src/slack/messages/request.js';
import { finalResultMessage } from '../../src/slack/messages/result.js';
import { requestDetailsMessage, unknownRequestIdMessage } from '../../src/slack/messages/show.js';
import { clientStatuses, clientStatusFailedMessage, clientStatusMessage } from '../../src/slack/messages/status.js';
import { type CommandName, type ParsedCommand, parseCommand } from '../../src/slack/slash-command-parser.js';
import { APPROVER, CHANNEL, type Harness, REQUESTER, SIGNING_SECRET, startHarness } from '../support/bot-harness.js';
import { footprint, settled } from '../support/footprint.js';
import { acceptableCommandText, commandText, hbrText, slackMarkup, validInstanceId } from '../support/hostile-text.js';
import { waitFor } from '../support/wait-for.js';

const RULES = { approvers: [APPROVER, 'S0OPSTEAM1'], allowSelfApproval: false };
const T0 = Date.UTC(2025, 0, 15, 9, 30);

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function expectWithinLimits(message: SlackMessage | { text?: string; blocks?: unknown[] }, what: string): void {
  expect(blockKitProblems(message), what).toEqual([]);
  expect((message.text ?? '').length, `${what}: fallback text`).toBeGreaterThan(0);
}

/** The answer the command handler gives for a parse, where it needs no I/O. */
function answersFor(parsed: ParsedCommand, command: string, maxInstances: number): SlackMessage[] {
  switch (parsed.kind) {
    case 'help':
      return [helpMessage({ command, topic: parsed.topic, defaultRegion: 'cn-hangzhou', maxInstances, ...RULES })];
    case 'invalid':
      return [invalidCommandMessage(parsed, command)];
    case 'request': {
      const request = newRequest({
        id: 'rabcdefghijkm',
        operation: parsed.operation,
        requesterId: REQUESTER,
        originChannel: CHANNEL,
        region: parsed.region,
        instanceIds: parsed.instanceIds,
        now: T0,
        approvalTtlMs: 86_400_000,
      });
      return [
        requestMessage(request, RULES),
        requestPostedMessage(request, {
          ...RULES,
          duplicates: parsed.duplicates,
        }),
      ];
    }
    case 'show':
      return [unknownRequestIdMessage(parsed.requestId, REQUEST_RETENTION_MS)];
    case 'audit':
      return [auditMessage([], parsed.count, '/hbr-install', parsed.filter)];
    case 'status':
      return [];
  }
}

/** What must hold for every parse. */
function checkParse(parsed: ParsedCommand, maxInstances: number): void {
  switch (parsed.kind) {
    case 'request':
    case 'status':
      expect(parsed.instanceIds.length).toBeGreaterThan(0);
      expect(parsed.instanceIds.length).toBeLessThanOrEqual(maxInstances);
      expect(new Set(parsed.instanceIds).size).toBe(parsed.instanceIds.length);
      for (const id of parsed.instanceIds) expect(id).toMatch(INSTANCE_ID_PATTERN);
      for (const part of chunk(parsed.instanceIds, 20)) expect(part.length).toBeLessThanOrEqual(20);
      expect(isHbrRegion(parsed.region)).toBe(true);
      break;
    case 'invalid':
      expect(parsed.problems.length).toBeGreaterThan(0);
      expect(parsed.problems.length).toBeLessThanOrEqual(31);
      for (const problem of parsed.problems) {
        expect(Array.from(problem.token ?? '').length).toBeLessThanOrEqual(60);
        expect(problem.reason.length).toBeGreaterThan(0);
      }
      break;
    case 'show':
      expect(parsed.requestId).toMatch(REQUEST_ID_PATTERN);
      break;
    case 'audit':
      expect(parsed.count).toBeGreaterThanOrEqual(1);
      expect(parsed.count).toBeLessThanOrEqual(100);
      break;
    case 'help':
      break;
  }
}

const commandName = fc.constantFrom<CommandName>('install', 'uninstall', 'status');
const slashOf: Record<CommandName, string> = {
  install: '/hbr-install',
  uninstall: '/hbr-uninstall',
  status: '/hbr-status',
};

/** Tokens that can never be an instance ID, whatever cleaning does to them. */
const badToken = fc.oneof(
  validInstanceId.map((id) => id.toUpperCase()),
  validInstanceId.map((id) => `${id.slice(0, 8)}****`),
  validInstanceId.map((id) => `${id.slice(0, 10)}…`),
  fc.stringMatching(/^i-[a-z0-9]{0,7}$/),
  fc.stringMatching(/^i-[a-z0-9]{31,40}$/),
  validInstanceId.map((id) => id.replace('i-', '\u0456-')),
  slackMarkup.filter((m) => m.startsWith('<') && m.endsWith('>') && m.length > 3 && !m.includes('<<')),
);

describe('the command parser and its answers, for any text', () => {
  it('never throws, only ever requests valid distinct IDs, and every answer fits Block Kit', () => {
    fc.assert(
      fc.property(commandText, commandName, fc.integer({ min: 1, max: 300 }), (text, command, maxInstances) => {
        const parsed = parseCommand(text, { maxInstances, defaultRegion: 'cn-hangzhou', command });
        checkParse(parsed, maxInstances);
        for (const message of answersFor(parsed, slashOf[command], maxInstances))
          expectWithinLimits(message, parsed.kind);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses the whole command when any one token is not an instance ID, and quotes it back', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(validInstanceId, { minLength: 0, maxLength: 30 }),
        badToken,
        fc.nat(),
        (ids, bad, at) => {
          const tokens = [...ids];
          tokens.splice(at % (ids.length + 1), 0, bad);
          const parsed = parseCommand(tokens.join(' '), { maxInstances: 200, defaultRegion: 'cn-hangzhou' });
          expect(parsed.kind).toBe('invalid');
          if (parsed.kind === 'invalid') expect(parsed.problems.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('drops repeated IDs and keeps the order; --region in any spelling picks that region', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(validInstanceId, { minLength: 1, maxLength: 40 }),
        fc.constantFrom(...HBR_REGIONS),
        fc.constantFrom('--region ', '--region=', '\u2014region ', '-region ', '--REGION '),
        fc.constantFrom(' ', ',', '\n', ' | ', '；'.replace('；', ';')),
        (ids, region, flag, sep) => {
          const text = [...ids, ...ids.slice(0, 3), `${flag}${region.toUpperCase()}`].join(sep);
          const parsed = parseCommand(text, { maxInstances: 200, defaultRegion: 'cn-hangzhou' });
          expect(parsed).toMatchObject({
            kind: 'request',
            instanceIds: ids,
            region,
            duplicates: Math.min(3, ids.length),
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Message builders over arbitrary request records

const STATUSES: RequestStatus[] = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'submitting',
  'polling',
  'finished',
  'failed',
];
const PHASES: TaskPhase[] = ['running', 'completed', 'failed', 'expired', 'cancelled', 'timed_out'];

/** A request record in any status, with HBR's answers drawn from `pool` by a seeded walk. */
const requestRecord = fc
  .record({
    operation: fc.constantFrom('install' as const, 'uninstall' as const),
    ids: fc.uniqueArray(validInstanceId, { minLength: 1, maxLength: 200 }),
    region: fc.constantFrom(...HBR_REGIONS),
    status: fc.constantFrom(...STATUSES),
    pool: fc.array(hbrText, { minLength: 8, maxLength: 8 }),
    seed: fc.nat(),
    failed: fc.boolean(),
  })
  .map(({ operation, ids, region, status, pool, seed, failed }): HbrRequest => {
    let state = seed;
    const next = (n: number) => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % n;
    };
    const text = () => pool[next(pool.length)] ?? '';
    const base = newRequest({
      id: 'rabcdefghijkm',
      operation,
      requesterId: REQUESTER,
      originChannel: CHANNEL,
      region,
      instanceIds: ids,
      now: T0,
      approvalTtlMs: 3_600_000,
    });
    const submitted = status === 'submitting' || status === 'polling' || status === 'finished' || status === 'failed';
    const submissions: Submission[] = submitted
      ? chunk(ids, 20).map((part, index) => {
          const instances = part.map((instanceId) => ({
            instanceId,
            valid: next(4) > 0,
            errorCode: next(4) > 0 ? '' : text(),
          }));
          return {
            index,
            instanceIds: part,
            taskId: instances.some((i) => i.valid) ? `t-${text().slice(0, 40)}${index}` : null,
            hbrRequestId: text(),
            instances,
            submittedAt: T0 + 60_000,
          };
        })
      : [];
    const tasks: TaskProgress[] = submissions.flatMap((s) =>
      s.taskId === null
        ? []
        : [
            {
              taskId: s.taskId,
              phase: PHASES[next(PHASES.length)] ?? 'running',
              progress: [-1, 0, 37, 100, 250][next(5)] ?? 0,
              results: [
                ...s.instances
                  .filter((i) => i.valid && next(5) > 0)
                  .map((i) => ({
                    instanceId: i.instanceId,
                    clientId: text(),
                    clientStatus: text(),
                    errorCode: text(),
                  })),
                ...(next(3) === 0
                  ? [{ instanceId: text(), clientId: text(), clientStatus: text(), errorCode: text() }]
                  : []),
              ],
              polledAt: T0 + 120_000,
              polls: next(30),
            },
          ],
    );
    return {
      ...base,
      status,
      decision:
        status === 'pending'
          ? null
          : {
              outcome: status === 'rejected' ? 'rejected' : status === 'expired' ? 'expired' : 'approved',
              by: status === 'expired' ? null : APPROVER,
              at: T0 + 30_000,
            },
      message: { channel: CHANNEL, ts: '1700000000.000100' },
      submissions,
      tasks,
      failure:
        failed || status === 'failed'
          ? { code: text(), explanation: text(), hbrRequestId: next(2) === 0 ? null : text() }
          : null,
      finishedAt: status === 'finished' || status === 'failed' ? T0 + 600_000 : null,
    };
  });

const clientState: fc.Arbitrary<BackupClientState> = fc.record({
  clientId: hbrText,
  instanceId: fc.oneof(validInstanceId, hbrText),
  instanceName: hbrText,
  status: hbrText,
  clientVersion: hbrText,
  maxClientVersion: hbrText,
  lastHeartBeatTime: fc.option(fc.integer({ min: 0, max: 4_102_444_800_000 })),
});

describe('every message the bot builds, for any request and any HBR answer', () => {
  it('fits Block Kit: request, progress, final reply, show, posted note', () => {
    fc.assert(
      fc.property(requestRecord, (request) => {
        expectWithinLimits(requestMessage(request, RULES), 'request message');
        expectWithinLimits(
          requestMessage(request, { ...RULES, now: request.expiresAt + 1 }),
          'request message, past its TTL',
        );
        expectWithinLimits(progressMessage(request), 'progress reply');
        expectWithinLimits(finalResultMessage(request), 'final reply');
        expectWithinLimits(requestDetailsMessage(request, { ...RULES, now: T0 + 700_000 }), 'show');
        expectWithinLimits(
          requestPostedMessage(request, {
            ...RULES,
            permalink: 'https://x.slack.com/archives/C1/p1',
            duplicates: 3,
          }),
          'posted note',
        );
      }),
      { numRuns: 400 },
    );
  });

  it('fits Block Kit: status answers and failures, audit listings', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(validInstanceId, { minLength: 1, maxLength: 200 }),
        fc.array(clientState, { maxLength: 60 }),
        fc.record({ code: hbrText, explanation: hbrText, hbrRequestId: fc.option(hbrText) }),
        fc.constantFrom(...HBR_REGIONS),
        (ids, clients, failure, region) => {
          const withKnown = clients.map((c, i) =>
            i % 2 === 0 ? { ...c, instanceId: ids[i % ids.length] ?? c.instanceId } : c,
          );
          expectWithinLimits(clientStatusMessage(clientStatuses(ids, withKnown, T0), region), 'status answer');
          expectWithinLimits(clientStatusFailedMessage(failure, region), 'status failure');
          const records: AuditRecord[] = withKnown.slice(0, 100).map((c, i) => ({
            type: 'request.finished',
            requestId: 'rabcdefghijkm',
            operation: 'install',
            status: 'finished',
            summary: c.status,
            outcomes: { succeeded: i, failed: 1 },
            failedInstanceIds: ids.slice(0, i),
            failureCode: c.clientVersion,
            hbrRequestIds: [c.clientId],
            at: T0 + i,
          }));
          const refusals: AuditRecord[] = withKnown.slice(0, 100).map((c, i) => ({
            type: 'access.refused',
            actor: c.clientId,
            channel: c.clientVersion,
            attempt: c.status,
            reason: 'not_requester',
            requestId: null,
            instanceIds: ids,
            at: T0 + i,
          }));
          expectWithinLimits(auditMessage(records, 100, '/hbr-install', null), 'audit listing');
          expectWithinLimits(
            auditMessage(refusals, 100, '/hbr-install', { by: 'instance', instanceId: ids[0] ?? '' }),
            'audit listing of refusals',
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// End to end: the real bot

/** The instance IDs of each HBR call made since `from`, and whether the call is one of the ≤ 20 kind. */
function hbrCallIds(h: Harness, from: number): Array<{ ids: string[]; capped: boolean }> {
  return h.hbr.calls
    .slice(from)
    .filter(
      (c) =>
        c.action === 'InstallBackupClients' ||
        c.action === 'UninstallBackupClients' ||
        c.action === 'DescribeBackupClients',
    )
    .map((c) => ({
      ids: JSON.parse(c.params.InstanceIds ?? '[]') as string[],
      capped: c.action !== 'DescribeBackupClients',
    }));
}

describe('the real bot, fed hostile commands', () => {
  it('answers every command within 3 s, logs no error, and calls HBR only with valid distinct IDs, ≤ 20 per call', {
    timeout: 90_000,
  }, async () => {
    harness = await startHarness({ env: { HBR_POLL_FIRST_DELAY_MS: '100', HBR_POLL_INTERVAL_MS: '100' } });
    const h = harness;
    let requestsSeen = 0;
    const answered = { ack: 0, later: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          commandText,
          acceptableCommandText,
          acceptableCommandText.map((t) => `status ${t}`),
        ),
        commandName,
        async (text, command) => {
          const url = h.slack.responseUrl({ channel: CHANNEL, user: REQUESTER });
          const id = url.split('/').pop() ?? '';
          const callsBefore = h.hbr.calls.length;
          const response = await sendSlashCommand(
            h.eventsUrl,
            { command: slashOf[command], text, user_id: REQUESTER, channel_id: CHANNEL, response_url: url },
            { signingSecret: SIGNING_SECRET },
          );
          expect(response.status).toBe(200);
          expect(response.latencyMs).toBeLessThan(3000);
          if (response.json !== null) {
            expectWithinLimits(response.json as SlackMessage, 'ack answer');
            answered.ack += 1;
          } else {
            answered.later += 1;
            // Acknowledged empty: the answer comes through response_url, within the same 3 s.
            await waitFor(() => h.slack.responseUrlPosts.find((p) => p.id === id), {
              message: `an answer to ${JSON.stringify(text.slice(0, 80))}`,
              timeoutMs: 3000,
            });
          }
          const requests = h.requestMessages();
          if (requests.length > requestsSeen) {
            requestsSeen = requests.length;
            const { message, requestId } = await h.waitForRequest(requestsSeen);
            await h.click('approve', requestId, APPROVER);
            await waitFor(() => h.threadReplies(message).find((r) => r.text.includes(`<@${REQUESTER}>`)), {
              message: 'final reply',
              timeoutMs: 15_000,
            });
          }
          const sent: string[] = [];
          for (const { ids, capped } of hbrCallIds(h, callsBefore)) {
            expect(ids.length).toBeGreaterThan(0);
            // Install and uninstall take at most 20 IDs per call; DescribeBackupClients pages its answer instead.
            if (capped) expect(ids.length).toBeLessThanOrEqual(20);
            for (const id of ids) expect(id).toMatch(INSTANCE_ID_PATTERN);
            sent.push(...ids);
          }
          // Across the calls one command led to, no ID twice (a status look-up asks once, a request submits each once).
          expect(new Set(sent).size).toBe(sent.length);
        },
      ),
      { numRuns: 24 },
    );
    console.log(
      `hostile commands: ${answered.ack} answered in the ack, ${answered.later} through response_url, ${requestsSeen} requests approved, ${h.hbr.calls.length} HBR calls`,
    );
    expect(requestsSeen).toBeGreaterThan(0);
    const errors = h.logs.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errors).toEqual([]);
  });

  it('refuses buttons with unknown, tampered or stale request ids with an ephemeral, changing nothing', {
    timeout: 60_000,
  }, async () => {
    harness = await startHarness();
    const h = harness;
    await h.command('i-bp1buttonbuttonbut01');
    const live = await h.waitForRequest(1);
    await h.command('i-bp1buttonbuttonbut02');
    const stale = await h.waitForRequest(2);
    await h.click('reject', stale.requestId, APPROVER);
    await waitFor(() => /Rejected by/.test(h.textOf(stale.message)) || undefined, {
      message: 'second request rejected',
    });
    await settled(h, live.requestId, stale.requestId);
    const before = await footprint(h);

    const value = fc.oneof(
      fc.string({ maxLength: 3000, unit: 'grapheme' }),
      fc.string({ maxLength: 100, unit: 'binary' }),
      fc.stringMatching(/^r[a-z2-7]{12}$/),
      fc.constantFrom(
        live.requestId.toUpperCase(),
        `${live.requestId} `,
        `${live.requestId}\u0000`,
        '',
        'null',
        '{"id":1}',
        stale.requestId,
      ),
    );
    const target = fc.constantFrom('own message', 'other message', 'no message', 'made-up message');
    await fc.assert(
      fc.asyncProperty(value, target, fc.constantFrom(APPROVE_ACTION, REJECT_ACTION), async (raw, where, actionId) => {
        // The live request's id is only refused when it is not on its own message.
        const onItsOwn = where === 'own message' && raw === live.requestId;
        fc.pre(!onItsOwn);
        const carrier = where === 'other message' ? stale.message : live.message;
        const ts = where === 'made-up message' ? '1699999999.000001' : carrier.ts;
        const url = h.slack.responseUrl({ channel: carrier.channel, user: APPROVER, messageTs: ts });
        const response = await sendBlockAction(
          h.eventsUrl,
          {
            action_id: actionId,
            value: raw,
            user_id: APPROVER,
            channel_id: carrier.channel,
            message_ts: ts,
            response_url: url,
            is_ephemeral: where === 'no message',
          },
          { signingSecret: SIGNING_SECRET },
        );
        expect(response.status).toBe(200);
        const answer = await waitFor(() => h.slack.responseUrlPosts.find((p) => url.endsWith(p.id)), {
          message: 'an ephemeral refusal',
          timeoutMs: 3000,
        });
        expect(JSON.stringify(answer.body)).toMatch(/does not know this request|already rejected/);
        expect(answer.body.response_type).toBe('ephemeral');
      }),
      { numRuns: 25 },
    );
    expect(await footprint(h)).toEqual(before);
    expect(h.textOf(live.message)).toContain('hbr_approve');
  });
});
