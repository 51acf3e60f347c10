/**
 * Readiness (/readyz): every dependency the bot needs answers. Which dependencies, and how each is
 * asked, is handed in by the composition root as checks (Redis here, the Slack token from
 * slack/token-check.ts), so ops/ knows nothing of Slack.
 *
 * /readyz names each problem by a code (`redis-unreachable`, `slack-auth-failed`,
 * `redis-eviction-policy: allkeys-lru`, …): whoever can reach the probe learns no host, port or
 * error text; the check logs the details.
 */
import type { Logger } from 'pino';
import type { RedisConnection } from '../redis/connections.js';

/** One dependency: resolves to null when it is ready, else to a reason code /readyz lists. */
export type ReadinessCheck = () => Promise<string | null>;

export interface ReadinessState {
  ready: boolean;
  reasons: string[];
}

const REDIS_PING_TIMEOUT_MS = 1000;

export class Readiness {
  constructor(private readonly checks: readonly ReadinessCheck[]) {}

  /** Runs the checks one after another, so the reasons keep their order. */
  async check(): Promise<ReadinessState> {
    const reasons: string[] = [];
    for (const check of this.checks) {
      const problem = await check();
      if (problem !== null) reasons.push(problem);
    }
    return { ready: reasons.length === 0, reasons };
  }
}

/** Redis answers a PING within a second; otherwise `redis-unreachable`, with why in the log. */
export function redisAnswers(redis: RedisConnection, logger: Logger): ReadinessCheck {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer to PING within ${REDIS_PING_TIMEOUT_MS} ms`), REDIS_PING_TIMEOUT_MS);
    });
    let problem: string | null;
    try {
      problem = await Promise.race([redis.ping().then(() => null), timeout]);
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(timer);
    }
    if (problem === null) return null;
    logger.warn({ reason: 'redis-unreachable', err: problem }, 'not ready: Redis does not answer');
    return 'redis-unreachable';
  };
}
