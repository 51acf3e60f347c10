import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { sendBlockAction, slackSignature } from '../../sandbox/slack-requests.js';
import { JobQueues } from '../../src/jobs/queues.js';
import { AuditTrail } from '../../src/ops/audit.js';
import {
  APPROVER,
  type Harness,
  REQUESTER,
  SECOND_APPROVER,
  SIGNING_SECRET,
  STRANGER,
  startHarness,
} from '../support/bot-harness.js';
import { waitFor } from '../support/wait-for.js';

const ID = 'i-bp1ccccccccccccccccc';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function postedRequest(h: Harness) {
  await h.command(ID);
  return h.waitForRequest();
}

describe('approval', () => {
  it('refuses a non-approver and leaves the request pending', async () => {
    harness = await startHarness();
    const { message, requestId } = await postedRequest(harness);
    // The one edit a pending request gets by itself: the pre-flight details.
    await waitFor(() => message.updates.length === 1, { message: 'pre-flight edit' });
    const response = await harness.click('approve', requestId, STRANGER);
    expect(response.status).toBe(200);
    await waitFor(
      () =>
        harness?.slack
          .ephemerals(STRANGER)
          .find((e) =>
            JSON.stringify(e).includes(
              `Only <@${APPROVER}> or <@${SECOND_APPROVER}> can approve this request, and you are not an hbr-bot approver`,
            ),
          ),
      {
        message: 'stranger told they are not an approver',
      },
    );
    expect(harness.textOf(message)).toContain('hbr_approve');
    expect(message.updates).toHaveLength(1);
    expect(harness.hbr.calls).toHaveLength(0);
  });

  it('refuses self-approval unless HBR_ALLOW_SELF_APPROVAL=true', async () => {
    harness = await startHarness({ env: { HBR_APPROVERS: `${REQUESTER},${APPROVER}` } });
    const { requestId } = await postedRequest(harness);
    await harness.click('approve', requestId, REQUESTER);
    await waitFor(() => harness?.slack.ephemerals(REQUESTER).find((e) => /own request/i.test(JSON.stringify(e))), {
      message: 'requester told they cannot approve their own request',
    });
    expect(harness.hbr.calls).toHaveLength(0);
    await harness.close();

    harness = await startHarness({ env: { HBR_APPROVERS: REQUESTER, HBR_ALLOW_SELF_APPROVAL: 'true' } });
    const second = await postedRequest(harness);
    await harness.click('approve', second.requestId, REQUESTER);
    await waitFor(() => harness?.hbr.callsOf('InstallBackupClients').length === 1 || undefined, {
      message: 'self-approved install',
    });
  });

  it('names only those who may decide, never the requester, and says so when nobody may', async () => {
    harness = await startHarness({ env: { HBR_APPROVERS: `${REQUESTER},${APPROVER}` } });
    const first = await postedRequest(harness);
    const pending = harness.textOf(first.message);
    expect(pending).toContain(`waiting for approval by <@${APPROVER}>.`);
    expect(pending).not.toContain(`<@${REQUESTER}> or`);
    const posted = await waitFor(() => harness?.repliesTo(REQUESTER).find((r) => r.includes('posted')));
    expect(posted).toContain(`waiting for approval by <@${APPROVER}>.`);
    await harness.click('approve', first.requestId, REQUESTER);
    await waitFor(() =>
      harness
        ?.repliesTo(REQUESTER)
        .find((r) =>
          r.includes(`You cannot approve your own request: <@${APPROVER}> can. To take it back, click *Withdraw*.`),
        ),
    );
    await harness.close();

    harness = await startHarness({ env: { HBR_APPROVERS: REQUESTER } });
    const alone = await postedRequest(harness);
    expect(harness.textOf(alone.message)).toContain(
      'no one can approve it: its requester is the only hbr-bot approver, and an hbr-bot admin can add another to HBR_APPROVERS',
    );
    await waitFor(() =>
      harness
        ?.repliesTo(REQUESTER)
        .find((r) => r.includes('posted') && r.includes('no one can approve it: you are the only hbr-bot approver')),
    );
  });

  it('lets the requester withdraw a pending request; others are refused, and the pending jobs leave it withdrawn', async () => {
    // The pre-flight answers after the withdrawal, and the request expires soon after it.
    harness = await startHarness({ env: { HBR_APPROVAL_TTL_MS: '4000' } });
    const h = harness;
    h.ecs.injectFaults('DescribeInstances', { kind: 'slow', delayMs: 2500 });
    const { message, requestId } = await postedRequest(h);
    expect(h.textOf(message)).toContain('hbr_withdraw');

    for (const other of [STRANGER, APPROVER]) {
      await h.click('withdraw', requestId, other);
      await waitFor(() =>
        h.slack
          .ephemerals(other)
          .find((e) =>
            JSON.stringify(e).includes(
              `Only <@${REQUESTER}>, who made this request, can withdraw it. Nothing was changed.`,
            ),
          ),
      );
    }
    await h.click('withdraw', requestId, REQUESTER);
    await waitFor(
      () => /Withdrawn by <@UREQUESTER1> at .*Nothing was installed\./.test(h.textOf(message)) || undefined,
      {
        message: 'request message shows the withdrawal',
      },
    );
    expect(h.textOf(message)).not.toContain('hbr_approve');
    expect(h.textOf(message)).not.toMatch(/Pre-flight/);
    const key = `${h.config.queuePrefix}:request:${requestId}`;
    expect(await h.redis.hget(key, 'status')).toBe('withdrawn');
    expect(JSON.parse((await h.redis.hget(key, 'decision')) ?? '{}')).toMatchObject({
      outcome: 'withdrawn',
      by: REQUESTER,
    });

    await h.click('approve', requestId, APPROVER);
    await waitFor(() =>
      h.slack.ephemerals(APPROVER).find((e) => JSON.stringify(e).includes(`already withdrawn by <@${REQUESTER}>`)),
    );

    // The pre-flight and the expiry run after the withdrawal and leave it as it is.
    const queues = new JobQueues({
      connection: h.redis,
      prefix: h.config.queuePrefix,
      approvalTtlMs: h.config.approvalTtlMs,
      retryBackoffMs: 10,
    });
    try {
      for (const queue of ['preflight', 'expire'] as const) {
        await waitFor(async () => (await queues[queue].getJob(`${queue}-${requestId}`))?.isCompleted(), {
          message: `${queue} job done`,
          timeoutMs: 10_000,
        });
      }
    } finally {
      await queues.close();
    }
    expect(h.textOf(message)).toMatch(/Pre-flight \(ECS, before approval\)/);
    expect(h.textOf(message)).toContain('Withdrawn by <@UREQUESTER1>');
    expect(h.textOf(message)).not.toContain('hbr_approve');
    expect(await h.redis.hget(key, 'status')).toBe('withdrawn');
    const trail = new AuditTrail(h.redis, h.config.queuePrefix, 100, pino({ level: 'silent' }));
    expect(
      (await trail.recent(10, null)).map((r) =>
        r.type === 'request.decided'
          ? `decided:${r.outcome}`
          : r.type === 'access.refused'
            ? `refused:${r.reason}`
            : r.type,
      ),
    ).toEqual(['decided:withdrawn', 'refused:not_requester', 'refused:not_requester', 'request.created']);
    expect(h.hbr.calls).toHaveLength(0);
  });

  it('lets members of an approver user group decide', async () => {
    harness = await startHarness({ env: { HBR_APPROVERS: 'SAPPROVERS' }, usergroups: { SAPPROVERS: ['UGROUPAPPR'] } });
    const { requestId } = await postedRequest(harness);
    await harness.click('approve', requestId, 'UGROUPAPPR');
    await waitFor(() => harness?.hbr.callsOf('InstallBackupClients').length === 1 || undefined, {
      message: 'group member approved',
    });
  });

  it('with HBR_USER_GROUP_CACHE_MS=0 a member removed from the approver group cannot approve the next moment', async () => {
    harness = await startHarness({
      env: { HBR_APPROVERS: 'SAPPROVERS', HBR_USER_GROUP_CACHE_MS: '0' },
      usergroups: { SAPPROVERS: ['UGROUPAPPR'] },
    });
    const h = harness;
    const first = await postedRequest(h);
    await h.click('approve', first.requestId, 'UGROUPAPPR');
    await waitFor(() => h.hbr.callsOf('InstallBackupClients').length === 1 || undefined, {
      message: 'group member approved',
    });
    // Removed from the group: refused at once, not a cache lifetime later.
    h.slack.setUsergroup('SAPPROVERS', []);
    await h.command('i-bp1ddddddddddddddddd');
    const second = await h.waitForRequest(2);
    await h.click('approve', second.requestId, 'UGROUPAPPR');
    await waitFor(
      () => h.slack.ephemerals('UGROUPAPPR').find((e) => /not an hbr-bot approver/.test(JSON.stringify(e))),
      {
        message: 'removed member refused',
      },
    );
    expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(1);
  });

  it('turns five simultaneous approve clicks and a reject into exactly one decision and one install', async () => {
    harness = await startHarness();
    const { message, requestId } = await postedRequest(harness);
    const h = harness;
    const clicks = await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => h.click('approve', requestId, i % 2 === 0 ? APPROVER : SECOND_APPROVER)),
      h.click('reject', requestId, SECOND_APPROVER),
      h.click('approve', requestId, APPROVER, { retryNum: 1 }),
    ]);
    expect(clicks.every((c) => c.status === 200)).toBe(true);
    const losers = await waitFor(
      () => {
        const refused = h.slack.ephemerals().filter((e) => /already (approved|rejected)/i.test(JSON.stringify(e)));
        return refused.length === 6 ? refused : undefined;
      },
      { message: 'six losers told who won' },
    );
    const decision = JSON.parse(
      (await h.redis.hget(`${h.config.queuePrefix}:request:${requestId}`, 'decision')) ?? '{}',
    );
    expect(['approved', 'rejected']).toContain(decision.outcome);
    expect(JSON.stringify(losers[0])).toContain(`<@${decision.by}>`);
    if (decision.outcome === 'approved') {
      await waitFor(() => /Installed on/i.test(h.textOf(message)) || undefined, {
        message: 'request finished',
        timeoutMs: 10_000,
      });
      expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(1);
    } else {
      await waitFor(() => /Rejected by/i.test(h.textOf(message)) || undefined, { message: 'request rejected' });
      expect(h.hbr.calls).toHaveLength(0);
    }
  });

  it('rejects: the buttons are replaced and nothing is installed', async () => {
    harness = await startHarness();
    const { message, requestId } = await postedRequest(harness);
    await harness.click('reject', requestId, APPROVER);
    await waitFor(() => /Rejected by/.test(harness?.textOf(message) ?? '') || undefined, {
      message: 'request message shows the rejection',
    });
    expect(harness.textOf(message)).toContain(`<@${APPROVER}>`);
    expect(harness.textOf(message)).not.toContain('hbr_approve');
    await harness.click('approve', requestId, SECOND_APPROVER);
    await waitFor(
      () => harness?.slack.ephemerals(SECOND_APPROVER).find((e) => /already rejected/i.test(JSON.stringify(e))),
      {
        message: 'late approver told it was rejected',
      },
    );
    expect(harness.hbr.calls).toHaveLength(0);
  });

  it("shows the decision through the click's response_url, not chat.update, and the jobs still edit the message after it", async () => {
    harness = await startHarness();
    const h = harness;
    const { message, requestId } = await postedRequest(h);
    await waitFor(() => message.updates.length === 1, { message: 'pre-flight edit' });
    await h.click('approve', requestId, APPROVER);
    await waitFor(() => /Installed on/.test(h.textOf(message)) || undefined, {
      message: 'request finished',
      timeoutMs: 10_000,
    });

    const replaced = h.slack.responseUrlPosts.filter((p) => p.body.replace_original === true);
    expect(replaced).toHaveLength(1);
    expect(replaced[0]!.status).toBe(200);
    // Text and blocks both: the notification text changes with the buttons.
    expect(replaced[0]!.body.text).toMatch(/approved, starting the install/);
    expect(JSON.stringify(replaced[0]!.body.blocks)).toContain(`Approved by <@${APPROVER}>`);
    expect(message.updates.map((u) => u.text)).toContain(replaced[0]!.body.text);
    const edits = h.slack.callsOf('chat.update').filter((c) => c.args.ts === message.ts);
    expect(edits.filter((c) => /approved, starting/.test(String(c.args.text)))).toHaveLength(0);
    // Still an ordinary channel message: the end-of-request chat.update landed on it.
    expect(edits.at(-1)!.response.ok).toBe(true);
    expect(h.textOf(message)).toContain(String(edits.at(-1)!.args.text));
    expect(h.textOf(message)).toContain(`Approved by <@${APPROVER}>`);
  });

  it('refuses a button whose value is unknown or was copied from another request', async () => {
    harness = await startHarness();
    const first = await postedRequest(harness);
    await harness.command('i-bp1dddddddddddddddd');
    const second = await harness.waitForRequest(2);
    // Forged clicks on the first request's message: the second request's id, and an id nobody issued.
    for (const value of [second.requestId, 'rzzzzzzzzzzzz']) {
      await sendBlockAction(
        harness.eventsUrl,
        {
          action_id: 'hbr_approve',
          value,
          user_id: APPROVER,
          channel_id: first.message.channel,
          message_ts: first.message.ts,
          response_url: harness.slack.responseUrl({ user: APPROVER, channel: first.message.channel }),
        },
        { signingSecret: SIGNING_SECRET },
      );
    }
    await waitFor(
      () => {
        const refused = harness?.slack
          .ephemerals(APPROVER)
          .filter((e) => /does not know this request/.test(JSON.stringify(e)));
        return refused?.length === 2 ? refused : undefined;
      },
      { message: 'both tampered clicks refused' },
    );
    expect(await harness.redis.hget(`${harness.config.queuePrefix}:request:${second.requestId}`, 'status')).toBe(
      'pending',
    );
    expect(harness.hbr.calls).toHaveLength(0);
  });

  it('answers forged signatures and stale timestamps with 401 and does nothing', async () => {
    harness = await startHarness();
    const forged = await harness.command(ID, REQUESTER, undefined, {
      signature: slackSignature('wrong-secret', Math.floor(Date.now() / 1000), 'x'),
    });
    expect(forged.status).toBe(401);
    const stale = await harness.command(ID, REQUESTER, undefined, {
      timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    expect(stale.status).toBe(401);
    const wrongSecret = await harness.command(ID, REQUESTER, undefined, { signingSecret: 'not-the-secret' });
    expect(wrongSecret.status).toBe(401);
    expect(harness.slack.calls.filter((c) => c.method !== 'auth.test')).toHaveLength(0);
    expect(harness.slack.responseUrlPosts).toHaveLength(0);
    const keys = await harness.redis.keys(`${harness.config.queuePrefix}:request:*`);
    expect(keys).toHaveLength(0);
  });
});
