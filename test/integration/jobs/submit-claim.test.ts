/**
 * A chunk is claimed for submission atomically, in the script that checks it still needs one: two
 * runs of the same submit job at once (a lost lock, a stalled job picked up while the first run is
 * still asking HBR) never both call HBR for it. Two submit processors on one request against the
 * HBR stand-in make one InstallBackupClients call per chunk, and every instance ends submitted.
 */
import { randomBytes } from 'node:crypto';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startHbrStandIn } from '../../../sandbox/hbr-api-server.js';
import { accessKeyCredential } from '../../../src/alibaba/rpc-client.js';
import { newRequest } from '../../../src/domain/request.js';
import { HbrClient } from '../../../src/hbr/client.js';
import type { RequestJobData } from '../../../src/jobs/queues.js';
import { JobQueues } from '../../../src/jobs/queues.js';
import { createSubmitProcessor, type SubmitJobDeps } from '../../../src/jobs/submit.js';
import { explainApiFailure } from '../../../src/slack/messages/failure-words.js';
import { RequestStore } from '../../../src/store/requests.js';
import { instanceIdsFor, REDIS_URL } from '../../support/bot-harness.js';

const prefix = `hbrclaim-${randomBytes(5).toString('hex')}`;
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const store = new RequestStore(redis, prefix);
const queues = new JobQueues({ connection: redis, prefix, approvalTtlMs: 60_000, retryBackoffMs: 10 });
const hbrStandIn = await startHbrStandIn({ accessKeyId: 'AKCLAIM', accessKeySecret: 'claim-secret' });
const hbr = new HbrClient({
  defaultRegion: 'cn-hangzhou',
  endpoint: hbrStandIn.url,
  credential: accessKeyCredential('AKCLAIM', 'claim-secret'),
});

afterAll(async () => {
  await hbrStandIn.close();
  await queues.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/** A request of `count` instances already approved by UAPP and moved to submitting, as a first run leaves it. */
async function submittingRequest(id: string, count: number) {
  await store.create(
    newRequest({
      id,
      operation: 'install',
      requesterId: 'UREQ',
      originChannel: 'COPS',
      region: 'cn-hangzhou',
      instanceIds: instanceIdsFor(count, id.slice(-1)),
      now: Date.now(),
      approvalTtlMs: 60_000,
    }),
  );
  await store.setMessage(id, { channel: 'COPS', ts: '1.000100' });
  expect((await store.decide(id, { outcome: 'approved', by: 'UAPP', at: Date.now() })).ok).toBe(true);
  expect((await store.transition(id, 'submitting')).ok).toBe(true);
}

/** One "process": its own processor over the same Redis, stand-in and request. */
function processor(calls: string[]) {
  const deps: SubmitJobDeps = {
    store,
    hbr,
    queues,
    messages: {
      editRequestMessageViaChatUpdate: async () => undefined,
      syncProgress: async () => undefined,
      postFinal: async () => undefined,
      recoverRequestMessage: async () => null,
    },
    activity: {
      decided: async () => undefined,
      submitted: async (_request, submission) => {
        calls.push(`submitted ${submission.index}`);
      },
      refused: async () => undefined,
      finished: async () => undefined,
      sweepSkipped: () => undefined,
    },
    explainFailure: explainApiFailure,
    approvals: { isApprover: async (user) => user === 'UAPP', allowSelfApproval: false, explainRefusal: () => '' },
    firstPollDelayMs: 60_000,
    claimStaleMs: 30_000,
    claimPollMs: 20,
    now: Date.now,
    logger: pino({ level: 'silent' }),
  };
  return createSubmitProcessor(deps);
}

const jobOf = (requestId: string) =>
  ({ id: `submit-${requestId}`, data: { requestId }, attemptsMade: 0, opts: { attempts: 6 } }) as Job<RequestJobData>;

describe('the chunk claim', () => {
  it('lets exactly one of twenty simultaneous claimers have a chunk, and its holder claim it again', async () => {
    const id = 'rclaimclaimaa';
    await submittingRequest(id, 3);
    const tokens = Array.from({ length: 20 }, (_, i) => `token${i}`);
    const claims = await Promise.all(tokens.map((token) => store.claimChunk(id, 0, token, Date.now())));
    const won = claims.flatMap((claim, i) => (claim.outcome === 'claimed' ? [tokens[i]!] : []));
    expect(won).toHaveLength(1);
    expect(claims.filter((claim) => claim.outcome === 'taken')).toHaveLength(19);
    // A claim re-sent by its holder (a reconnect sending the script again) is still its own.
    expect((await store.claimChunk(id, 0, won[0]!, Date.now())).outcome).toBe('claimed');
    // Released by another token: stays; by its holder: free again.
    await store.releaseChunk(id, 0, 'token-not-the-holder');
    expect((await store.claimChunk(id, 0, 'late', Date.now())).outcome).toBe('taken');
    await store.releaseChunk(id, 0, won[0]!);
    expect((await store.claimChunk(id, 0, 'late', Date.now())).outcome).toBe('claimed');
    // Nothing is claimed for a request that stopped submitting.
    await store.recordFailure(id, { code: 'X', explanation: 'stopped', hbrRequestId: null });
    expect((await store.claimChunk(id, 1, 'any', Date.now())).outcome).toBe('stopped');
  });

  it('two submit runs of one request at once call HBR once per chunk, and every chunk is submitted', async () => {
    const id = 'rclaimclaimab';
    await submittingRequest(id, 45);
    // Each answer takes 300 ms, so the runs overlap on every chunk.
    hbrStandIn.injectFaults(
      'InstallBackupClients',
      ...Array.from({ length: 3 }, () => ({ kind: 'slow' as const, delayMs: 300 })),
    );
    const first: string[] = [];
    const second: string[] = [];
    await Promise.all([processor(first)(jobOf(id)), processor(second)(jobOf(id))]);

    const calls = hbrStandIn.callsOf('InstallBackupClients');
    expect(calls).toHaveLength(3);
    const instances = calls.flatMap((call) => JSON.parse(call.params.InstanceIds ?? '[]') as string[]);
    expect(new Set(instances).size).toBe(45);
    // Each chunk was submitted by one run or the other, never both; the other waited for its answer.
    expect([...first, ...second].sort()).toEqual(['submitted 0', 'submitted 1', 'submitted 2']);
    const request = await store.get(id);
    expect(request?.submissions.map((s) => [s.index, s.taskId !== null])).toEqual([
      [0, true],
      [1, true],
      [2, true],
    ]);
    expect(request?.status).toBe('polling');
  });
});
