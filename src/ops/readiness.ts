/**
 * Readiness: Redis answers and the Slack token was verified with auth.test. Until the token is
 * verified, the check retries auth.test (at most every 30 s) so a transient Slack outage at start
 * heals by itself.
 */
import type { webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BotIdentity } from '../slack/app.js';
import { explainSlackError, slackErrorCode } from '../slack/slack-errors.js';

const SLACK_RECHECK_MS = 30_000;
const REDIS_PING_TIMEOUT_MS = 1000;

export interface ReadinessState {
  ready: boolean;
  reasons: string[];
}

export class Readiness {
  private slackVerified = false;
  private slackProblem = 'the Slack token has not been verified yet';
  private lastSlackCheck = 0;

  constructor(
    private readonly redis: Redis,
    private readonly client: webApi.WebClient,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Calls auth.test; returns who the bot is, or null (and the reason becomes the readiness reason). */
  async verifySlack(): Promise<BotIdentity | null> {
    this.lastSlackCheck = this.now();
    try {
      const answer = await this.client.auth.test();
      this.slackVerified = true;
      this.logger.info({ team: answer.team_id, botUser: answer.user_id }, 'Slack token verified');
      return { botId: answer.bot_id ?? '', botUserId: answer.user_id ?? '' };
    } catch (error) {
      this.slackProblem = `Slack token not verified: ${explainSlackError(slackErrorCode(error))}`;
      this.logger.error({ err: slackErrorCode(error) ?? String(error) }, this.slackProblem);
      return null;
    }
  }

  async check(): Promise<ReadinessState> {
    const reasons: string[] = [];
    if (!this.slackVerified && this.now() - this.lastSlackCheck >= SLACK_RECHECK_MS) await this.verifySlack();
    if (!this.slackVerified) reasons.push(this.slackProblem);
    const redisProblem = await this.pingRedis();
    if (redisProblem !== null) reasons.push(redisProblem);
    return { ready: reasons.length === 0, reasons };
  }

  private async pingRedis(): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`Redis did not answer within ${REDIS_PING_TIMEOUT_MS} ms`), REDIS_PING_TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.redis.ping().then(() => null), timeout]);
    } catch (error) {
      return `Redis unavailable: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      clearTimeout(timer);
    }
  }
}
