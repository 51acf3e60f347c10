/** The delivery ledger against Redis: a body is handled once, remembered past the signature window, and a silent Redis lets it through. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { DeliveryLedger, deliveryKeyOf, envelopeDeliveryKeyOf } from '../../../src/slack/delivery-ledger.js';
import { REDIS_URL } from '../../support/bot-harness.js';

const prefix = `hbrledger-${randomBytes(5).toString('hex')}`;
const redis = new Redis(REDIS_URL);

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('DeliveryLedger', () => {
  it('says first delivery once per key, and remembers it for twice the timestamp tolerance and a minute', async () => {
    const ledger = new DeliveryLedger(redis, prefix);
    expect(await ledger.firstDelivery('a')).toBe(true);
    expect(await ledger.firstDelivery('a')).toBe(false);
    expect(await ledger.firstDelivery('b')).toBe(true);
    const ttl = await redis.pttl(`${prefix}:slack:delivery:a`);
    expect(ttl).toBeGreaterThan(650_000);
    expect(ttl).toBeLessThanOrEqual(660_000);
  });

  it('gives up on a Redis that does not answer in time', async () => {
    // Nothing listens on port 1: commands wait in the offline queue and never get an answer.
    const silent = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: () => 1000 });
    silent.on('error', () => {}); // the refused connections are the point, not news
    const ledger = new DeliveryLedger(silent, prefix, 50);
    await expect(ledger.firstDelivery('c')).rejects.toThrow('delivery ledger did not answer within 50 ms');
    silent.disconnect();
  });
});

it('keys a request by the SHA-256 of its body, an envelope by that of its payload', () => {
  expect(deliveryKeyOf({ rawBody: Buffer.from('payload=1') })).toEqual({
    deliveryKey: '68ac64164dc921ffa00193181d4cf18a3caae7d5c48d7aeeeb47a0d00121ebc7',
  });
  expect(envelopeDeliveryKeyOf({ body: { a: 1 } })).toEqual({
    deliveryKey: '015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862',
  });
});
