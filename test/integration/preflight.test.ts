/**
 * Pre-flight (issue 9): after the request message is posted, the bot looks the instances up in ECS
 * and edits the message with names, OS, state and Cloud Assistant, flagging what HBR will refuse.
 * Real bot, real Redis, the ECS stand-in sharing the HBR stand-in's instance script.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/slack/messages/blocks.js';
import { APPROVER, type Harness, instanceIdsFor, REQUESTER, startHarness } from '../support/bot-harness.js';
import { waitFor } from '../support/wait-for.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const PREFLIGHT = 'Pre-flight (ECS, before approval)';

function hasButtons(blocks: unknown[]): boolean {
  return JSON.stringify(blocks).includes('hbr_approve');
}

/** The final thread reply (the one mentioning the requester). */
function finalReply(h: Harness, message: Parameters<Harness['threadReplies']>[0]) {
  return h.threadReplies(message).find((reply) => h.textOf(reply).includes(`<@${REQUESTER}>`));
}

describe('pre-flight: the approver sees what they approve', () => {
  it('edits the request message after posting with each instance name, OS, state and Cloud Assistant', async () => {
    harness = await startHarness();
    const h = harness;
    const [a, b] = instanceIdsFor(2, 'p');
    await h.command(`${a} ${b}`);
    const { message } = await h.waitForRequest();
    // The post itself carries the plain list; the details come with an edit.
    expect(JSON.stringify(message.blocks)).not.toContain(PREFLIGHT);

    const text = await waitFor(() => (h.textOf(message).includes(PREFLIGHT) ? h.textOf(message) : undefined), {
      message: 'request message edited with the pre-flight details',
    });
    expect(text).toContain('2 of 2 ready');
    for (const id of [a, b]) {
      expect(text).toContain(id);
      expect(text).toContain(`web-${(id ?? '').slice(-4)}`);
    }
    expect(text).toContain('Alibaba Cloud Linux');
    expect(text).toContain('Running');
    expect(text).toMatch(/Cloud Assistant `[\d.]+` running/);
    // The stand-in tags every instance app=…; HBR_PREFLIGHT_TAGS is unset, so no tag is shown.
    expect(text).not.toContain('app=');
    expect(hasButtons(message.updates.at(-1)?.blocks ?? [])).toBe(true);

    // One look-up per action, with the documented parameters.
    const [describe] = h.ecs.callsOf('DescribeInstances');
    expect(JSON.parse(describe?.params.InstanceIds ?? '[]')).toEqual([a, b]);
    expect(describe?.params.RegionId).toBe('cn-hangzhou');
    const [agents] = h.ecs.callsOf('DescribeCloudAssistantStatus');
    expect([agents?.params['InstanceId.1'], agents?.params['InstanceId.2']]).toEqual([a, b]);
    expect(h.hbr.calls).toHaveLength(0);
  });

  it('flags stopped, missing and no-Cloud-Assistant instances before approval, and HBR then refuses exactly those', async () => {
    const [ok, stopped, missing, noAgent] = instanceIdsFor(4, 'q');
    harness = await startHarness({
      hbr: {
        instances: { [stopped ?? '']: 'stopped', [missing ?? '']: 'missing', [noAgent ?? '']: 'no-cloud-assist' },
      },
    });
    const h = harness;
    await h.command([ok, stopped, missing, noAgent].join(' '));
    const { message, requestId } = await h.waitForRequest();
    const text = await waitFor(() => (h.textOf(message).includes(PREFLIGHT) ? h.textOf(message) : undefined), {
      message: 'pre-flight details',
    });
    expect(text).toContain('1 of 4 ready, 3 will be refused');
    expect(text).toContain('stopped — will be refused');
    expect(text).toContain('not found in cn-hangzhou — will be refused');
    expect(text).toContain('Cloud Assistant not running — will be refused');
    // Flagged ones first, the ready one last.
    const blocks = JSON.stringify(message.updates.at(-1)?.blocks);
    expect(blocks.indexOf(stopped ?? '')).toBeLessThan(blocks.indexOf(ok ?? ''));
    // The notification text and the confirm dialog say it too; Approve is still there.
    expect(message.updates.at(-1)?.text).toContain('Pre-flight: 1 of 4 ready, 3 will be refused.');
    expect(blocks).toContain('Pre-flight: 1 of 4 ready, 3 will be refused.');
    expect(hasButtons(message.updates.at(-1)?.blocks ?? [])).toBe(true);

    await h.click('approve', requestId, APPROVER);
    const final = await waitFor(() => finalReply(h, message), { message: 'final reply', timeoutMs: 10_000 });
    const result = h.textOf(final);
    for (const code of ['InstanceNotRunning', 'InstanceNotExists', 'CloudAssistNotRunningOnInstance'])
      expect(result).toContain(code);
    expect(result).toContain('Installed on 1 of 4 instances — 3 refused by HBR');
    // The decided message keeps the details.
    expect(h.textOf(message)).toContain('stopped — will be refused');
  });

  it('says "details unavailable" when the AccessKey may not call ECS, and the flow goes on unchanged', async () => {
    harness = await startHarness();
    const h = harness;
    h.ecs.injectFaults('DescribeInstances', { kind: 'forbidden-ram' });
    const [a] = instanceIdsFor(1, 'r');
    await h.command(a ?? '');
    const { message, requestId } = await h.waitForRequest();
    const text = await waitFor(
      () => (h.textOf(message).includes('details unavailable') ? h.textOf(message) : undefined),
      {
        message: 'the details-unavailable note',
      },
    );
    expect(text).toContain(
      "ECS details unavailable: the AccessKey's RAM identity lacks ecs:DescribeInstances (optional; see README)",
    );
    expect(text).toContain(a);
    expect(hasButtons(message.updates.at(-1)?.blocks ?? [])).toBe(true);
    // A permanent refusal is not retried.
    expect(h.ecs.callsOf('DescribeInstances')).toHaveLength(1);
    expect(h.ecs.callsOf('DescribeCloudAssistantStatus')).toHaveLength(0);

    await h.click('approve', requestId, APPROVER);
    await waitFor(() => /Installed on/.test(h.textOf(message)) || undefined, {
      message: 'install finished',
      timeoutMs: 10_000,
    });
    expect(h.textOf(message)).toContain('details unavailable');
  });

  it('says "details unavailable" in words when ECS keeps throttling past every retry', async () => {
    harness = await startHarness();
    const h = harness;
    // 3 job attempts × (1 call + 3 client retries).
    h.ecs.injectFaults('DescribeInstances', ...Array.from({ length: 12 }, () => ({ kind: 'throttling' as const })));
    const [a] = instanceIdsFor(1, 's');
    await h.command(a ?? '');
    const { message } = await h.waitForRequest();
    const text = await waitFor(
      () => (h.textOf(message).includes('details unavailable') ? h.textOf(message) : undefined),
      {
        message: 'the details-unavailable note',
        timeoutMs: 10_000,
      },
    );
    expect(text).toContain('ECS details unavailable: ECS is throttling this account');
    expect(h.ecs.callsOf('DescribeInstances')).toHaveLength(12);
  });

  it('shows the instances when only the Cloud Assistant look-up is refused', async () => {
    harness = await startHarness();
    const h = harness;
    h.ecs.injectFaults('DescribeCloudAssistantStatus', { kind: 'forbidden-ram' });
    const [a] = instanceIdsFor(1, 't');
    await h.command(a ?? '');
    const { message } = await h.waitForRequest();
    const text = await waitFor(() => (h.textOf(message).includes(PREFLIGHT) ? h.textOf(message) : undefined), {
      message: 'details',
    });
    expect(text).toContain(`web-${(a ?? '').slice(-4)}`);
    expect(text).toContain(
      "Cloud Assistant states unavailable: the AccessKey's RAM identity lacks ecs:DescribeCloudAssistantStatus (optional; see README)",
    );
    expect(text).toContain('0 of 1 ready, 1 to check');
  });

  it('does not make the ack or the first post wait for ECS (an ECS answering after 5 s)', async () => {
    harness = await startHarness();
    const h = harness;
    h.ecs.injectFaults('DescribeInstances', { kind: 'slow', delayMs: 5000 });
    const [a, b] = instanceIdsFor(2, 'u');
    const started = Date.now();
    const response = await h.command(`${a} ${b}`);
    expect(response.status).toBe(200);
    expect(response.latencyMs).toBeLessThan(1000);
    const { message } = await h.waitForRequest();
    expect(message.at - started).toBeLessThan(1500);
    expect(JSON.stringify(message.blocks)).not.toContain(PREFLIGHT);
    const posted = await waitFor(() => h.slack.ephemerals(REQUESTER).find((e) => e.text.includes('posted')), {
      message: 'requester told',
    });
    expect(posted.at - started).toBeLessThan(1500);

    await waitFor(() => h.textOf(message).includes(PREFLIGHT) || undefined, {
      message: 'details after the slow answer',
      timeoutMs: 10_000,
    });
    const edited = message.updates.find((u) => JSON.stringify(u.blocks).includes(PREFLIGHT));
    expect((edited?.at ?? 0) - started).toBeGreaterThanOrEqual(5000);
  });

  it('never paints the buttons back over a decision taken while ECS was answering', async () => {
    harness = await startHarness();
    const h = harness;
    h.ecs.injectFaults('DescribeInstances', { kind: 'slow', delayMs: 1500 });
    const [a] = instanceIdsFor(1, 'v');
    await h.command(a ?? '');
    const { message, requestId } = await h.waitForRequest();
    await h.click('approve', requestId, APPROVER);
    await waitFor(() => finalReply(h, message), { message: 'final reply', timeoutMs: 10_000 });
    await waitFor(() => h.textOf(message).includes(PREFLIGHT) || undefined, {
      message: 'details on the decided message',
      timeoutMs: 10_000,
    });
    // Let any late edit land, then look at the message as it stays.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const last = message.updates.at(-1);
    expect(hasButtons(last?.blocks ?? [])).toBe(false);
    expect(h.textOf(message)).toMatch(/Installed on/);
    expect(h.textOf(message)).toContain(`${PREFLIGHT}:* 1 of 1 ready`);
  });

  it('keeps a large request within Block Kit limits, flagged instances listed first', async () => {
    const ids = instanceIdsFor(200, 'w');
    const stopped = ids.filter((_, i) => i % 10 === 3);
    harness = await startHarness({ hbr: { instances: Object.fromEntries(stopped.map((id) => [id, 'stopped'])) } });
    const h = harness;
    await h.command(ids.join(' '));
    const { message } = await h.waitForRequest();
    const text = await waitFor(() => (h.textOf(message).includes(PREFLIGHT) ? h.textOf(message) : undefined), {
      message: 'details',
    });
    expect(text).toContain('180 of 200 ready, 20 will be refused');
    expect(text).toContain('Ready (180)');
    for (const id of stopped) expect(text).toContain(id);
    const blocks = message.updates.at(-1)?.blocks ?? [];
    expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
    expect(hasButtons(blocks)).toBe(true);
    // Two DescribeInstances calls (100 IDs each), four Cloud Assistant calls (50 each) for the 200 found.
    expect(h.ecs.callsOf('DescribeInstances')).toHaveLength(2);
    expect(h.ecs.callsOf('DescribeCloudAssistantStatus')).toHaveLength(4);
  });

  it('HBR_PREFLIGHT=false: no ECS call, the request message is the plain one', async () => {
    harness = await startHarness({ env: { HBR_PREFLIGHT: 'false' } });
    const h = harness;
    const [a] = instanceIdsFor(1, 'x');
    await h.command(a ?? '');
    const { message, requestId } = await h.waitForRequest();
    await h.click('approve', requestId, APPROVER);
    await waitFor(() => finalReply(h, message), { message: 'final reply', timeoutMs: 10_000 });
    expect(h.ecs.calls).toHaveLength(0);
    expect(h.textOf(message)).not.toContain('Pre-flight');
  });
});
