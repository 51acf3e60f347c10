/**
 * The Slack bot token, verified with auth.test: once at start (Bolt then knows who the bot is), and
 * for readiness until it is verified, asking again at most every 30 s, so a transient Slack outage
 * at start heals by itself.
 */
import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { BotIdentity } from './app.js';
import { explainSlackError } from './messages/failure-words.js';
import { slackErrorCode } from './web-api-errors.js';

const RECHECK_MS = 30_000;

/** The readiness reason while auth.test has not accepted the token. */
const NOT_VERIFIED = 'slack-auth-failed';

export class SlackTokenCheck {
  private identity: BotIdentity | null = null;
  private lastCheck = 0;

  constructor(
    private readonly client: webApi.WebClient,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Calls auth.test; returns who the bot is, or null (readiness then says `slack-auth-failed`, the log why). */
  async verify(): Promise<BotIdentity | null> {
    this.lastCheck = this.now();
    try {
      const answer = await this.client.auth.test();
      this.identity = { botId: answer.bot_id ?? '', botUserId: answer.user_id ?? '', appId: answer.app_id ?? null };
      this.logger.info({ team: answer.team_id, botUser: answer.user_id }, 'Slack token verified');
      return this.identity;
    } catch (error) {
      this.logger.error(
        { err: slackErrorCode(error) ?? String(error), reason: NOT_VERIFIED },
        `Slack token not verified: ${explainSlackError(slackErrorCode(error))}`,
      );
      return null;
    }
  }

  /** A readiness check (ops/readiness.ts): null once the token is verified, else its reason code (why: in the log). */
  async readinessProblem(): Promise<string | null> {
    if (this.identity === null && this.now() - this.lastCheck >= RECHECK_MS) await this.verify();
    return this.identity === null ? NOT_VERIFIED : null;
  }

  /**
   * Who the bot is, asking auth.test now if the token is not verified yet; throws when Slack will
   * not say, since then no message can be told apart as the bot's own.
   */
  async ownIdentity(): Promise<BotIdentity> {
    const identity = this.identity ?? (await this.verify());
    if (identity === null) throw new Error('the Slack token is not verified, so the bot cannot tell its own messages');
    return identity;
  }
}
