/**
 * HBR misbehaving, seen where the user sees it: the request's thread. Transient faults (throttling
 * bursts, 500, 503, an HTML 502, connection resets, answers slower than the read timeout, one
 * unreadable task result) are retried and the request ends installed, with HBR having taken the
 * install once; permanent ones (Success:false, an unknown client status, Progress -1, expired,
 * cancelled, task results that stay unreadable, a DescribeTask permission missing) are explained
 * and never reported as installed. The bot never crashes: every request gets its final reply.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HbrFault } from '../../src/sandbox/hbr-api-server.js';
import type { PostedMessage } from '../../src/sandbox/slack-api-server.js';
import { APPROVER, REQUESTER, startHarness, type Harness } from '../support/bot-harness.js';
import { waitFor } from '../support/wait-for.js';

let counter = 0;
const nextId = () => `i-bp1hbrfaultfault${String((counter += 1)).padStart(4, '0')}`;

interface Outcome {
  instanceId: string;
  final: string;
  request: string;
  acceptedInstalls: number;
}

/** One instance through request → approve → final reply, with the faults queued first. */
async function run(h: Harness, faults: Record<string, HbrFault[]>, during?: (instanceId: string) => Promise<void>): Promise<Outcome> {
  const instanceId = nextId();
  for (const [action, queued] of Object.entries(faults)) h.hbr.injectFaults(action, ...queued);
  const before = h.requestMessages().length;
  await h.command(instanceId);
  const { message, requestId } = await h.waitForRequest(before + 1);
  await h.click('approve', requestId, APPROVER);
  await during?.(instanceId);
  const isFinal = (r: PostedMessage) => h.textOf(r).includes(`<@${REQUESTER}>`);
  const final = await waitFor(() => h.threadReplies(message).find(isFinal), { message: `final reply for ${JSON.stringify(faults)}`, timeoutMs: 20_000 });
  await waitFor(() => !/Status:\* (approved|sending|Installing)/.test(h.textOf(message)) || undefined, { message: 'request message final' });
  const accepted = h.hbr.callsOf('InstallBackupClients').filter((c) => c.ok && (c.params.InstanceIds ?? '').includes(instanceId)).length;
  expect(h.threadReplies(message).filter(isFinal)).toHaveLength(1);
  return { instanceId, final: h.textOf(final), request: h.textOf(message), acceptedInstalls: accepted };
}

const INSTALLED = /Installed on all 1|Installed on 1 of 1/;

function expectNotInstalled(outcome: Outcome, explanation: RegExp): void {
  expect(outcome.final).toMatch(explanation);
  expect(outcome.final).not.toMatch(INSTALLED);
  expect(outcome.final).not.toContain(':white_check_mark:');
  expect(outcome.final).not.toMatch(new RegExp(`${outcome.instanceId}\\S* installed`));
  expect(outcome.request).not.toMatch(INSTALLED);
}

