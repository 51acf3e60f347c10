import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_STATUS_SENTENCES } from '../../src/slack/messages/hbr-sentences.js';
import { type Harness, instanceIdsFor as ids, REQUESTER, STRANGER, startHarness } from '../support/bot-harness.js';
import { waitFor } from '../support/wait-for.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const secondsAgo = (s: number): number => Math.floor(Date.now() / 1000) - s;

/** The status reply the user got after the ack. */
async function statusReply(h: Harness, user = REQUESTER): Promise<string> {
  return waitFor(() => h.repliesTo(user).find((t) => /HBR backup client status/.test(t)), {
    message: 'status answered',
  });
}

describe('status: /hbr-status and /hbr-install status', () => {
  it('answers one line per instance for a mix of states, paging through DescribeBackupClients', async () => {
    harness = await startHarness({ hbr: { maxPageSize: 3 } });
    const h = harness;
    const [current, outdated, failed, unknown, installing, notInstalled, none] = ids(7, 's');
    h.hbr.seedClient(current!, {
      status: 'ACTIVATED',
      clientVersion: '2.14.0',
      maxClientVersion: '2.14.0',
      lastHeartBeatTime: secondsAgo(180),
    });
    h.hbr.seedClient(outdated!, { status: 'ACTIVATED', clientVersion: '2.9.1', maxClientVersion: '2.14.0' });
    h.hbr.seedClient(failed!, { status: 'INSTALL_FAILED' });
    h.hbr.seedClient(unknown!, { status: 'UNKNOWN', lastHeartBeatTime: secondsAgo(2 * 24 * 3600) });
    h.hbr.seedClient(installing!, { status: 'INSTALLING' });
    h.hbr.seedClient(notInstalled!, { status: 'NOT_INSTALLED' });
    h.hbr.seedClient(ids(1, 'z')[0]!, { status: 'ACTIVATED' }); // not asked about

    const response = await h.slash(
      '/hbr-status',
      [current, outdated, failed, unknown, installing, notInstalled, none].join(' '),
    );
    expect(response.status).toBe(200);
    expect(response.latencyMs).toBeLessThan(1000);
    const text = await statusReply(h);

    const calls = h.hbr.callsOf('DescribeBackupClients');
    expect(calls.map((c) => c.query.PageNumber)).toEqual(['1', '2']);
    for (const call of calls) {
      expect(call.query.ClientType).toBe('ECS_CLIENT');
      expect(JSON.parse(call.form.InstanceIds ?? '[]')).toHaveLength(7);
    }
    expect(text).toContain('cn-hangzhou');
    // The name HBR lists beside the ID.
    expect(text).toContain(`\`web-${current!.slice(-4)}\` \`${current}\` *protected*`);
    expect(text).toMatch(
      new RegExp(`${current}\`? \\*protected\\* · client \`2\\.14\\.0\` · last heartbeat 3 minutes ago`),
    );
    expect(text).toMatch(new RegExp(`${outdated}.*outdated \\(\`2\\.14\\.0\` available\\)`));
    expect(text).toMatch(new RegExp(`${failed}\`? \\*install failed\\* \`INSTALL_FAILED\``));
    expect(text).toMatch(new RegExp(`${unknown}.*last heartbeat 2 days ago`));
    expect(text).toMatch(new RegExp(`${installing}\`? \\*installing\\*`));
    expect(text).toMatch(new RegExp(`${none}\`? \\*no backup client\\*`));
    // A hint once per problem, in the words the request results use.
    expect(text).toContain(CLIENT_STATUS_SENTENCES.INSTALL_FAILED);
    expect(text).toContain(CLIENT_STATUS_SENTENCES.UNKNOWN);
    expect(text).toContain('HBR knows no backup client on this instance');
    expect(text).toMatch(/outdated client\* \(1 instance\): a newer client \(2\.14\.0\) is available/);
    expect(text).not.toContain(ids(1, 'z')[0]);
    // Read-only: nothing posted, nothing installed, no approval asked.
    expect(h.requestMessages()).toHaveLength(0);
    expect(h.hbr.callsOf('InstallBackupClients')).toHaveLength(0);
  });

  it('/hbr-install status is the same, and 200 instances fit in one valid message', async () => {
    harness = await startHarness();
    const h = harness;
    const many = ids(200, 't');
    many.forEach((id, i) => {
      if (i % 4 === 0) return; // no client
      h.hbr.seedClient(id, {
        status: i % 4 === 1 ? 'ACTIVATED' : i % 4 === 2 ? 'STOPPED' : `ODD_STATUS_${i}`,
        clientVersion: '2.13.2',
      });
    });
    await h.command(`status ${many.join('\n')} --region cn-hangzhou`);
    const text = await statusReply(h);
    expect(h.hbr.callsOf('DescribeBackupClients')).toHaveLength(2); // 150 clients, 99 per page
    for (const id of many) expect(text).toContain(id);
    // Each instance counted once; "outdated" qualifies the counts it belongs to.
    expect(text).toContain(
      '50 protected (50 outdated) · 50 stopped (50 outdated) · 50 unrecognised status (50 outdated) · 50 no backup client',
    );
    expect(text).toContain('ODD_STATUS_3');
    // The harness fails the test if Slack would have refused the reply.
  });

  it('explains an HBR error in words with its code and RequestId', async () => {
    harness = await startHarness();
    const h = harness;
    h.hbr.injectFaults('DescribeBackupClients', { kind: 'forbidden-ram' });
    await h.slash('/hbr-status', ids(1, 'u').join(' '));
    const text = await waitFor(() => h.repliesTo().find((t) => /Could not read the HBR backup client status/.test(t)), {
      message: 'failure explained',
    });
    expect(text).toContain('Forbidden.RAM');
    expect(text).toContain('hbr:DescribeBackupClients');
    expect(text).toContain(String(h.hbr.callsOf('DescribeBackupClients')[0]?.requestId));
  });

  it('keeps the requester rules, refuses bad IDs at once and has its own help', async () => {
    harness = await startHarness({ env: { HBR_REQUESTERS: REQUESTER } });
    const h = harness;
    const refused = await h.slash('/hbr-status', ids(1, 'v').join(' '), STRANGER);
    expect(JSON.stringify(refused.json)).toMatch(/not allowed to request/);
    const bad = await h.slash('/hbr-status', 'web-01');
    expect(JSON.stringify(bad.json)).toContain('web-01');
    expect(JSON.stringify(bad.json)).toContain('/hbr-status help');
    const help = await h.slash('/hbr-status', 'help');
    expect(JSON.stringify(help.json)).toContain('/hbr-status <instance IDs> [--region <region>]');
    const subHelp = await h.command('status');
    expect(JSON.stringify(subHelp.json)).toContain('HBR backup client status of ECS instances');
    expect(h.hbr.calls).toHaveLength(0);
  });
});
