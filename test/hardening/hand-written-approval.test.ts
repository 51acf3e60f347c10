/**
 * Anyone who can write to Redis could try to make the bot install by hand: set a pending request's
 * status to approved and enqueue its submit job, as the sweep would. The submit job checks the
 * approval again, the way the decision listener checks a click, before anything goes to HBR: an
 * approval by a non-approver, by the requester (self-approval off), or none at all ends the request
 * as failed with a final reply that says why, and an audit event; HBR is never called.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { JobQueues } from '../../src/jobs/queues.js';
import { AuditTrail } from '../../src/ops/audit.js';
import { APPROVER, type Harness, REQUESTER, STRANGER, startHarness } from '../support/bot-harness.js';
import { waitFor } from '../support/wait-for.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const CASES = [
  {
    name: 'a non-approver',
    decision: { outcome: 'approved', by: STRANGER, at: 1 },
    reason: 'not_approver',
    words: `user ${STRANGER} approved it, who is not in HBR_APPROVERS`,
    approvers: APPROVER,
  },
  {
    name: 'the requester',
    decision: { outcome: 'approved', by: REQUESTER, at: 1 },
    reason: 'self_approval',
    words: `its requester (user ${REQUESTER}) approved it, and self-approval is off`,
    // An approver, so only the four-eyes rule refuses it.
    approvers: `${APPROVER},${REQUESTER}`,
  },
  { name: 'nobody', decision: null, reason: 'no_approval', words: 'holds no approval', approvers: APPROVER },
] as const;

describe('an approval written to Redis by hand', () => {
  it.each(CASES)('by $name: refused before HBR, with a final reply and an audit event', async (forged) => {
    harness = await startHarness({ env: { HBR_APPROVERS: forged.approvers } });
    const h = harness;
    await h.command('i-bp1forgedforgedforg01 i-bp1forgedforgedforg02');
    const { message, requestId } = await h.waitForRequest();

    // What someone with access to Redis could write: no click, no decision listener.
    const key = `${h.prefix}:request:${requestId}`;
    await h.redis.hset(key, 'status', 'approved');
    if (forged.decision !== null) await h.redis.hset(key, 'decision', JSON.stringify(forged.decision));
    const queues = new JobQueues({ connection: h.redis, prefix: h.prefix, approvalTtlMs: 60_000, retryBackoffMs: 10 });
    await queues.enqueueSubmit(requestId);
    await queues.close();

    const final = await waitFor(
      () => h.threadReplies(message).find((reply) => h.textOf(reply).includes(`<@${REQUESTER}>`)),
      { message: 'the final reply', timeoutMs: 10_000 },
    );
    const text = h.textOf(final);
    expect(text).toContain('failed');
    expect(text).toContain(forged.words);
    expect(text).toContain('nothing was sent to HBR');
    expect(text).toContain('ApprovalNotValid');
    expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(0);
    expect(h.hbr.calls.filter((call) => call.action !== 'DescribeBackupClients')).toEqual([]);
    expect((await h.redis.hgetall(key)).status).toBe('failed');

    const trail = new AuditTrail(h.redis, h.prefix, 100, pino({ level: 'silent' }));
    const records = await waitFor(
      async () => {
        const recent = await trail.recent(10, null);
        return recent.some((r) => r.type === 'request.finished') ? recent : undefined;
      },
      { message: 'the audit events' },
    );
    expect(records.find((r) => r.type === 'request.refused')).toMatchObject({
      requestId,
      reason: forged.reason,
      actor: forged.decision?.by ?? null,
    });
    expect(records.find((r) => r.type === 'request.finished')).toMatchObject({
      status: 'failed',
      failureCode: 'ApprovalNotValid',
    });
    expect(h.logs.join('')).toContain('the approval in its record is not one hbr-bot accepts');

    await h.command('audit 5', APPROVER);
    const shown = await waitFor(
      () => h.slack.ephemerals(APPROVER).find((e) => /was not sent to HBR/.test(JSON.stringify(e.blocks))),
      { message: 'the refusal in the audit shown to an approver' },
    );
    expect(JSON.stringify(shown.blocks)).toContain(requestId);
  });

  it('lets a real approval through, and the requester’s own when self-approval is on', async () => {
    harness = await startHarness({
      env: { HBR_ALLOW_SELF_APPROVAL: 'true', HBR_APPROVERS: `${APPROVER},${REQUESTER}` },
    });
    const h = harness;
    await h.command('i-bp1forgedforgedforg03');
    const { message, requestId } = await h.waitForRequest();
    await h.click('approve', requestId, REQUESTER);
    await waitFor(() => /Installed on/.test(h.textOf(message)) || undefined, {
      message: 'installed',
      timeoutMs: 10_000,
    });
    expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(1);
  });
});
