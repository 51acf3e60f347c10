/**
 * What Bolt's HTTP receiver leaves to the app: it verifies the signature and refuses timestamps more
 * than 5 minutes in the past, but accepts any timestamp in the future, and handles a byte-identical
 * request as often as it arrives.
 *
 * - `guardSlackRequests` runs before Bolt reads the body: a POST to the events path whose
 *   X-Slack-Request-Timestamp is malformed or more than 5 minutes away from now (either way) gets
 *   401, any content type but Slack's form encoding 415. Bolt then verifies the signature.
 * - `DeliveryLedger` runs after Bolt verified the signature: it remembers the SHA-256 of every
 *   request body for longer than a signed request stays acceptable, so a replayed request, or one
 *   Slack delivers again (X-Slack-Retry-Num), is acknowledged and dropped. Slash command and
 *   interaction bodies carry a unique trigger_id, so two different requests never share a body.
 * - In Socket Mode nothing is signed (the connection is the app's own), but Slack sends an envelope
 *   it got no ack for in time again, with the same payload and a retry_attempt: the ledger keeps the
 *   digest of each envelope's payload and drops a re-delivery the same way, whichever process (of
 *   those sharing the Redis) it reaches.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, RequestListener } from 'node:http';
import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** How far a request's timestamp may be from the bot's clock, in either direction. */
export const SLACK_TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

/** A signed request is acceptable for at most twice the tolerance; the ledger remembers it longer. */
export const DELIVERY_MEMORY_MS = (2 * SLACK_TIMESTAMP_TOLERANCE_SECONDS + 60) * 1000;

/**
 * Slash commands and interactivity, all the bot takes, come form-encoded, with exactly this content
 * type (Bolt reads anything else as JSON). The bot subscribes to no Events API (JSON) events.
 */
const SLACK_CONTENT_TYPE = 'application/x-www-form-urlencoded';

function single(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  return typeof value === 'string' ? value : null;
}

/** Why a request to the events path is refused before its body is read, or null. */
export function requestProblem(headers: IncomingHttpHeaders, nowMs: number): { status: number; reason: string } | null {
  if (single(headers, 'content-type') !== SLACK_CONTENT_TYPE) return { status: 415, reason: 'not the content type Slack sends' };
  // The signature, and a missing timestamp, are Bolt's to check: it lets Slack's unsigned ssl_check through.
  const timestamp = single(headers, 'x-slack-request-timestamp');
  if (timestamp === null) return null;
  if (!/^\d{1,12}$/.test(timestamp)) return { status: 401, reason: 'malformed timestamp' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SLACK_TIMESTAMP_TOLERANCE_SECONDS) {
    return { status: 401, reason: 'timestamp more than 5 minutes from now' };
  }
  return null;
}

/** Wraps the receiver's listener: refused requests never reach Bolt. */
export function guardSlackRequests(listener: RequestListener, eventsPath: string, logger: Logger, now: () => number = Date.now): RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const problem = req.method === 'POST' && path === eventsPath ? requestProblem(req.headers, now()) : null;
    if (problem === null) {
      listener(req, res);
      return;
    }
    logger.warn({ status: problem.status }, `refused a request to ${eventsPath}: ${problem.reason}`);
    res.writeHead(problem.status, { connection: 'close' });
    res.end();
    req.resume();
  };
}

function digest(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The HTTP receiver's `customPropertiesExtractor`: the body's digest, for the ledger. */
export function deliveryKeyOf(req: { rawBody: Buffer }): { deliveryKey: string } {
  return { deliveryKey: digest(req.rawBody) };
}

/** The Socket Mode receiver's `customPropertiesExtractor`: the envelope payload's digest, for the ledger. */
export function envelopeDeliveryKeyOf(envelope: { body: unknown }): { deliveryKey: string } {
  return { deliveryKey: digest(JSON.stringify(envelope.body)) };
}

/** Bodies seen recently, in Redis so that every process behind a load balancer shares them. */
export class DeliveryLedger {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** A ledger that cannot answer this fast lets the request through: the decision itself is atomic. */
    private readonly answerWithinMs = 1000,
  ) {}

  /** True the first time a key is seen; false for a replay or re-delivery. */
  async firstDelivery(key: string): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`delivery ledger did not answer within ${this.answerWithinMs} ms`)), this.answerWithinMs);
    });
    try {
      const set = this.redis.set(`${this.prefix}:slack:delivery:${key}`, '1', 'PX', DELIVERY_MEMORY_MS, 'NX');
      return (await Promise.race([set, late])) === 'OK';
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Global middleware: a body seen before is acknowledged (so Slack stops retrying) and goes no
 * further. When Redis cannot say, the request goes on: a click is still decided once (the
 * decision is atomic) and a command fails with "temporarily unavailable" if Redis is down.
 */
export function dropRepeatedDeliveries(ledger: DeliveryLedger, logger: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const key = args.context.deliveryKey;
    if (typeof key === 'string') {
      const first = await ledger.firstDelivery(key).catch((error: unknown) => {
        logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'delivery ledger unavailable; handling the request');
        return true;
      });
      if (!first) {
        logger.warn({ retryNum: args.context.retryNum ?? null }, 'dropped a Slack request delivered again (replay or retry)');
        if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
        return;
      }
    }
    await args.next();
  };
}
