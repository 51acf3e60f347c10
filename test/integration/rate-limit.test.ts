/**
 * One member cannot use up the account's HBR and ECS API quota: each person's commands draw from a
 * budget of calls a minute (HBR_COMMANDS_PER_USER_PER_MINUTE) kept in Redis for every process, and
 * past it the bot calls nothing and says when to try again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { APPROVER, type Harness, instanceIdsFor as ids, REQUESTER, startHarness } from '../support/bot-harness.js';
import { waitFor } from '../support/wait-for.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const overBudget =
  /used your share of hbr-bot's HBR and ECS calls for now \(4 a minute per person.*try again in (\d+) seconds/;

describe('the per-user command budget', () => {
  it('charges what a command makes the bot call, and past the budget answers when to try again, calling nothing', async () => {
    harness = await startHarness({ env: { HBR_COMMANDS_PER_USER_PER_MINUTE: '4' } });
    const h = harness;
    // 200 IDs: three DescribeBackupClients pages of 99, three of the four calls.
    await h.slash('/hbr-status', ids(200, 'q').join(' '));
    await waitFor(() => h.repliesTo(REQUESTER).find((t) => t.includes('HBR backup client status')), {
      message: 'first status answered',
    });
    const hbrCalls = h.hbr.calls.length;

    // A request costs its pre-flight look-up: DescribeInstances and DescribeCloudAssistantStatus.
    const response = await h.command(ids(1, 'w')[0] ?? '');
    expect(response.status).toBe(200);
    const refusal = await waitFor(() => h.repliesTo(REQUESTER).find((t) => overBudget.test(t)), {
      message: 'over-budget answer',
    });
    expect(Number(overBudget.exec(refusal)?.[1])).toBeGreaterThan(0);
    expect(Number(overBudget.exec(refusal)?.[1])).toBeLessThanOrEqual(15);
    expect(h.requestMessages()).toHaveLength(0);
    expect(h.ecs.calls).toHaveLength(0);
    expect(h.hbr.calls).toHaveLength(hbrCalls);

    // The budget is each person's own: someone else is not held up.
    await h.slash('/hbr-status', ids(1, 'q').join(' '), APPROVER);
    await waitFor(() => h.repliesTo(APPROVER).find((t) => t.includes('HBR backup client status')), {
      message: "another person's status answered",
    });
    const metrics = await (await h.ops('/metrics')).text();
    expect(metrics).toMatch(/hbr_bot_commands_total\{command="\/hbr-install",outcome="rate_limited"\} 1/);
  });
});
