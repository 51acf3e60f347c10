import { afterEach, describe, expect, it } from 'vitest';
import { APPROVER, CHANNEL, type Harness, REQUESTER, STRANGER, startHarness } from '../support/bot-harness.js';
import { waitFor } from '../support/wait-for.js';

const IDS = ['i-bp1aaaaaaaaaaaaaaaa1', 'i-bp1aaaaaaaaaaaaaaaa2'];

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function ackText(response: { json: unknown }): string {
  return JSON.stringify(response.json);
}

describe('/hbr-install: the request', () => {
  it('posts a request message with Approve/Reject and tells the requester it waits for approval', async () => {
    harness = await startHarness();
    const response = await harness.command(`"${IDS[0]}", ${IDS[0]}\n  (${IDS[1]});`);
    expect(response.status).toBe(200);
    expect(response.latencyMs).toBeLessThan(1000);

    const { message, requestId } = await harness.waitForRequest();
    expect(message.channel).toBe(CHANNEL);
    const text = harness.textOf(message);
    for (const id of IDS) expect(text).toContain(id);
    expect(text).toContain(`<@${REQUESTER}>`);
    expect(text).toContain('cn-hangzhou');
    const actions = (
      message.blocks as Array<{
        type: string;
        elements?: Array<{ value?: string; confirm?: unknown; action_id: string }>;
      }>
    ).find((b) => b.type === 'actions');
    expect(actions?.elements?.map((e) => e.action_id)).toEqual(['hbr_approve', 'hbr_reject', 'hbr_withdraw']);
    expect(actions?.elements?.every((e) => e.value === requestId)).toBe(true);
    expect(actions?.elements?.[0]?.confirm).toBeDefined();

    const posted = await waitFor(
      () => harness?.slack.ephemerals(REQUESTER).find((e) => JSON.stringify(e).includes(requestId)),
      {
        message: 'requester told the request was posted',
      },
    );
    expect(JSON.stringify(posted)).toContain(`<@${APPROVER}>`);
    expect(harness.hbr.calls).toHaveLength(0);
  });

  it('answers help (and an empty command) with usage, posting nothing', async () => {
    harness = await startHarness();
    for (const text of ['help', '']) {
      const response = await harness.command(text);
      expect(response.status).toBe(200);
      expect(ackText(response)).toContain('ephemeral');
      expect(ackText(response)).toContain('/hbr-install');
      expect(ackText(response)).toMatch(/--region/);
    }
    expect(harness.slack.callsOf('chat.postMessage')).toHaveLength(0);
  });

  it('refuses the whole command when any token is bad, quoting each one, with no post and no HBR call', async () => {
    harness = await startHarness();
    const response = await harness.command(`${IDS[0]} web-01 i-XYZ <@U123> --region mars-1`);
    expect(response.status).toBe(200);
    const text = ackText(response);
    expect(text).toContain('ephemeral');
    for (const token of ['web-01', 'i-XYZ', 'mars-1']) expect(text).toContain(token);
    expect(harness.slack.callsOf('chat.postMessage')).toHaveLength(0);
    expect(harness.hbr.calls).toHaveLength(0);
  });

  it('refuses more instances than HBR_MAX_INSTANCES', async () => {
    harness = await startHarness({ env: { HBR_MAX_INSTANCES: '3' } });
    const ids = Array.from({ length: 4 }, (_, i) => `i-bp1bbbbbbbbbbbbbbbb${i}`);
    const response = await harness.command(ids.join(' '));
    expect(ackText(response)).toMatch(/4 instances given, at most 3 per request/);
    // No one ID is at fault, so none is quoted as if it were.
    for (const id of ids) expect(ackText(response)).not.toContain(id);
    expect(harness.slack.callsOf('chat.postMessage')).toHaveLength(0);
  });

  it('refuses commands outside HBR_ALLOWED_CHANNELS and from non-requesters', async () => {
    harness = await startHarness({
      env: { HBR_ALLOWED_CHANNELS: 'CALLOWED01', HBR_REQUESTERS: `${REQUESTER},SREQGROUP1` },
      usergroups: { SREQGROUP1: ['UGROUPMEM1'] },
    });
    const outside = await harness.command(IDS[0] ?? '', REQUESTER, CHANNEL);
    expect(ackText(outside)).toContain('CALLOWED01');

    const stranger = await harness.command(IDS[0] ?? '', STRANGER, 'CALLOWED01');
    expect(stranger.status).toBe(200);
    await waitFor(
      () => harness?.slack.ephemerals(STRANGER).find((e) => /not allowed to request|not a requester/i.test(e.text)),
      {
        message: 'stranger refused',
      },
    );

    await harness.command(IDS[0] ?? '', 'UGROUPMEM1', 'CALLOWED01');
    await harness.waitForRequest();
    expect(harness.requestMessages()).toHaveLength(1);
    expect(harness.slack.callsOf('usergroups.users.list').length).toBeGreaterThan(0);
  });

  it('posts in HBR_APPROVAL_CHANNEL and gives the requester the permalink', async () => {
    harness = await startHarness({ env: { HBR_APPROVAL_CHANNEL: 'CAPPROVALS' } });
    await harness.command(IDS[0] ?? '');
    const { message } = await harness.waitForRequest();
    expect(message.channel).toBe('CAPPROVALS');
    const told = await waitFor(
      () => harness?.slack.ephemerals(REQUESTER).find((e) => JSON.stringify(e).includes('http')),
      {
        message: 'permalink sent',
      },
    );
    expect(harness.slack.callsOf('chat.getPermalink')).toHaveLength(1);
    expect(JSON.stringify(told)).toContain(String(harness.slack.callsOf('chat.getPermalink')[0]?.response.permalink));
  });

  it('expires an undecided request after HBR_APPROVAL_TTL_MS and removes its buttons', async () => {
    harness = await startHarness({ env: { HBR_APPROVAL_TTL_MS: '400' } });
    await harness.command(IDS[0] ?? '');
    const { message, requestId } = await harness.waitForRequest();
    await waitFor(() => /expired/i.test(harness?.textOf(message) ?? '') || undefined, { message: 'request expired' });
    expect(harness.textOf(message)).not.toContain('hbr_approve');

    await harness.click('approve', requestId, APPROVER);
    await waitFor(() => harness?.slack.ephemerals(APPROVER).find((e) => /expired/i.test(JSON.stringify(e))), {
      message: 'late approver told it expired',
    });
    expect(harness.hbr.calls).toHaveLength(0);
  });
});
