import { afterEach, describe, expect, it } from 'vitest';
import { APPROVER, type Harness, REQUESTER, STRANGER, startHarness } from '../support/bot-harness.js';
import { waitFor } from '../support/wait-for.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const [GOOD, BAD] = ['i-bp1qqqqqqqqqqqqqqqq1', 'i-bp1qqqqqqqqqqqqqqqq2'];

/** The `show` reply the user got after the ack (not the "request posted" note, which also names the id). */
async function shown(h: Harness, requestId: string, user = REQUESTER): Promise<string> {
  const before = h.repliesTo(user).length;
  await h.command(`show ${requestId}`, user);
  const answer = new RegExp(`^(Request ${requestId} \\(|hbr-bot knows no request ${requestId})`);
  return waitFor(
    () =>
      h
        .repliesTo(user)
        .slice(before)
        .find((t) => answer.test(t)),
    { message: `show ${requestId} answered` },
  );
}

describe('/hbr-install show <request id>', () => {
  it('shows a request as it stands: pending, then finished with every instance result', async () => {
    harness = await startHarness({ hbr: { instances: { [BAD]: 'install-fails' } } });
    const h = harness;
    await h.command(`${GOOD} ${BAD}`);
    const { message, requestId } = await h.waitForRequest();

    const pending = await shown(h, requestId, APPROVER);
    expect(pending).toContain('HBR backup client install: 2 instances in cn-hangzhou');
    expect(pending).toContain('waiting for approval by');
    expect(pending).toContain(`<@${REQUESTER}>`);
    expect(pending).not.toContain('hbr_approve'); // read-only: no buttons

    await waitFor(() => h.textOf(message).includes('Pre-flight') || undefined, { message: 'pre-flight shown' });
    await h.click('approve', requestId, APPROVER);
    await waitFor(() => /Installed on 1 of 2 instances — 1 failed/.test(h.textOf(message)) || undefined, {
      message: 'request finished',
    });
    const finished = await shown(h, requestId);
    expect(finished).toContain('Installed on 1 of 2 instances — 1 failed');
    // The names the pre-flight learnt from ECS, beside the IDs.
    expect(finished).toContain(`\`web-${GOOD.slice(-4)}\` \`${GOOD}\` installed`);
    expect(finished).toContain(`\`web-${BAD.slice(-4)}\` \`${BAD}\` failed — \`INSTALL_FAILED InstallClientFailed\``);
    expect(finished).toContain(`Approved by <@${APPROVER}>`);
    // Read from Redis only: nothing more was asked of HBR, nothing was posted.
    expect(h.hbr.callsOf('DescribeBackupClients')).toHaveLength(0);
    expect(h.requestMessages()).toHaveLength(1);
  });

  it('shows an uninstall in uninstall words', async () => {
    harness = await startHarness();
    const h = harness;
    await h.slash('/hbr-uninstall', GOOD);
    const { requestId } = await h.waitForRequest();
    const text = await shown(h, requestId);
    expect(text).toContain('HBR backup client uninstall: 1 instance in cn-hangzhou');
  });

  it('says when it knows no such request, and refuses what is not a request id before any lookup', async () => {
    harness = await startHarness();
    const h = harness;
    const unknown = await shown(h, 'rzzzzzzzzzzzz');
    expect(unknown).toContain('hbr-bot knows no request `rzzzzzzzzzzzz`');

    const garbage = await h.command('show web-01');
    expect(JSON.stringify(garbage.json)).toMatch(/web-01.*not a request id/);
    const upper = await h.command('show RZZZZZZZZZZZZ');
    expect(JSON.stringify(upper.json)).toContain('did you mean rzzzzzzzzzzzz?');
    const missing = await h.command('show');
    expect(JSON.stringify(missing.json)).toContain('needs a request id');
  });

  it('follows the requester rules', async () => {
    harness = await startHarness({ env: { HBR_REQUESTERS: REQUESTER } });
    const h = harness;
    await h.command(GOOD);
    const { requestId } = await h.waitForRequest();
    const refused = await h.command(`show ${requestId}`, STRANGER);
    expect(JSON.stringify(refused.json)).toMatch(/not allowed to request/);
    expect(h.repliesTo(STRANGER).join('\n')).not.toContain(requestId);
  });
});
