/**
 * Readiness (/readyz): every dependency the bot needs answers. Which dependencies, and how each is
 * asked, is handed in by the composition root as checks (Redis here, the Slack token from
 * slack/token-check.ts), so ops/ knows nothing of Slack.
 */
import type { RedisConnection } from '../redis/connections.js';

/** One dependency: resolves to null when it is ready, else to why not (a reason /readyz lists). */
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

/** Redis answers a PING within a second. */
export function redisAnswers(redis: RedisConnection): ReadinessCheck {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(
        () => resolve(`Redis did not answer within ${REDIS_PING_TIMEOUT_MS} ms`),
        REDIS_PING_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([redis.ping().then(() => null), timeout]);
    } catch (error) {
      return `Redis unavailable: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      clearTimeout(timer);
    }
  };
}
