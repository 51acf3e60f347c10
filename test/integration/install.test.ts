import { afterEach, describe, expect, it } from 'vitest';
import {
  APPROVER,
  type Harness,
  type HarnessOptions,
  instanceIdsFor,
  REQUESTER,
  startHarness,
} from '../support/bot-harness.js';
import { waitFor } from '../support/wait-for.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const ids = (count: number, tag = 'e'): string[] => instanceIdsFor(count, tag);

/** Request → approve → wait for the final thread reply. */
async function installAndWait(options: HarnessOptions, instanceIds: string[], timeoutMs = 10_000) {
  harness = await startHarness(options);
  const h = harness;
  await h.command(instanceIds.join(' '));
  const { message, requestId } = await h.waitForRequest();
  await h.click('approve', requestId, APPROVER);
  const final = await waitFor(
    () =>
      h
        .threadReplies(message)
        .find(
          (reply) => reply.text.includes(`<@${REQUESTER}>`) || JSON.stringify(reply.blocks).includes(`<@${REQUESTER}>`),
        ),
    { message: 'final reply mentioning the requester', timeoutMs },
  );
  return { h, message, requestId, final };
}

describe('install and polling', () => {
  it('installs: one InstallBackupClients call, first poll not before the configured delay, result in the thread', async () => {
    const [a, b] = ids(2);
    const { h, message, final } = await installAndWait({}, [a ?? '', b ?? '']);
    const install = h.hbr.callsOf('InstallBackupClients');
    expect(install).toHaveLength(1);
    expect(JSON.parse(install[0]?.params.InstanceIds ?? '[]')).toEqual([a, b]);
    const polls = h.hbr.callsOf('DescribeTask');
    expect(polls.length).toBeGreaterThanOrEqual(1);
    expect((polls[0]?.at ?? 0) - (install[0]?.at ?? 0)).toBeGreaterThanOrEqual(300 - 5);

    expect(h.textOf(final)).toContain(a);
    await waitFor(() => /Installed on 2 of 2 instances/.test(h.textOf(message)) || undefined, {
      message: 'request message shows the final status',
    });
    expect(h.threadReplies(message).filter((r) => h.textOf(r).includes(`<@${REQUESTER}>`))).toHaveLength(1);
    // No poll after the end, and every message the bot sent passed the Block Kit checks.
    const pollsAtEnd = h.hbr.callsOf('DescribeTask').length;
    await new Promise((resolve) => setTimeout(resolve, 3 * h.config.poll.intervalMs));
    expect(h.hbr.callsOf('DescribeTask')).toHaveLength(pollsAtEnd);
    expect(h.slack.calls.filter((c) => c.response.ok === false)).toEqual([]);
  });

  it('explains per-instance refusals at once and install failures at the end', async () => {
    const [running, stopped, noAgent, missing, failing] = ids(5, 'f');
    const { h, message, final } = await installAndWait(
      {
        hbr: {
          instances: {
            [stopped ?? '']: 'stopped',
            [noAgent ?? '']: 'no-cloud-assist',
            [missing ?? '']: 'missing',
            [failing ?? '']: 'install-fails',
          },
        },
      },
      [running, stopped, noAgent, missing, failing].map(String),
    );
    const progress = h.threadReplies(message)[0];
    expect(progress).toBeDefined();
    const progressText = h.textOf(progress!);
    expect(progressText).toContain('InstanceNotRunning');
    expect(progressText).toMatch(/not running/i);
    expect(progressText).toContain('CloudAssistNotRunningOnInstance');
    expect(progressText).toContain('InstanceNotExists');
    const finalText = h.textOf(final);
    expect(finalText).toContain('INSTALL_FAILED');
    expect(finalText).toContain(String(failing));
    expect(finalText).toContain(String(stopped));
    // One instance installed, three refused, one failed: the headline's parts add up to the five.
    await waitFor(
      () => /Installed on 1 of 5 instances — 3 refused by HBR, 1 failed/.test(h.textOf(message)) || undefined,
      {
        message: 'final status on the request',
      },
    );
  });

  it('splits 45 instances into three calls of at most 20', async () => {
    const { h, final } = await installAndWait({}, ids(45, 'g'));
    const calls = h.hbr
      .callsOf('InstallBackupClients')
      .map((c) => (JSON.parse(c.params.InstanceIds ?? '[]') as string[]).length);
    expect(calls).toEqual([20, 20, 5]);
    expect(h.hbr.taskIds()).toHaveLength(3);
    expect(h.textOf(final)).toMatch(/45/);
  });

  it('reports a task that never finishes as timed out and stops polling', async () => {
    const { h, message, final } = await installAndWait(
      { hbr: { pollsToComplete: Infinity }, env: { HBR_TASK_TIMEOUT_MS: '1500' } },
      ids(1, 'h'),
    );
    expect(h.textOf(final)).toMatch(/timed out/i);
    const install = h.hbr.callsOf('InstallBackupClients')[0];
    const lastPoll = h.hbr.callsOf('DescribeTask').at(-1);
    expect((lastPoll?.at ?? 0) - (install?.at ?? 0)).toBeLessThan(1500 + 1000);
    const count = h.hbr.callsOf('DescribeTask').length;
    await new Promise((resolve) => setTimeout(resolve, 3 * h.config.poll.intervalMs));
    expect(h.hbr.callsOf('DescribeTask')).toHaveLength(count);
    await waitFor(() => /Installed on 0 of 1 instance/.test(h.textOf(message)) || undefined, {
      message: 'final status',
    });
  });

  it('retries throttling and 503s on both calls', async () => {
    harness = await startHarness();
    const h = harness;
    h.hbr.injectFaults('InstallBackupClients', { kind: 'throttling' }, { kind: 'unavailable-503' });
    h.hbr.injectFaults('DescribeTask', { kind: 'unavailable-503' }, { kind: 'throttling' }, { kind: 'html-502' });
    await h.command(ids(1, 'j').join(' '));
    const { message, requestId } = await h.waitForRequest();
    await h.click('approve', requestId, APPROVER);
    await waitFor(() => /Installed on 1 of 1 instance/.test(h.textOf(message)) || undefined, {
      message: 'installed despite faults',
      timeoutMs: 10_000,
    });
    expect(h.hbr.callsOf('InstallBackupClients').filter((c) => c.ok)).toHaveLength(1);
    expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(3);
    expect(h.hbr.callsOf('DescribeTask').length).toBeGreaterThanOrEqual(4);
    expect(h.textOf(h.threadReplies(message).at(-1)!)).not.toMatch(/ServiceUnavailable|Throttling/);
  });

  it('explains a permanent error with its RequestId and ends the request as failed', async () => {
    harness = await startHarness();
    const h = harness;
    h.hbr.injectFaults('InstallBackupClients', { kind: 'forbidden-ram' });
    await h.command(ids(1, 'k').join(' '));
    const { message, requestId } = await h.waitForRequest();
    await h.click('approve', requestId, APPROVER);
    const reply = await waitFor(() => h.threadReplies(message).find((r) => /Forbidden\.RAM/.test(h.textOf(r))), {
      message: 'failure explained',
    });
    expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(1);
    const hbrRequestId = h.hbr.callsOf('InstallBackupClients')[0]?.requestId;
    expect(h.textOf(reply)).toContain(String(hbrRequestId));
    expect(h.textOf(reply)).toMatch(/permission/i);
    await waitFor(
      () => (/failed/i.test(h.textOf(message)) && !h.textOf(message).includes('hbr_approve')) || undefined,
      {
        message: 'request message shows failed',
      },
    );
    expect(await h.redis.hget(`${h.config.queuePrefix}:request:${requestId}`, 'status')).toBe('failed');
  });

  it('still posts the final reply when a request that started no task ended while Slack refused the reply', async () => {
    const [stopped] = ids(1, 'q');
    harness = await startHarness({ hbr: { instances: { [String(stopped)]: 'stopped' } } });
    const h = harness;
    await h.command(String(stopped));
    const { message, requestId } = await h.waitForRequest();
    // The submit job ends the request itself (nothing to poll); Slack refuses its progress reply
    // and then its final reply, so the job fails once and runs again with the request already final.
    await waitFor(() => message.updates.length >= 1 || undefined, { message: 'pre-flight details on the request' });
    h.slack.failNext('chat.postMessage', { error: 'internal_error' });
    h.slack.failNext('chat.postMessage', { error: 'internal_error' });
    await h.click('approve', requestId, APPROVER);
    const finals = await waitFor(
      () => {
        const replies = h.threadReplies(message).filter((r) => h.textOf(r).includes(`<@${REQUESTER}>`));
        return replies.length > 0 ? replies : undefined;
      },
      { message: 'final reply after the retry' },
    );
    expect(finals).toHaveLength(1);
    expect(h.textOf(finals[0]!)).toContain('InstanceNotRunning');
    expect(await h.redis.hget(`${h.config.queuePrefix}:request:${requestId}`, 'status')).toBe('finished');
    expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(1);
  });

  it('survives a worker killed mid-poll: a new process finishes and posts the result once', async () => {
    harness = await startHarness({ hbr: { pollsToComplete: 4 } });
    const h = harness;
    await h.command(ids(2, 'm').join(' '));
    const { message, requestId } = await h.waitForRequest();
    await h.click('approve', requestId, APPROVER);
    await waitFor(() => h.hbr.callsOf('DescribeTask').length >= 1 || undefined, { message: 'first poll' });
    await h.restart();
    await waitFor(() => /Installed on 2 of 2 instances/.test(h.textOf(message)) || undefined, {
      message: 'finished after restart',
      timeoutMs: 15_000,
    });
    const finals = h.threadReplies(message).filter((r) => h.textOf(r).includes(`<@${REQUESTER}>`));
    expect(finals).toHaveLength(1);
    expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(1);
  });

  it('resumes a request that an earlier version left in its "installing" status', async () => {
    harness = await startHarness();
    const h = harness;
    await h.command(ids(1, 'p').join(' '));
    const { message, requestId } = await h.waitForRequest();
    // What the previous version wrote once it had started the install job, before it was stopped.
    const key = `${h.config.queuePrefix}:request:${requestId}`;
    await h.redis.hset(
      key,
      'status',
      'installing',
      'decision',
      JSON.stringify({ outcome: 'approved', by: APPROVER, at: Date.now() }),
    );
    await h.restart();
    await waitFor(() => /Installed on 1 of 1 instance/.test(h.textOf(message)) || undefined, {
      message: 'finished after the upgrade',
    });
    expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(1);
    expect(await h.redis.hget(key, 'status')).toBe('finished');
  });

  it('edits one progress reply in place instead of posting on every poll', async () => {
    const { h, message } = await installAndWait({ hbr: { pollsToComplete: 4 } }, ids(3, 'n'));
    const replies = h.threadReplies(message);
    expect(replies).toHaveLength(2);
    const progress = replies[0]!;
    expect(progress.updates.length).toBeGreaterThanOrEqual(1);
    expect(progress.updates.length).toBeLessThanOrEqual(h.hbr.callsOf('DescribeTask').length);
  });
});
