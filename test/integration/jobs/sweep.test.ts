/** The sweep (at start and on a schedule): every open request gets the job it needs, whatever point a crash left it at, and every ended request its final reply. */
import { randomBytes } from 'node:crypto';
import { webApi } from '@slack/bolt';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startHbrStandIn } from '../../../sandbox/hbr-api-server.js';
import { startSlackStandIn } from '../../../sandbox/slack-api-server.js';
import { accessKeyCredential } from '../../../src/alibaba/rpc-client.js';
import { SUBMISSION_UNANSWERED } from '../../../src/domain/outcome.js';
import { newRequest } from '../../../src/domain/request.js';
import { HbrClient } from '../../../src/hbr/client.js';
import { JobQueues, QUEUE_NAMES } from '../../../src/jobs/queues.js';
import { deliverMissingFinalReplies, recoverOpenRequests } from '../../../src/jobs/sweep.js';
import { ActivityRecorder } from '../../../src/ops/activity-recorder.js';
import { AuditTrail } from '../../../src/ops/audit.js';
import { BotMetrics } from '../../../src/ops/metrics.js';
import { EditBudget } from '../../../src/slack/edit-budget.js';
import { explainApiFailure } from '../../../src/slack/messages/failure-words.js';
import { summaryLine } from '../../../src/slack/messages/outcome-text.js';
import { RequestPublisher } from '../../../src/slack/request-publisher.js';
import { SlackTokenCheck } from '../../../src/slack/token-check.js';
import { RequestStore } from '../../../src/store/requests.js';
import { REDIS_URL } from '../../support/bot-harness.js';
import { waitFor } from '../../support/wait-for.js';

