/**
 * Token buckets in Redis, shared by every process on it: each key's bucket refills `perMinute`
 * tokens a minute, evenly, and saves up at most `capacity`. One Lua script reads, refills and takes,
 * so processes racing for the last token never both get it. A bucket's hash expires once it would be
 * full again anyway, so idle keys cost nothing.
 */
import type { RedisConnection } from './connections.js';

// KEYS[1] = bucket hash; ARGV[1] = capacity, ARGV[2] = tokens per ms, ARGV[3] = now (ms), ARGV[4] = cost.
// Returns { 1, 0 } when the cost was taken, else { 0, ms until enough tokens }.
const TAKE_SCRIPT = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local taken = 0
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
  taken = 1
else
  wait = math.ceil((cost - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 1000)
return { taken, wait }
`;

export interface BucketRate {
  /** Tokens added a minute. */
  perMinute: number;
  /** Most tokens saved up: the largest burst. */
  capacity: number;
}

export type TakeResult = { taken: true } | { taken: false; retryAfterMs: number };

export class TokenBuckets {
  constructor(
    private readonly redis: RedisConnection,
    private readonly rate: BucketRate,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Takes `cost` tokens from `key`'s bucket if it holds that many; otherwise takes nothing and says
   * how long until it will. A cost above the capacity asks for a full bucket, so it waits its turn
   * instead of never passing.
   */
  async take(key: string, cost = 1): Promise<TakeResult> {
    const wanted = Math.min(Math.max(cost, 0), this.rate.capacity);
    const answer = (await this.redis.eval(
      TAKE_SCRIPT,
      1,
      key,
      this.rate.capacity,
      this.rate.perMinute / 60_000,
      this.now(),
      wanted,
    )) as [number, number];
    const [taken, wait] = answer;
    return taken === 1 ? { taken: true } : { taken: false, retryAfterMs: wait };
  }
}
