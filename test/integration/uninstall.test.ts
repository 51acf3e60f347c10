import { afterEach, describe, expect, it } from 'vitest';
import { operationWords } from '../../src/slack/messages/operation-words.js';
import {
  APPROVER,
  type Harness,
  type HarnessOptions,
  instanceIdsFor as ids,
  REQUESTER,
  startHarness,
} from '../support/bot-harness.js';
import { waitFor } from '../support/wait-for.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

interface Button {
  action_id: string;
  style?: string;
  confirm?: { text: { text: string }; style?: string };
}

/** `/hbr-uninstall` → approve → the final reply mentioning the requester. */
async function uninstallAndWait(options: HarnessOptions, instanceIds: string[]) {
  harness = await startHarness(options);
  const h = harness;
  for (const id of instanceIds) h.hbr.seedClient(id);
  await h.slash('/hbr-uninstall', instanceIds.join(' '));
  const { message, requestId } = await h.waitForRequest();
  await h.click('approve', requestId, APPROVER);
  const final = await waitFor(() => h.threadReplies(message).find((r) => h.textOf(r).includes(`<@${REQUESTER}>`)), {
    message: 'final reply mentioning the requester',
    timeoutMs: 10_000,
  });
  return { h, message, requestId, final };
}

describe('/hbr-uninstall', () => {
  it('asks with a danger Approve whose confirm names the count, then uninstalls and polls to NOT_INSTALLED', async () => {
    const [a, b] = ids(2, 'w');
    const { h, message, requestId, final } = await uninstallAndWait({}, [a!, b!]);

    const original = JSON.stringify(message.blocks);
    expect(original).toContain('HBR backup client uninstall: 2 instances in cn-hangzhou');
    const buttons =
      (message.blocks as Array<{ type: string; elements?: Button[] }>).find((b) => b.type === 'actions')?.elements ??
      [];
    expect(buttons.map((e) => e.action_id)).toEqual(['hbr_approve', 'hbr_reject', 'hbr_withdraw']);
    expect(buttons[0]).toMatchObject({ style: 'danger', confirm: { style: 'danger' } });
    expect(buttons[0]?.confirm?.text.text).toBe(
      `Uninstall the HBR backup client from 2 instances in cn-hangzhou? ${operationWords('uninstall').consequence(2)}`,
    );
    expect(buttons[1]?.style).toBeUndefined();

    const calls = h.hbr.callsOf('UninstallBackupClients');
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0]?.params.InstanceIds ?? '[]')).toEqual([a, b]);
    expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(0);
    const firstPoll = h.hbr.callsOf('DescribeTask')[0];
    expect((firstPoll?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(300 - 5);

    const finalText = h.textOf(final);
    expect(finalText).toContain('Uninstalled from 2 of 2 instances');
    expect(finalText).toContain(`\`${a}\` uninstalled`);
    expect(finalText).toContain('HBR backup client uninstall');
    await waitFor(() => /Uninstalled from 2 of 2 instances/.test(h.textOf(message)) || undefined, {
      message: 'request message shows the result',
    });
    expect(h.threadReplies(message)[0] && h.textOf(h.threadReplies(message)[0]!)).toContain('Uninstall progress');
    expect(h.hbr.clients().map((c) => c.instanceId)).not.toContain(a);
    expect(await h.redis.hget(`${h.config.queuePrefix}:request:${requestId}`, 'status')).toBe('finished');
    // One submit job per request, whatever the operation.
    expect(await h.redis.exists(`${h.config.queuePrefix}:submit:submit-${requestId}`)).toBe(1);
  });

  it('explains an uninstall failure and a refusal, and sums them up on the request', async () => {
    const [ok, failing, stopped] = ids(3, 'x');
    const { h, message, final } = await uninstallAndWait(
      { hbr: { instances: { [failing!]: 'uninstall-fails', [stopped!]: 'stopped' } } },
      [ok!, failing!, stopped!],
    );
    const text = h.textOf(final);
    expect(text).toContain('Uninstalled from 1 of 3 instances — 1 refused by HBR, 1 failed');
    expect(text).toContain(`\`${failing}\` failed — \`UNINSTALL_FAILED UninstallClientFailed\``);
    expect(text).toContain(operationWords('uninstall').resultSentences.UNINSTALL_FAILED);
    expect(text).toContain(`\`${stopped}\` refused by HBR — \`InstanceNotRunning\``);
    await waitFor(
      () => /Uninstalled from 1 of 3 instances — 1 refused by HBR, 1 failed/.test(h.textOf(message)) || undefined,
      {
        message: 'final status on the request',
      },
    );
    expect(h.hbr.clients().map((c) => c.instanceId)).toContain(failing);
  });

  it('has its own help, and a rejected uninstall changes nothing', async () => {
    harness = await startHarness();
    const h = harness;
    const help = await h.slash('/hbr-uninstall', 'help');
    const helpText = JSON.stringify(help.json);
    expect(helpText).toContain('`/hbr-uninstall <instance IDs> [--region <region>]`');
    expect(helpText).toContain('Uninstall the HBR backup client from ECS instances');

    await h.slash('/hbr-uninstall', ids(1, 'y').join(' '));
    const { message, requestId } = await h.waitForRequest();
    await h.click('reject', requestId, APPROVER);
    await waitFor(() => /Nothing was uninstalled/.test(h.textOf(message)) || undefined, { message: 'rejected' });
    expect(h.hbr.calls).toHaveLength(0);
  });
});
