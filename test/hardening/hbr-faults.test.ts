/**
 * HBR misbehaving, seen where the user sees it: the request's thread. Transient DescribeTask faults
 * (throttling bursts, 500, 503, an HTML 502, connection resets, answers slower than the read
 * timeout, one unreadable task result) and InstallBackupClients refusals (throttling, 503) are
 * retried and the request ends installed, with HBR having taken the install once. An
 * InstallBackupClients failure that leaves unknown whether HBR acted (a 500, an HTML 502, a reset,
 * an answer slower than the read timeout) is never asked again: the instance is reported unknown,
 * with what to check. Permanent faults (Success:false, an unknown client status, Progress -1,
 * expired, cancelled, task results that stay unreadable, a DescribeTask permission missing) are
 * explained and never reported as installed. The bot never crashes: every request gets its final reply.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HbrFault } from '../../sandbox/hbr-api-server.js';
import type { PostedMessage } from '../../sandbox/slack-api-server.js';
import { APPROVER, type Harness, REQUESTER, startHarness } from '../support/bot-harness.js';
import { waitFor } from '../support/wait-for.js';

let counter = 0;
const nextId = () => {
  counter += 1;
  return `i-bp1hbrfaultfault${String(counter).padStart(4, '0')}`;
};

interface Outcome {
  /** The first of the request's instances. */
  instanceId: string;
  instanceIds: string[];
  /** hbr-bot's request id. */
  requestId: string;
  final: string;
  request: string;
  /** InstallBackupClients calls for the instance: made, and carried out by HBR. */
  installCalls: number;
  acceptedInstalls: number;
}

/** `count` instances (default 1) through request → approve → final reply, with the faults queued first. */
async function run(
  h: Harness,
  faults: Record<string, HbrFault[]>,
  during?: (instanceId: string) => Promise<void>,
  count = 1,
): Promise<Outcome> {
  const instanceIds = Array.from({ length: count }, nextId);
  const instanceId = instanceIds[0] ?? '';
  for (const [action, queued] of Object.entries(faults)) h.hbr.injectFaults(action, ...queued);
  const before = h.requestMessages().length;
  await h.command(instanceIds.join(' '));
  const { message, requestId } = await h.waitForRequest(before + 1);
  await h.click('approve', requestId, APPROVER);
  await during?.(instanceId);
  const isFinal = (r: PostedMessage) => h.textOf(r).includes(`<@${REQUESTER}>`);
  const final = await waitFor(() => h.threadReplies(message).find(isFinal), {
    message: `final reply for ${JSON.stringify(faults)}`,
    timeoutMs: 20_000,
  });
  await waitFor(() => !/Status:\* (approved|sending|Installing)/.test(h.textOf(message)) || undefined, {
    message: 'request message final',
  });
  const installs = h.hbr
    .callsOf('InstallBackupClients')
    .filter((c) => (c.params.InstanceIds ?? '').includes(instanceId));
  expect(h.threadReplies(message).filter(isFinal)).toHaveLength(1);
  return {
    instanceId,
    instanceIds,
    requestId,
    final: h.textOf(final),
    request: h.textOf(message),
    installCalls: installs.length,
    acceptedInstalls: installs.filter((c) => c.ok).length,
  };
}

