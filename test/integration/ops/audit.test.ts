import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../../src/ops/audit.js';
import { APPROVER, type Harness, REQUESTER, SECOND_APPROVER, startHarness } from '../../support/bot-harness.js';
import { waitFor } from '../../support/wait-for.js';

let harness: Harness | undefined;
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
    await h.click('approve', requestId, APPROVER);
    await waitFor(() => /Installed on/.test(h.textOf(message)) || undefined, {
      message: 'installed',
      timeoutMs: 10_000,
    });

    const trail = new AuditTrail(h.redis, h.config.queuePrefix, 100, pino({ level: 'silent' }));
    const records = await waitFor(
      async () => {
        const recent = await trail.recent(10);
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
    expect(records[3]).toMatchObject({ actor: REQUESTER, instances: 2, region: 'cn-hangzhou' });

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
      });
    }
    // MAXLEN ~ trims whole macro nodes (100 entries by default): the stream stays bounded near the cap.
    expect(await h.redis.xlen(`${h.config.queuePrefix}:audit`)).toBeLessThanOrEqual(105);
    expect((await trail.recent(1))[0]?.requestId).toBe('r299');

    const response = await h.command('audit 1000', APPROVER);
    expect(JSON.stringify(response.json)).toMatch(/from 1 to 100/);
  });
});
