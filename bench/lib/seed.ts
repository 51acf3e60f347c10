/**
 * Seeds tracked requests directly, as the install job would leave them: one request per HBR task
 * (20 instances each, one real task in the HBR stand-in), in `polling` state with its submission,
 * its request message reference and a posted progress reply (shared, see below). Poll jobs are added separately
 * (`addPollJobs`) with `JobQueues.startPolling`, on a grid the bench chooses.
 *
 * Everything goes through hbr-bot's own RequestStore and JobQueues, so the records are exactly what
 * the bot writes; the state path from `pending` to `polling` is read from the domain's TRANSITIONS.
 */
import { Agent, request as httpRequest } from 'node:http';
import type { HbrClient } from '../../src/hbr/client.js';
import type { JobQueues } from '../../src/jobs/queues.js';
import type { RedisConnection } from '../../src/redis/connections.js';
import type { RequestStore } from '../../src/store/requests.js';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, APPROVER, BOT_TOKEN, CHANNEL, REGION, REQUESTER } from './constants.js';
import { importFromCheckout } from './src-path.js';
import { benchRequestId, instanceId, pool } from './util.js';

type RequestModule = typeof import('../../src/domain/request.js');
type StatusName = string;

const SHARED_REPLIES = 50;

export interface SeededTask {
  requestId: string;
  taskId: string;
}

export interface SrcModules {
  RequestStore: typeof import('../../src/store/requests.js').RequestStore;
  JobQueues: typeof import('../../src/jobs/queues.js').JobQueues;
  HbrClient: typeof import('../../src/hbr/client.js').HbrClient;
  accessKeyCredential: typeof import('../../src/hbr/client.js').accessKeyCredential;
  domain: RequestModule;
}

export async function loadSrc(): Promise<SrcModules> {
  const store = await importFromCheckout<typeof import('../../src/store/requests.js')>('src/store/requests.js');
  const queues = await importFromCheckout<typeof import('../../src/jobs/queues.js')>('src/jobs/queues.js');
  const client = await importFromCheckout<typeof import('../../src/hbr/client.js')>('src/hbr/client.js');
  const domain = await importFromCheckout<RequestModule>('src/domain/request.js');
  return {
    RequestStore: store.RequestStore,
    JobQueues: queues.JobQueues,
    HbrClient: client.HbrClient,
    accessKeyCredential: client.accessKeyCredential,
    domain,
  };
}

/** The statuses a request passes through from `pending` to `polling` (breadth-first over TRANSITIONS). */
function pathToPolling(domain: RequestModule): StatusName[] {
  const transitions = domain.TRANSITIONS as Readonly<Record<string, readonly string[]>>;
  const previous = new Map<string, string>();
  const queue = ['pending'];
  while (queue.length > 0) {
    const status = queue.shift()!;
    if (status === 'polling') break;
    for (const next of transitions[status] ?? []) {
      if (!previous.has(next) && next !== 'pending') {
        previous.set(next, status);
        queue.push(next);
      }
    }
  }
  if (!previous.has('polling')) throw new Error('no path from pending to polling in TRANSITIONS');
  const path: string[] = [];
  for (let status = 'polling'; status !== 'pending'; status = previous.get(status)!) path.unshift(status);
  return path;
}

export interface SeedOptions {
  redis: RedisConnection;
  prefix: string;
  hbrUrl: string;
  slackApiUrl: string;
  count: number;
  /** Distinguishes request ids and instance ids between seeded sets. */
  tag: string;
  group: number;
}