const prefix = `hbrrecover-${randomBytes(5).toString('hex')}`;
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const store = new RequestStore(redis, prefix);
const queues = new JobQueues({ connection: redis, prefix, approvalTtlMs: 60_000, retryBackoffMs: 10 });
const logger = pino({ level: 'silent' });
const slack = await startSlackStandIn({ botToken: 'xoxb-recover' });
const client = new webApi.WebClient('xoxb-recover', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
const publisher = new RequestPublisher({
  client,
  store,
  approval: { approvers: ['UAPP'], allowSelfApproval: false },
  approvalChannel: null,
  progressEdits: new EditBudget(redis, prefix, 40),
  ownIdentity: () => new SlackTokenCheck(client, logger).ownIdentity(),
  logger,
  now: Date.now,
});
const metrics = new BotMetrics(() => ({ depths: [], trackedTasks: 0 }));
const activity = new ActivityRecorder(metrics, new AuditTrail(redis, prefix, 100, logger), summaryLine);
const hbrStandIn = await startHbrStandIn({ accessKeyId: 'AKRECOVER', accessKeySecret: 'recover-secret' });
const hbr = new HbrClient({
  defaultRegion: 'cn-hangzhou',
  endpoint: hbrStandIn.url,
  credential: accessKeyCredential('AKRECOVER', 'recover-secret'),
});
const base = {
  store,
  queues,
  messages: publisher,
  hbr,
  activity,
  explainFailure: explainApiFailure,
  now: Date.now,
  logger,
  firstPollDelayMs: 1000,
};

afterAll(async () => {
  await slack.close();
  await hbrStandIn.close();
  await queues.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

async function everyId(pages: AsyncIterable<string[]>): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of pages) ids.push(...page);
  return ids;
}

function request(id: string, originChannel = 'COPS') {
  return newRequest({
    id,
    operation: 'install',
    requesterId: 'UREQ',
    originChannel,
    region: 'cn-hangzhou',
    instanceIds: ['i-bp1recoverrecover01'],
    now: Date.now(),
    approvalTtlMs: 60_000,
  });
}

describe('the sweep', () => {
  it('re-enqueues expiry and look-up for pending requests, the submit job for approved ones, and is idempotent', async () => {
    const [posted, unposted, approved] = ['rrecoverposte', 'rrecoverunpos', 'rrecoverappro'];
    for (const id of [posted, unposted, approved]) await store.create(request(id));
    await store.setMessage(posted, { channel: 'COPS', ts: '1.000100' });
    await store.decide(approved, { outcome: 'approved', by: 'UAPP', at: Date.now() });

    const deps = { ...base, preflightEnabled: true };
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

  it('goes on past a record it cannot read, drops ids whose record is gone, and reads every open id, not the first 1,000', async () => {
    // A prefix of its own: the count below is of these requests alone.
    const own = `${prefix}-many`;
    const ownStore = new RequestStore(redis, own);
    const ownQueues = new JobQueues({ connection: redis, prefix: own, approvalTtlMs: 60_000, retryBackoffMs: 10 });
    const lines: string[] = [];
    const ownLogger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const ids = Array.from({ length: 1_100 }, (_, i) => `rmany${String(i).padStart(8, '0')}`);
    const pipeline = redis.pipeline();
    for (const id of ids) {
      const created = request(id);
      const header = { ...created, status: undefined };
      pipeline.hset(`${own}:request:${id}`, 'header', JSON.stringify(header), 'status', 'approved');
      pipeline.zadd(`${own}:requests:open`, created.createdAt, id);
    }
    // One corrupt field, as a bad write or a hand edit leaves it, and one id whose record is gone.
    pipeline.hset(`${own}:request:rcorruptcorru`, 'header', '{"id":"rcorruptcorru",', 'status', 'pending');
    pipeline.zadd(`${own}:requests:open`, 1, 'rcorruptcorru');
    pipeline.zadd(`${own}:requests:open`, 2, 'rvanishedvani');
    await pipeline.exec();
    const skippedBefore = (await metrics.sweepSkipped.get()).values[0]?.value ?? 0;

    try {
      const repaired = await recoverOpenRequests({
        ...base,
        store: ownStore,
        queues: ownQueues,
        logger: ownLogger,
        preflightEnabled: false,
      });
      expect(repaired).toBe(1_100);
      expect(await ownQueues.submit.getJobCountByTypes('waiting')).toBe(1_100);
      expect((await metrics.sweepSkipped.get()).values[0]?.value).toBe(skippedBefore + 1);
      expect(lines.join('')).toMatch(/"requestId":"rcorruptcorru".*could not read or repair this request/);
      const open = await everyId(ownStore.openRequestIds());
      expect(open).toContain('rcorruptcorru');
      expect(open).not.toContain('rvanishedvani');
    } finally {
      await ownQueues.submit.obliterate({ force: true });
      await ownQueues.close();
      const keys = await redis.keys(`${own}:*`);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    }
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

    await recoverOpenRequests({ ...base, preflightEnabled: false });
    const state = await (await queues.submit.getJob(`submit-${id}`))?.getState();
    expect(state).toBe('waiting');
  });

  it('enqueues no look-up when the pre-flight is off', async () => {
    await store.create(request('rrecoveroffff'));
    await store.setMessage('rrecoveroffff', { channel: 'COPS', ts: '1.000200' });
    await recoverOpenRequests({ ...base, preflightEnabled: false });
    expect(await queues.preflight.getJob('preflight-rrecoveroffff')).toBeUndefined();
  });

  it('finds a request message Slack accepted from a process killed before recording it, then looks its instances up', async () => {
    const id = 'rrecoverlostm';
    await store.create(request(id));
    const created = await store.get(id);
    if (created === null) throw new Error('request vanished');
    // The dead process: marked, posted, killed before recording the ts.
    await publisher.postRequest(created);
    const ts = (await store.get(id))?.message?.ts;
    await redis.hdel(`${prefix}:request:${id}`, 'message');
    const before = slack.callsOf('chat.postMessage').length;

    await recoverOpenRequests({ ...base, preflightEnabled: true });
    expect((await store.get(id))?.message).toEqual({ channel: 'COPS', ts });
    expect(slack.callsOf('chat.postMessage')).toHaveLength(before);
    expect(await queues.preflight.getJob(`preflight-${id}`)).toBeDefined();
  });

  it('leaves a request alone whose message was never begun, and starts anyway when Slack refuses', async () => {
    const [never, refused] = ['rrecovernever', 'rrecoverrefus'];
    for (const id of [never, refused]) await store.create(request(id, 'CREFUSED'));
    await store.markPosting(refused, 'request', Date.now());
    slack.failNext('conversations.history', { error: 'not_in_channel' });

    await recoverOpenRequests({ ...base, preflightEnabled: true });
    // Only the one whose post was begun is looked for.
    expect(slack.callsOf('conversations.history').filter((c) => c.args.channel === 'CREFUSED')).toHaveLength(1);
    for (const id of [never, refused]) {
      expect((await store.get(id))?.message).toBeNull();
      expect(await queues.preflight.getJob(`preflight-${id}`)).toBeUndefined();
      expect(await queues.expire.getJob(`expire-${id}`)).toBeDefined();
    }
  });

  it('posts a final reply no job is left to post, leaves one a live job will post, and forgets one posted', async () => {
    const [orphan, live, posted] = ['rrecoverorphn', 'rrecoverlivej', 'rrecoverpostd'];
    for (const id of [orphan, live, posted]) {
      await store.create(request(id, 'CFINAL'));
      const created = await store.get(id);
      if (created === null) throw new Error('request vanished');
      await publisher.postRequest(created);
      await store.decide(id, { outcome: 'approved', by: 'UAPP', at: Date.now() });
      await store.transition(id, 'submitting');
      await store.transition(id, 'failed', { finishedAt: String(Date.now()) });
      await store.awaitFinalReply(id, Date.now());
    }
    await queues.startPolling(live, Date.now() + 60_000, Date.now());
    await store.setFinalMessage(posted, '1.000300');
    await store.awaitFinalReply(posted, Date.now()); // as if a run had marked it again

    expect(await deliverMissingFinalReplies({ ...base, preflightEnabled: false })).toBe(1);
    const finals = (id: string) =>
      slack
        .messages()
        .filter((m) => m.metadata?.event_type === 'hbr_bot_final_reply' && m.metadata.event_payload.request_id === id);
    expect(finals(orphan)).toHaveLength(1);
    expect((await store.get(orphan))?.finalTs).toBe(finals(orphan)[0]?.ts);
    expect(finals(live)).toHaveLength(0);
    expect(await everyId(store.unreportedRequestIds())).toEqual([live]);
  });

  it('looks the clients of instances with an unknown outcome up before the final reply, and says what HBR shows', async () => {
    const id = 'rrecovercheck';
    const [active, absent] = ['i-bp1recovercheck0001', 'i-bp1recovercheck0002'];
    await store.create(
      newRequest({
        id,
        operation: 'install',
        requesterId: 'UREQ',
        originChannel: 'CCHECK',
        region: 'cn-hangzhou',
        instanceIds: [active, absent],
        now: Date.now(),
        approvalTtlMs: 60_000,
      }),
    );
    const created = await store.get(id);
    if (created === null) throw new Error('request vanished');
    await publisher.postRequest(created);
    await store.decide(id, { outcome: 'approved', by: 'UAPP', at: Date.now() });
    await store.transition(id, 'submitting');
    // HBR's answer to the chunk was lost; HBR did install one of them.
    await store.recordSubmission(id, {
      index: 0,
      instanceIds: [active, absent],
      taskId: null,
      hbrRequestId: '',
      instances: [active, absent].map((instanceId) => ({ instanceId, valid: false, errorCode: SUBMISSION_UNANSWERED })),
      submittedAt: Date.now(),
    });
    hbrStandIn.seedClient(active, { status: 'ACTIVATED' });
    await store.transition(id, 'finished', { finishedAt: String(Date.now()) });
    await store.awaitFinalReply(id, Date.now());

    expect(await deliverMissingFinalReplies({ ...base, preflightEnabled: false })).toBe(1);
    const request = await store.get(id);
    expect(request?.clientCheck?.statuses).toEqual({ [active]: 'ACTIVATED' });
    expect(hbrStandIn.callsOf('DescribeBackupClients')).toHaveLength(1);
    const final = slack
      .messages()
      .find((m) => m.metadata?.event_type === 'hbr_bot_final_reply' && m.metadata.event_payload.request_id === id);
    expect(final?.text).toContain('Installed on 1 of 2 instances — 1 unknown');
    const shown = JSON.stringify(final?.blocks);
    expect(shown).toMatch(new RegExp(`white_check_mark: \`${active}\` installed`));
    expect(shown).toContain(`${absent}\` unknown — \`SubmissionUnanswered\`: hbr-bot lost HBR's answer`);
    expect(shown).toContain('at the end HBR listed no backup client for it — check it again with /hbr-status');
    // Advice that fits an unknown outcome: check it, rather than fix a cause and retry.
    expect(shown).toContain('check the unknown instance with `/hbr-status` before requesting it again');
    expect(shown).not.toContain('to retry');
  });
});