describe('HBR faults, end to end', () => {
  let h: Harness;
  beforeAll(async () => {
    // A read timeout short enough for a slow answer to outlast it.
    h = await startHarness({ hbrTimeouts: { connectTimeoutMs: 400, readTimeoutMs: 400 }, env: { HBR_TASK_TIMEOUT_MS: '2500' } });
  });
  afterAll(async () => {
    await h.close();
  });

  const transient: Array<[string, Record<string, HbrFault[]>]> = [
    ['a throttling burst longer than one job attempt', { InstallBackupClients: Array.from({ length: 6 }, () => ({ kind: 'throttling' as const })), DescribeTask: [{ kind: 'throttling' }, { kind: 'throttling' }] }],
    ['500 and 503 on both calls', { InstallBackupClients: [{ kind: 'internal-500' }, { kind: 'unavailable-503' }], DescribeTask: [{ kind: 'unavailable-503' }, { kind: 'internal-500' }, { kind: 'unavailable-503' }] }],
    ['an HTML 502 from a gateway', { InstallBackupClients: [{ kind: 'html-502' }], DescribeTask: [{ kind: 'html-502' }, { kind: 'html-502' }] }],
    ['connection resets', { InstallBackupClients: [{ kind: 'reset' }, { kind: 'reset' }], DescribeTask: [{ kind: 'reset' }] }],
    ['answers slower than the read timeout', { InstallBackupClients: [{ kind: 'slow', delayMs: 1200 }], DescribeTask: [{ kind: 'slow', delayMs: 1200 }] }],
    ['one unreadable task result', { DescribeTask: [{ kind: 'malformed-result' }] }],
  ];
  for (const [name, faults] of transient) {
    it(`retries ${name} and ends installed, HBR having taken the install once`, async () => {
      const outcome = await run(h, faults);
      expect(outcome.final).toMatch(INSTALLED);
      expect(outcome.request).toMatch(INSTALLED);
      expect(outcome.acceptedInstalls).toBe(1);
      expect(outcome.final).not.toMatch(/Throttling|ServiceUnavailable|InternalError|BadGateway|Timeout|NetworkError/);
      // Every fault was served: the retries really went through them.
      for (const action of Object.keys(faults)) expect(h.hbr.pendingFaults(action), action).toBe(0);
    });
  }

  it('explains Success:false with its code and RequestId, and ends the request failed', async () => {
    const outcome = await run(h, { InstallBackupClients: [{ kind: 'success-false', code: 'OperationDenied.Quota' }] });
    expectNotInstalled(outcome, /OperationDenied\.Quota/);
    const hbrRequestId = h.hbr.callsOf('InstallBackupClients').at(-1)?.requestId ?? 'none';
    expect(outcome.final).toContain(hbrRequestId);
    expect(outcome.acceptedInstalls).toBe(0);
  });

  it('reports an unknown clientStatus as a failure with the raw value, never as installed', async () => {
    h.hbr.scriptResult(nextIdPeek(), 'BRAND_NEW_STATE', 'SomethingNew');
    const outcome = await run(h, {});
    expectNotInstalled(outcome, /BRAND_NEW_STATE/);
    expect(outcome.final).toMatch(/does not know/);
  });

  for (const [ending, words] of [
    ['failed', /fail/i],
    ['expired', /expired/i],
    ['cancelled', /cancel/i],
  ] as const) {
    it(`explains a task that HBR ends as ${ending}${ending === 'failed' ? ' (Progress -1)' : ''}`, async () => {
      h.hbr.setPollsToComplete(Infinity);
      try {
        const outcome = await run(h, {}, async (instanceId) => {
          const task = await waitFor(() => h.hbr.tasks().find((t) => t.instanceIds.includes(instanceId)), { message: 'task started' });
          h.hbr.finishTask(task.taskId, ending);
        });
        expectNotInstalled(outcome, words);
        if (ending === 'failed') expect(outcome.final).toMatch(/HBR reports failure|failed/);
      } finally {
        h.hbr.setPollsToComplete(1);
      }
    });
  }

});

describe('HBR faults that do not go away', () => {
  // Each in a bot of its own: the faults queued for it outlast its request.
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  const persistent = (kind: HbrFault['kind']) => ({ DescribeTask: Array.from({ length: 40 }, () => ({ kind })) });

  it('explains task results that stay unreadable when it stops waiting, never reporting installed', async () => {
    h = await startHarness({ env: { HBR_TASK_TIMEOUT_MS: '1500' } });
    const outcome = await run(h, persistent('malformed-result'));
    expectNotInstalled(outcome, /DescribeTask kept failing: HBR answered with a task result the bot cannot read/);
  });

  it('explains a DescribeTask permission HBR refuses, with its RequestId, never reporting installed', async () => {
    h = await startHarness({ env: { HBR_TASK_TIMEOUT_MS: '1500' } });
    const harness = h;
    const outcome = await run(harness, persistent('forbidden-ram'));
    expectNotInstalled(outcome, /DescribeTask kept failing: the AccessKey's RAM user lacks permission hbr:DescribeTask/);
    const lastRefusal = harness.hbr.callsOf('DescribeTask').filter((c) => c.code === 'Forbidden.RAM').at(-1);
    expect(outcome.final).toContain(lastRefusal?.requestId ?? 'none');
  });
});

/** The instance id run() will use next. */
function nextIdPeek(): string {
  return `i-bp1hbrfaultfault${String(counter + 1).padStart(4, '0')}`;
}
