/**
 * A workspace-wide budget for progress edits, shared by every process through Redis.
 *
 * chat.update is a Tier 3 method (about 50 calls a minute per workspace). Progress edits (the
 * progress reply, the request message turning "Installing…") are the bulk of the bot's edits when
 * many requests run at once; past the limit Slack answers 429, and the Web API client then pauses
 * *all* its calls — final replies and new request messages included — for the Retry-After. So
 * progress edits draw from a token bucket and are skipped when it is empty (the next poll, or the
 * request's end, edits with newer content); edits that carry a decision or a final state never
 * wait for it.
 */
import type { RedisConnection } from '../redis/connections.js';
import { TokenBuckets } from '../redis/token-buckets.js';

const MAX_BURST = 10;

export class EditBudget {
  private readonly buckets: TokenBuckets;
  private readonly key: string;

  /** A burst may use at most ten edits (or a quarter of a minute's), so 100 requests starting together still spread their edits. */
  constructor(redis: RedisConnection, prefix: string, perMinute: number, now: () => number = Date.now) {
    const capacity = Math.max(1, Math.min(MAX_BURST, Math.ceil(perMinute / 4)));
    this.buckets = new TokenBuckets(redis, { perMinute, capacity }, now);
    this.key = `${prefix}:slack:progress-edits`;
  }

  /** Whether a progress edit may go out now (and, if so, counts it). */
  async take(): Promise<boolean> {
    return (await this.buckets.take(this.key)).taken;
  }
}