const INSTALLED = /Installed on 1 of 1 instance/;

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
    h = await startHarness({
      hbrTimeouts: { connectTimeoutMs: 400, readTimeoutMs: 400 },
      env: { HBR_TASK_TIMEOUT_MS: '2500' },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  // DescribeTask only reads, and an install refused with throttling or 503 was not carried out:
  // asking again is safe.
  const retried: Array<[string, Record<string, HbrFault[]>]> = [
    [
      'a throttling burst longer than one job attempt',
      {
        InstallBackupClients: Array.from({ length: 6 }, () => ({ kind: 'throttling' as const })),
        DescribeTask: [{ kind: 'throttling' }, { kind: 'throttling' }],
      },
    ],
    [
      '503 on the install, 500 and 503 on DescribeTask',
      {
        InstallBackupClients: [{ kind: 'unavailable-503' }, { kind: 'unavailable-503' }],
        DescribeTask: [{ kind: 'unavailable-503' }, { kind: 'internal-500' }, { kind: 'unavailable-503' }],
      },
    ],
    ['an HTML 502 from a gateway on DescribeTask', { DescribeTask: [{ kind: 'html-502' }, { kind: 'html-502' }] }],
    ['connection resets on DescribeTask', { DescribeTask: [{ kind: 'reset' }, { kind: 'reset' }] }],
    ['DescribeTask answers slower than the read timeout', { DescribeTask: [{ kind: 'slow', delayMs: 1200 }] }],
    ['one unreadable task result', { DescribeTask: [{ kind: 'malformed-result' }] }],
  ];
  for (const [name, faults] of retried) {
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

  // HBR may have started the install although its answer never came: asking again could install twice.
  const unanswered: Array<[string, HbrFault, string, number]> = [
    ['a 500 InternalError', { kind: 'internal-500' }, 'InternalError', 0],
    ['an HTML 502 from a gateway', { kind: 'html-502' }, 'BadGateway', 0],
    ['a connection reset', { kind: 'reset' }, 'NetworkError', 0],
    // The stand-in, like HBR, carried the install out; only its answer was late.
    ['an answer slower than the read timeout', { kind: 'slow', delayMs: 1200 }, 'Timeout', 1],
  ];
  for (const [name, fault, code, accepted] of unanswered) {
    it(`asks InstallBackupClients once after ${name}, and reports the instance unknown, never installed`, async () => {
      const outcome = await run(h, { InstallBackupClients: [fault] });
      expect(outcome.installCalls).toBe(1);
      expect(outcome.acceptedInstalls).toBe(accepted);
      // The operator's log says which request, which chunk and why, with HBR's RequestId when it gave one.
      const warned = h.logs
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((l) => l.requestId === outcome.requestId && String(l.msg).includes('got no usable answer'));
      const hbrRequestId = code === 'InternalError' ? h.hbr.callsOf('InstallBackupClients').at(-1)?.requestId : null;
      expect(warned).toMatchObject({ level: 40, chunk: 0, code, hbrRequestId });
      // The bot looked at HBR's client list before replying (a read, safe to repeat) and says what it showed.
      expectNotInstalled(
        outcome,
        /hbr-bot lost HBR's answer \(no answer in time, the connection was cut, or an error page came back instead\), so it cannot tell whether HBR took this instance, and did not ask twice; at the end HBR listed no backup client for it — check it again with \/hbr-status/,
      );
      expect(
        h.hbr.callsOf('DescribeBackupClients').filter((c) => (c.params.InstanceIds ?? '').includes(outcome.instanceId)),
      ).toHaveLength(1);
      expect(outcome.final).toMatch(new RegExp(`:grey_question: (\\S+ )?\`${outcome.instanceId}\` unknown — `));
      expect(h.hbr.pendingFaults('InstallBackupClients')).toBe(0);
    });
  }

  it('still sends the next chunk after one whose answer was lost, and installs it', async () => {
    const outcome = await run(h, { InstallBackupClients: [{ kind: 'reset' }] }, undefined, 21);
    const lastId = outcome.instanceIds.at(-1) ?? '';
    expect(outcome.installCalls).toBe(1);
    expect(
      h.hbr.callsOf('InstallBackupClients').filter((c) => c.ok && (c.params.InstanceIds ?? '').includes(lastId)),
    ).toHaveLength(1);
    expect(outcome.final).toContain('Installed on 1 of 21 instances — 20 unknown');
    expect(outcome.final).toMatch(/:grey_question: \*20 unknown\* — `SubmissionUnanswered`: hbr-bot lost HBR's answer/);
  });

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
          const task = await waitFor(() => h.hbr.tasks().find((t) => t.instanceIds.includes(instanceId)), {
            message: 'task started',
          });
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
    expectNotInstalled(
      outcome,
      /DescribeTask kept failing: the AccessKey's RAM user lacks permission hbr:DescribeTask/,
    );
    const lastRefusal = harness.hbr
      .callsOf('DescribeTask')
      .filter((c) => c.code === 'Forbidden.RAM')
      .at(-1);
    expect(outcome.final).toContain(lastRefusal?.requestId ?? 'none');
  });
});

/** The instance id run() will use next. */
function nextIdPeek(): string {
  return `i-bp1hbrfaultfault${String(counter + 1).padStart(4, '0')}`;
}