export async function seedTrackedRequests(src: SrcModules, options: SeedOptions): Promise<SeededTask[]> {
  const store: RequestStore = new src.RequestStore(options.redis, options.prefix);
  const hbr: HbrClient = new src.HbrClient({
    defaultRegion: REGION,
    endpoint: options.hbrUrl,
    credential: src.accessKeyCredential(ACCESS_KEY_ID, ACCESS_KEY_SECRET),
    retry: { retries: 3, minTimeoutMs: 10, maxTimeoutMs: 50 },
  });
  const path = pathToPolling(src.domain);
  const slackAgent = new Agent({ keepAlive: true, maxSockets: 32 });
  // The progress replies the install job would have posted. The Slack stand-in finds a message by a
  // linear scan, so 10,000 replies would make each chat.update cost it ~1 ms and the stand-in, not the
  // bot, would set the pace; the requests share 50 replies instead (the bot's calls are the same).
  const replies = await pool(Math.min(SHARED_REPLIES, options.count), 8, (i) =>
    postThreadReply(slackAgent, options.slackApiUrl, CHANNEL, `1600000000.${String(i).padStart(6, '0')}`),
  );
  const base = Date.now();
  const seeded = await pool(options.count, 32, async (i) => {
    const id = benchRequestId(options.tag, options.group * 1_000_000 + i);
    const instanceIds = Array.from({ length: 20 }, (_, k) => instanceId(options.group * 1_000_000 + i, k));
    const [submitted] = await hbr.installBackupClients(instanceIds, REGION);
    if (submitted?.taskId == null) throw new Error('the HBR stand-in started no task');
    const now = base + i;
    const request = src.domain.newRequest({
      id,
      operation: 'install',
      requesterId: REQUESTER,
      originChannel: CHANNEL,
      region: REGION,
      instanceIds,
      now,
      approvalTtlMs: 86_400_000,
    } as Parameters<RequestModule['newRequest']>[0]);
    await store.create(request);
    const requestTs = `1600000000.${String(i).padStart(6, '0')}`;
    await store.setMessage(id, { channel: CHANNEL, ts: requestTs });
    for (const status of path) {
      if (status === 'polling') {
        await store.recordSubmission(id, {
          index: 0,
          instanceIds,
          taskId: submitted.taskId,
          hbrRequestId: submitted.requestId,
          instances: submitted.statuses.map((s) => ({
            instanceId: s.instanceId,
            valid: s.valid,
            errorCode: s.errorCode,
          })),
          submittedAt: now,
        });
      }
      const moved =
        status === 'approved'
          ? await store.decide(id, { outcome: 'approved', by: APPROVER, at: now })
          : await store.transition(id, status as Parameters<RequestStore['transition']>[1]);
      if (!moved.ok) throw new Error(`seeding ${id}: could not move to ${status} (${moved.reason})`);
    }
    // An empty digest makes the first poll edit the reply.
    await store.setProgressMessage(id, replies[i % replies.length]!, '');
    return { requestId: id, taskId: submitted.taskId };
  });
  slackAgent.destroy();
  return seeded;
}

function postThreadReply(agent: Agent, apiUrl: string, channel: string, threadTs: string): Promise<string> {
  const url = new URL(`${apiUrl}chat.postMessage`);
  const body = JSON.stringify({ channel, thread_ts: threadTs, text: 'Install progress (seeded by the bench)' });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          authorization: `Bearer ${BOT_TOKEN}`,
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            ok: boolean;
            ts?: string;
            error?: string;
          };
          if (answer.ok && answer.ts) resolve(answer.ts);
          else reject(new Error(`chat.postMessage: ${answer.error ?? 'no ts'}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * One poll job per request with `JobQueues.startPolling`, first polls spread evenly over one
 * interval starting at `firstAt`: task i is due at firstAt + i·interval/n, then every interval.
 */
export async function addPollJobs(
  queues: JobQueues,
  tasks: readonly SeededTask[],
  firstAt: number,
  intervalMs: number,
): Promise<number[]> {
  const grid = tasks.map((_, i) => Math.round(firstAt + (i * intervalMs) / tasks.length));
  await pool(tasks.length, 64, (i) => queues.startPolling(tasks[i]!.requestId, grid[i]!, Date.now()));
  return grid;
}
