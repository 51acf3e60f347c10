import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { PostedMessage } from '../../../sandbox/slack-api-server.js';
import type { AuditRecord } from '../../../src/domain/audit-event.js';
import { AuditTrail } from '../../../src/ops/audit.js';
import {
  APPROVER,
  CHANNEL,
  type Harness,
  REQUESTER,
  SECOND_APPROVER,
  STRANGER,
  startHarness,
} from '../../support/bot-harness.js';
import { waitFor } from '../../support/wait-for.js';

let harness: Harness | undefined;

/** Approves the request and waits until the request message says it is installed. */
async function approveAndInstall(h: Harness, requestId: string, message: PostedMessage): Promise<void> {
  await h.click('approve', requestId, APPROVER);
  await waitFor(() => /Installed on/.test(h.textOf(message)) || undefined, { message: 'installed', timeoutMs: 10_000 });
}

/** The harness bot's audit trail, read as the listener reads it. */
function trailOf(h: Harness): AuditTrail {
  return new AuditTrail(h.redis, h.config.queuePrefix, 100, pino({ level: 'silent' }));
}
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('audit trail', () => {
  it('records request, decision, submission and outcome, and shows them to approvers newest first', async () => {
    harness = await startHarness();
    const h = harness;
    await h.command('i-bp1auditauditaudit01 i-bp1auditauditaudit02');
    const { message, requestId } = await h.waitForRequest();
    await approveAndInstall(h, requestId, message);

    const trail = trailOf(h);
    const records = await waitFor(
      async () => {
        const recent = await trail.recent(10, null);
        return recent.length === 4 ? recent : undefined;
      },
      { message: 'four audit events' },
    );
    expect(records.map((r) => r.type)).toEqual([
      'request.finished',
      'request.submitted',
      'request.decided',
      'request.created',
    ]);
    expect(records.every((r) => r.requestId === requestId)).toBe(true);
    const hbrRequestId = h.hbr.callsOf('InstallBackupClients')[0]?.requestId ?? '';
    expect(records[0]).toMatchObject({
      status: 'finished',
      summary: 'Installed on 2 of 2 instances',
      outcomes: { succeeded: 2 },
      hbrRequestIds: [hbrRequestId],
    });
    expect(records[2]).toMatchObject({ actor: APPROVER, outcome: 'approved' });
    expect(records[3]).toMatchObject({
      actor: REQUESTER,
      instances: 2,
      instanceIds: ['i-bp1auditauditaudit01', 'i-bp1auditauditaudit02'],
      region: 'cn-hangzhou',
    });

    await h.command('audit 3', APPROVER);
    const shown = await waitFor(
      () => h.slack.ephemerals(APPROVER).find((e) => /audit trail/.test(e.text + JSON.stringify(e.blocks))),
      {
        message: 'audit shown to the approver',
      },
    );
    const text = JSON.stringify(shown.blocks);
    expect(text).toContain(`\`${requestId}\` finished: Installed on 2 of 2 instances`);
    expect(text.indexOf(`\`${requestId}\` finished: Installed on 2 of 2 instances`)).toBeLessThan(
      text.indexOf(`<@${APPROVER}> approved`),
    );
    expect(text).toContain(hbrRequestId);
    expect(text).not.toContain('asked to install');
    expect(text).toContain('`/hbr-install audit 6` shows more');

    await h.command('audit', REQUESTER);
    // The refusal names the command and who may use it.
    await waitFor(
      () =>
        h.slack
          .ephemerals(REQUESTER)
          .find((e) =>
            JSON.stringify(e).includes(
              `Only hbr-bot approvers (<@${APPROVER}> or <@${SECOND_APPROVER}>) can read the audit trail with \`/hbr-install audit\`, and you are not one.`,
            ),
          ),
      { message: 'requester refused' },
    );
  });

  it('names the instances, the approver group and every refused attempt, and filters by request, user or instance', async () => {
    harness = await startHarness({
      env: { HBR_APPROVERS: 'SAPPROVERS', HBR_REQUESTERS: `${REQUESTER},${APPROVER}`, HBR_ALLOWED_CHANNELS: CHANNEL },
      usergroups: { SAPPROVERS: [APPROVER, REQUESTER] },
    });
    const h = harness;
    const [a, b, c] = ['i-bp1auditauditaudit11', 'i-bp1auditauditaudit12', 'i-bp1auditauditaudit13'];
    await h.command(`${a} ${b}`);
    const { message, requestId } = await h.waitForRequest();
    // Refused: a stranger's click, the requester approving their own request, a channel, a requester list.
    await h.click('approve', requestId, STRANGER);
    await h.click('approve', requestId, REQUESTER);
    await h.command(a, STRANGER, 'COTHERCHAN1');
    await h.command(c, STRANGER);
    await approveAndInstall(h, requestId, message);

    const trail = trailOf(h);
    const records = await waitFor(
      async () => {
        const all = await trail.recent(100, null);
        return all.some((r) => r.type === 'request.finished') ? all : undefined;
      },
      { message: 'the outcome recorded' },
    );
    const of = <T extends AuditRecord['type']>(type: T) =>
      records.filter((r): r is Extract<AuditRecord, { type: T }> => r.type === type);
    expect(of('access.refused').map(({ at: _, ...r }) => r)).toEqual(
      expect.arrayContaining([
        {
          type: 'access.refused',
          actor: STRANGER,
          channel: CHANNEL,
          attempt: 'approve',
          reason: 'not_approver',
          requestId,
          instanceIds: [],
        },
        {
          type: 'access.refused',
          actor: REQUESTER,
          channel: CHANNEL,
          attempt: 'approve',
          reason: 'self_approval',
          requestId,
          instanceIds: [],
        },
        {
          type: 'access.refused',
          actor: STRANGER,
          channel: 'COTHERCHAN1',
          attempt: 'install',
          reason: 'channel_not_allowed',
          requestId: null,
          instanceIds: [a],
        },
        {
          type: 'access.refused',
          actor: STRANGER,
          channel: CHANNEL,
          attempt: 'install',
          reason: 'not_requester',
          requestId: null,
          instanceIds: [c],
        },
      ]),
    );
    expect(of('access.refused')).toHaveLength(4);
    expect(of('request.decided')[0]).toMatchObject({
      actor: APPROVER,
      outcome: 'approved',
      approverGroup: 'SAPPROVERS',
    });
    expect(of('request.submitted')[0]).toMatchObject({ instanceIds: [a, b] });
    expect(of('request.finished')[0]).toMatchObject({ failedInstanceIds: [] });

    const shown = async (text: string) => {
      const before = h.slack.ephemerals(APPROVER).length;
      await h.command(text, APPROVER);
      const answer = await waitFor(() => h.slack.ephemerals(APPROVER)[before], { message: `${text} answered` });
      return JSON.stringify(answer.blocks);
    };
    const byInstance = await shown(`audit instance ${a}`);
    expect(byInstance).toContain('asked to install the HBR backup client on 2 instances');
    expect(byInstance).toContain(
      `<@${APPROVER}> approved \`${requestId}\` (an approver as a member of <!subteam^SAPPROVERS>)`,
    );
    expect(byInstance).toMatch(
      /<@USTRANGER01> was refused install \(`i-bp1auditauditaudit11`\) in <#COTHERCHAN1>: a channel hbr-bot does not take requests in/,
    );
    expect(byInstance).not.toContain(c);
    const byUser = await shown(`audit user <@${STRANGER}|alex> 10`);
    expect(byUser.match(/was refused/g)).toHaveLength(3);
    expect(byUser).not.toContain('asked to install');
    const byRequest = await shown(`audit request ${requestId}`);
    expect(byRequest).toContain('their own request');
    expect(byRequest).not.toContain(c);
    expect(await shown('audit instance i-bp1auditauditaudit99')).toContain('holds no event about');
    // A value that is not one is refused at once, in the ack.
    expect((await h.command('audit user alex', APPROVER)).body).toContain('audit user takes a Slack user');
  });

  it('caps the stream at HBR_AUDIT_MAX_LENGTH and refuses a bad count', async () => {
    harness = await startHarness({ env: { HBR_AUDIT_MAX_LENGTH: '5' } });
    const h = harness;
    const trail = new AuditTrail(h.redis, h.config.queuePrefix, 5, pino({ level: 'silent' }));
    for (let i = 0; i < 300; i += 1) {
      await trail.record({
        type: 'request.decided',
        requestId: `r${i}`,
        operation: 'install',
        actor: null,
        outcome: 'expired',
        approverGroup: null,
      });
    }
    // MAXLEN ~ trims whole macro nodes (100 entries by default): the stream stays bounded near the cap.
    expect(await h.redis.xlen(`${h.config.queuePrefix}:audit`)).toBeLessThanOrEqual(105);
    expect((await trail.recent(1, null))[0]).toMatchObject({ requestId: 'r299' });

    const response = await h.command('audit 1000', APPROVER);
    expect(JSON.stringify(response.json)).toMatch(/from 1 to 100/);
  });
});
