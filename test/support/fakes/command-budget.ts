/**
 * Each person's command budget (src/redis/token-buckets.ts behind ListenerDeps.commandBudget) in
 * memory, for the unit tests: tokens that do not refill, and every charge recorded.
 */
import type { TakeResult } from '../../../src/redis/token-buckets.js';
import type { CommandBudget } from '../../../src/slack/listeners/deps.js';

export class FakeCommandBudget implements CommandBudget {
  readonly charges: Array<{ userId: string; cost: number }> = [];
  private readonly spent = new Map<string, number>();

  /** `perUser`: tokens each user has; `retryAfterMs`: what a refusal says about when to try again. */
  constructor(
    private readonly perUser = Number.POSITIVE_INFINITY,
    private readonly retryAfterMs = 15_000,
  ) {}

  async take(userId: string, cost: number): Promise<TakeResult> {
    this.charges.push({ userId, cost });
    const spent = this.spent.get(userId) ?? 0;
    if (spent + cost > this.perUser) return { taken: false, retryAfterMs: this.retryAfterMs };
    this.spent.set(userId, spent + cost);
    return { taken: true };
  }
}
