/**
 * Bolt handles a byte-identical request as often as it arrives. The delivery ledger runs after Bolt
 * verified the signature: it remembers the SHA-256 of every request body for longer than a signed
 * request stays acceptable, so a replayed request, or one Slack delivers again (X-Slack-Retry-Num),
 * is acknowledged and dropped. Slash command and interaction bodies carry a unique trigger_id, so
 * two different requests never share a body.
 *
 * In Socket Mode nothing is signed (the connection is the app's own), but Slack sends an envelope it
 * got no ack for in time again, with the same payload and a retry_attempt: the ledger keeps the
 * digest of each envelope's payload and drops a re-delivery the same way, whichever process (of
 * those sharing the Redis) it reaches.
 */
import { createHash } from 'node:crypto';
import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Logger } from 'pino';
import type { RedisConnection } from '../redis/connections.js';
import { SLACK_TIMESTAMP_TOLERANCE_SECONDS } from './request-guard.js';

/** A signed request is acceptable for at most twice the tolerance; the ledger remembers it longer. */
const DELIVERY_MEMORY_MS = (2 * SLACK_TIMESTAMP_TOLERANCE_SECONDS + 60) * 1000;

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
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    /** A ledger that cannot answer this fast lets the request through: the decision itself is atomic. */
    private readonly answerWithinMs = 1000,
  ) {}

  /** True the first time a key is seen; false for a replay or re-delivery. */
  async firstDelivery(key: string): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`delivery ledger did not answer within ${this.answerWithinMs} ms`)),
        this.answerWithinMs,
      );
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
        logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'delivery ledger unavailable; handling the request',
        );
        return true;
      });
      if (!first) {
        logger.warn(
          { retryNum: args.context.retryNum ?? null },
          'dropped a Slack request delivered again (replay or retry)',
        );
        if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
        return;
      }
    }
    await args.next();
  };
}
