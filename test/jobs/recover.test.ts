/** Recovery at start: every open request gets the job it needs, whatever point a crash left it at. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { newRequest } from '../../src/domain/request.js';
import { Worker } from 'bullmq';
import { JobQueues, QUEUE_NAMES } from '../../src/jobs/queues.js';
import { recoverOpenRequests } from '../../src/jobs/recover.js';
import { RequestStore } from '../../src/store/requests.js';
import { REDIS_URL } from '../support/bot-harness.js';
import { waitFor } from '../support/wait-for.js';

const prefix = `hbrrecover-${randomBytes(5).toString('hex')}`;
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const store = new RequestStore(redis, prefix);
const queues = new JobQueues({ connection: redis, prefix, approvalTtlMs: 60_000, retryBackoffMs: 10 });
const logger = pino({ level: 'silent' });

afterAll(async () => {
  await queues.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

function request(id: string) {
  return newRequest({ id, operation: 'install', requesterId: 'UREQ', originChannel: 'COPS', region: 'cn-hangzhou', instanceIds: ['i-bp1recoverrecover01'], now: Date.now(), approvalTtlMs: 60_000 });
}

describe('recoverOpenRequests', () => {
  it('re-enqueues expiry and look-up for pending requests, the submit job for approved ones, and is idempotent', async () => {
    const [posted, unposted, approved] = ['rrecoverposte', 'rrecoverunpos', 'rrecoverappro'];
    for (const id of [posted, unposted, approved]) await store.create(request(id));
    await store.setMessage(posted, { channel: 'COPS', ts: '1.000100' });
    await store.decide(approved, { outcome: 'approved', by: 'UAPP', at: Date.now() });

    const deps = { store, queues, now: Date.now, logger, firstPollDelayMs: 1000, preflightEnabled: true };
    expect(await recoverOpenRequests(deps)).toBe(3);
    expect(await recoverOpenRequests(deps)).toBe(3);

    expect(await queues.expire.getJob(`expire-${posted}`)).toBeDefined();
    expect(await queues.preflight.getJob(`preflight-${posted}`)).toBeDefined();
    // Without a posted message there is nothing to edit: no look-up.
    expect(await queues.preflight.getJob(`preflight-${unposted}`)).toBeUndefined();
    expect(await queues.submit.getJob(`submit-${approved}`)).toBeDefined();
    expect(await queues.submit.getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(1);
    expect(await queues.preflight.getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(1);
  });

  it('revives a submit job that failed for good, which a plain add would leave dead', async () => {
    const id = 'rrecoverfaild';
    await store.create(request(id));
    await store.decide(id, { outcome: 'approved', by: 'UAPP', at: Date.now() });
    await queues.enqueueSubmit(id);
    const failing = new Worker(QUEUE_NAMES.submit, async () => Promise.reject(new Error('HBR down for too long')), {
      connection: redis,
      prefix,
    });
    await waitFor(async () => (await queues.submit.getJob(`submit-${id}`))?.isFailed() || undefined, {
      message: 'submit job failed for good',
      timeoutMs: 15_000,
    });
    await failing.close();

    await recoverOpenRequests({ store, queues, now: Date.now, logger, firstPollDelayMs: 1000, preflightEnabled: false });
    const state = await (await queues.submit.getJob(`submit-${id}`))?.getState();
    expect(state).toBe('waiting');
  });

  it('enqueues no look-up when the pre-flight is off', async () => {
    await store.create(request('rrecoveroffff'));
    await store.setMessage('rrecoveroffff', { channel: 'COPS', ts: '1.000200' });
    await recoverOpenRequests({ store, queues, now: Date.now, logger, firstPollDelayMs: 1000, preflightEnabled: false });
    expect(await queues.preflight.getJob('preflight-rrecoveroffff')).toBeUndefined();
  });
});
