/**
 * Exactly once under contention: 50 requests, each hit at the same moment by five approve clicks
 * from two approvers, a reject, and one more approve click that Slack delivers twice (the second
 * time with X-Slack-Retry-Num) — 400 concurrent deliveries. Each request gets exactly one decision, at most
 * one InstallBackupClients call and one final reply; every losing click is told who won; the
 * re-delivery has no effect at all, and neither has a slash command Slack delivers twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/domain/audit-event.js';
import {
  APPROVER,
  type Harness,
  instanceIdsFor,
  REQUESTER,
  SECOND_APPROVER,
  startHarness,
} from '../support/bot-harness.js';
import { approveBody, commandBody, deliver } from '../support/raw-deliveries.js';
import { waitFor } from '../support/wait-for.js';

const REQUESTS = 50;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function auditEvents(h: Harness): Promise<AuditRecord[]> {
  const entries = await h.redis.xrange(`${h.config.queuePrefix}:audit`, '-', '+');
  return entries.map(([, fields]) => JSON.parse(fields[1] ?? '{}') as AuditRecord);
}

describe('exactly once', () => {
  it('50 requests × (5 approves + a reject + a click delivered twice): one decision and at most one install each', {
    timeout: 60_000,
  }, async () => {
    harness = await startHarness();
    const h = harness;
    const ids = instanceIdsFor(REQUESTS, 'x');

    // Slash commands, ten of them delivered twice by "Slack" (same body, a retry header, a new signature).
    const bodies = ids.map((id) => commandBody(h, id));
    const commands = await Promise.all(bodies.map((body) => deliver(h, body)));
    const retried = await Promise.all(bodies.slice(0, 10).map((body) => deliver(h, body, { retryNum: 1 })));
    expect([...commands, ...retried].every((r) => r.status === 200)).toBe(true);
    await waitFor(() => h.requestMessages().length >= REQUESTS || undefined, {
      message: `${REQUESTS} request messages`,
      timeoutMs: 15_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.requestMessages()).toHaveLength(REQUESTS);

    const requests = h.requestMessages().map((message) => {
      const requestId = /\br[a-z2-7]{12}\b/.exec(JSON.stringify(message.blocks))?.[0] ?? '';
      return { message, requestId };
    });
    const clicks = requests.flatMap(({ message, requestId }, index) => {
      const redelivered = approveBody(h, requestId, message);
      // The reject goes out first, last or in between, depending on the request.
      const approves = Array.from(
        { length: 5 },
        (_, i) => () => h.click('approve', requestId, i % 2 === 0 ? APPROVER : SECOND_APPROVER),
      );
      approves.splice(index % 6, 0, () => h.click('reject', requestId, SECOND_APPROVER));
      return [...approves.map((send) => send()), deliver(h, redelivered), deliver(h, redelivered, { retryNum: 1 })];
    });
    const answers = await Promise.all(clicks);
    expect(answers.every((a) => a.status === 200)).toBe(true);

    const prefix = h.config.queuePrefix;
    await waitFor(
      async () => {
        const statuses = await Promise.all(
          requests.map(({ requestId }) => h.redis.hget(`${prefix}:request:${requestId}`, 'status')),
        );
        return statuses.every((s) => s === 'finished' || s === 'rejected') || undefined;
      },
      { message: 'every request finished or rejected', timeoutMs: 30_000, intervalMs: 100 },
    );
    await new Promise((resolve) => setTimeout(resolve, 500));

    const events = await auditEvents(h);
    const installsOf = new Map<string, number>();
    for (const call of h.hbr.callsOf('InstallBackupClients').filter((c) => c.ok)) {
      for (const id of JSON.parse(call.params.InstanceIds ?? '[]') as string[])
        installsOf.set(id, (installsOf.get(id) ?? 0) + 1);
    }
    let approved = 0;
    for (const [index, { message, requestId }] of requests.entries()) {
      const decisions = events.filter((e) => e.type === 'request.decided' && e.requestId === requestId);
      expect(decisions, requestId).toHaveLength(1);
      const instance = /i-bp1x{12}\d{5}/.exec(JSON.stringify(message.blocks))?.[0] ?? `#${index}`;
      const status = await h.redis.hget(`${prefix}:request:${requestId}`, 'status');
      if (status === 'finished') {
        approved += 1;
        expect(installsOf.get(instance), instance).toBe(1);
        expect(h.threadReplies(message).filter((r) => r.text.includes(`<@${REQUESTER}>`))).toHaveLength(1);
      } else {
        expect(installsOf.has(instance), instance).toBe(false);
      }
    }
    // Each request had seven distinct clicks: one won, six were told who won; the re-delivery said nothing.
    const told = h.slack.ephemerals().filter((e) => /already (approved|rejected)/.test(JSON.stringify(e)));
    expect(told).toHaveLength(REQUESTS * 6);
    expect(h.hbr.callsOf('InstallBackupClients').filter((c) => c.ok)).toHaveLength(approved);
    console.log(
      `exactly once: ${approved} approved, ${REQUESTS - approved} rejected, ${answers.length} concurrent clicks`,
    );
  });
});
