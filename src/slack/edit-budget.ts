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

// KEYS[1] = bucket hash; ARGV[1] = capacity, ARGV[2] = tokens per ms, ARGV[3] = now (ms).
// Takes one token if there is one; the hash expires once it would be full again anyway.
const TAKE_SCRIPT = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 1000)
return taken
`;

const MAX_BURST = 10;

export class EditBudget {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether a progress edit may go out now (and, if so, counts it). A burst may use at most ten
   * edits (or a quarter of a minute's), so 100 requests starting together still spread their edits.
   */
  async take(): Promise<boolean> {
    const burst = Math.max(1, Math.min(MAX_BURST, Math.ceil(this.perMinute / 4)));
    const taken = await this.redis.eval(
      TAKE_SCRIPT,
      1,
      `${this.prefix}:slack:progress-edits`,
      burst,
      this.perMinute / 60_000,
      this.now(),
    );
    return taken === 1;
  }
}
