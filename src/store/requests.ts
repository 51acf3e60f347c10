/**
 * Request records in Redis, one hash per request under `<prefix>:request:<id>`.
 *
 * Fields that several jobs write independently (one per submission chunk, one per HBR task) are
 * separate hash fields, so concurrent writers never overwrite each other. Status changes go through
 * one Lua script that checks the allowed `from` statuses and writes atomically: five simultaneous
 * approve clicks on any number of processes still produce exactly one decision.
 *
 * Writes that come before an act the bot must not repeat (creating a request, a decision, claiming a
 * chunk before HBR is called, marking a reply before it is posted) are confirmed durable with the
 * write guard (redis/write-guard.ts): in a Sentinel failover they either survive or are refused.
 */

import type { PreflightResult } from '../domain/preflight.js';
import {
  type BotMessageKind,
  type ClientCheck,
  type Decision,
  FINAL_STATUSES,
  type HbrRequest,
  REQUEST_RETENTION_MS,
  type RequestFailure,
  type RequestStatus,
  type SlackMessageRef,
  type Submission,
  type TaskProgress,
  TRANSITIONS,
  withTasks,
} from '../domain/request.js';
import type { RedisConnection } from '../redis/connections.js';
import { UnconfirmedWriteError, type WriteGuard } from '../redis/write-guard.js';

/**
 * Status names earlier versions wrote, read as today's: a request an older process left half-way
 * carries on after an upgrade.
 */
const LEGACY_STATUSES: Readonly<Record<string, RequestStatus>> = { installing: 'submitting' };

/** The parts of a request fixed at creation, stored as one JSON field. */
type RequestHeader = Pick<
  HbrRequest,
  'id' | 'operation' | 'requesterId' | 'originChannel' | 'region' | 'instanceIds' | 'createdAt' | 'expiresAt'
>;

export type TransitionResult =
  | { ok: true; request: HbrRequest }
  | { ok: false; reason: 'missing' }
  | { ok: false; reason: 'conflict'; request: HbrRequest };

// KEYS[1] = request hash, KEYS[2] = open-requests sorted set
// ARGV[1] = new status, ARGV[2] = comma list of allowed current statuses, ARGV[3] = retention ms (0 = not final),
// ARGV[4] = request id, ARGV[5..] = field/value pairs written with the status
const TRANSITION_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return 'missing' end
local allowed = false
for status in string.gmatch(ARGV[2], '[^,]+') do
  if status == current then allowed = true end
end
if not allowed then return 'conflict' end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
for i = 5, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
local retention = tonumber(ARGV[3])
if retention > 0 then
  redis.call('ZREM', KEYS[2], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], retention)
end
return 'ok'
`;

// KEYS[1] = request hash, ARGV[1] = field, ARGV[2] = value: written only if the request exists.
const SET_IF_EXISTS_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

// KEYS[1] = request hash; ARGV[1] = chunk index, ARGV[2] = claim token, ARGV[3] = now (ms).
// Claims a chunk for one call to HBR, set-if-absent in the same step that checks it still needs one:
// two runs of one submit job (a lost lock, a stalled job) can never both claim it. A claim is
// "<at> <token>" (an older version wrote "<at>"); the run holding the token gets 'claimed' again.
const CLAIM_CHUNK_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
if redis.call('HEXISTS', KEYS[1], 'submission:' .. ARGV[1]) == 1 then return {'recorded'} end
local status = redis.call('HGET', KEYS[1], 'status')
if (status ~= 'submitting' and status ~= 'installing') or redis.call('HEXISTS', KEYS[1], 'failure') == 1 then
  return {'stopped'}
end
local field = 'inflight:' .. ARGV[1]
local claim = redis.call('HGET', KEYS[1], field)
if claim then
  local at, token = string.match(claim, '^(%d+) ?(.*)$')
  if token == ARGV[2] then return {'claimed'} end
  return {'taken', at or '0'}
end
redis.call('HSET', KEYS[1], field, ARGV[3] .. ' ' .. ARGV[2])
return {'claimed'}
`;

// KEYS[1] = request hash; ARGV[1] = field, ARGV[2] = claim token: removed only if the claim is that token's.
const RELEASE_CLAIM_SCRIPT = `
local claim = redis.call('HGET', KEYS[1], ARGV[1])
if claim and string.match(claim, ' (.*)$') == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0
`;

/** What claiming a chunk found (see claimChunk). */
export type ChunkClaim =
  | { outcome: 'claimed' }
  /** Claimed, but the claim could not be confirmed durable (a failover under way): claim again later with the same token. */
  | { outcome: 'unconfirmed' }
  /** Its answer is recorded: nothing to do. */
  | { outcome: 'recorded' }
  /** The request stopped submitting (moved on, failed, or a failure was recorded): call nothing. */
  | { outcome: 'stopped' }
  | { outcome: 'missing' }
  /** Another run claimed it at `at` and has recorded no answer yet: it is asking HBR, or died doing so. */
  | { outcome: 'taken'; at: number };

/** No failover to guard against (one node, a test): every write counts at once. */
const UNGUARDED: Pick<WriteGuard, 'confirm'> = { confirm: async () => true };

/** Members a ZSCAN asks for at a time. */
const SCAN_PAGE_SIZE = 500;

export class RequestStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly guard: Pick<WriteGuard, 'confirm'> = UNGUARDED,
  ) {}

  /** Throws UnconfirmedWriteError unless this connection's writes so far would survive a failover. */
  private async confirm(what: string): Promise<void> {
    if (!(await this.guard.confirm(this.redis)))
      throw new UnconfirmedWriteError(`Redis could not confirm ${what} (a failover under way?); try again`);
  }

  private key(id: string): string {
    return `${this.prefix}:request:${id}`;
  }

  /** Non-final requests by creation time, so a sweep can find work a crash left behind. */
  private get openKey(): string {
    return `${this.prefix}:requests:open`;
  }

  /**
   * Ended requests whose final reply is not recorded yet, by when they ended: the sweep delivers
   * what a job gave up on (Slack refusing for longer than the job's retries).
   */
  private get unreportedKey(): string {
    return `${this.prefix}:requests:unreported`;
  }

  /** Per request, how many of its HBR tasks are still polled: the tracked-tasks gauge sums these. */
  private get trackedKey(): string {
    return `${this.prefix}:tracked-tasks`;
  }

  async setTrackedTasks(id: string, running: number): Promise<void> {
    if (running > 0) await this.redis.hset(this.trackedKey, id, String(running));
    else await this.redis.hdel(this.trackedKey, id);
  }

  async trackedTaskCount(): Promise<number> {
    const counts = await this.redis.hvals(this.trackedKey);
    return counts.reduce((sum, value) => sum + Number(value), 0);
  }

  async create(request: HbrRequest): Promise<void> {
    const header: RequestHeader = {
      id: request.id,
      operation: request.operation,
      requesterId: request.requesterId,
      originChannel: request.originChannel,
      region: request.region,
      instanceIds: request.instanceIds,
      createdAt: request.createdAt,
      expiresAt: request.expiresAt,
    };
    const created = await this.redis
      .multi()
      .hsetnx(this.key(request.id), 'header', JSON.stringify(header))
      .hsetnx(this.key(request.id), 'status', request.status)
      .zadd(this.openKey, request.createdAt, request.id)
      .exec();
    if (created?.[0]?.[1] !== 1) throw new Error(`request ${request.id} already exists`);
    await this.confirm('the new request');
  }

  async get(id: string): Promise<HbrRequest | null> {
    const fields = await this.redis.hgetall(this.key(id));
    return fields.header === undefined ? null : toRequest(fields);
  }

  /** Ids of requests not yet in a final status, a page at a time, however many there are. */
  openRequestIds(): AsyncGenerator<string[]> {
    return this.pagesOf(this.openKey);
  }

  /** Drops an id from the open requests whose record is gone (expired or deleted): nothing is left to sweep. */
  async forgetOpen(id: string): Promise<void> {
    await this.redis.zrem(this.openKey, id);
  }

  /**
   * Moves the request to `to` if its current status allows it; `fields` are written in the same
   * atomic step. On conflict the current record is returned so callers can say who won.
   */
  async transition(id: string, to: RequestStatus, fields: Record<string, string> = {}): Promise<TransitionResult> {
    const current = (Object.keys(TRANSITIONS) as RequestStatus[]).filter((status) => TRANSITIONS[status].includes(to));
    const legacy = Object.keys(LEGACY_STATUSES).filter((old) =>
      current.includes(LEGACY_STATUSES[old] as RequestStatus),
    );
    const from = [...current, ...legacy];
    const retention = FINAL_STATUSES.has(to) ? REQUEST_RETENTION_MS : 0;
    const args = [to, from.join(','), String(retention), id, ...Object.entries(fields).flat()];
    const outcome = await this.redis.eval(TRANSITION_SCRIPT, 2, this.key(id), this.openKey, ...args);
    if (outcome === 'missing') return { ok: false, reason: 'missing' };
    const request = await this.get(id);
    if (request === null) return { ok: false, reason: 'missing' };
    return outcome === 'ok' ? { ok: true, request } : { ok: false, reason: 'conflict', request };
  }

  /** The decision, confirmed durable when it was made (it may enqueue the submission and show on the message). */
  async decide(id: string, decision: Decision): Promise<TransitionResult> {
    const decided = await this.transition(id, decision.outcome, { decision: JSON.stringify(decision) });
    if (decided.ok) await this.confirm('the decision');
    return decided;
  }

  fail(id: string, failure: RequestFailure, at: number): Promise<TransitionResult> {
    return this.transition(id, 'failed', { failure: JSON.stringify(failure), finishedAt: String(at) });
  }

  async setMessage(id: string, message: SlackMessageRef): Promise<void> {
    await this.redis.hset(this.key(id), 'message', JSON.stringify(message));
  }

  async recordSubmission(id: string, submission: Submission): Promise<void> {
    await this.redis.hset(this.key(id), `submission:${submission.index}`, JSON.stringify(submission));
  }

  /**
   * Claims chunk `index` for one call to HBR, atomically: only when the request is still submitting,
   * the chunk has no recorded answer and nobody claimed it (or `token`, this run, did). The claim stays
   * once HBR answered (the answer is recorded next to it) and is released when HBR refused: a chunk
   * claimed but not recorded means a run is asking HBR, or died doing so, and nobody knows whether HBR
   * took it.
   */
  async claimChunk(id: string, index: number, token: string, at: number): Promise<ChunkClaim> {
    const [outcome, claimedAt] = (await this.redis.eval(
      CLAIM_CHUNK_SCRIPT,
      1,
      this.key(id),
      String(index),
      token,
      String(Math.floor(at)),
    )) as [string, string | undefined];
    switch (outcome) {
      case 'claimed':
        return (await this.guard.confirm(this.redis)) ? { outcome } : { outcome: 'unconfirmed' };
      case 'recorded':
      case 'stopped':
      case 'missing':
        return { outcome };
      case 'taken':
        return { outcome, at: Number(claimedAt ?? 0) };
      default:
        throw new Error(`unexpected chunk claim answer ${String(outcome)}`);
    }
  }

  /** Releases this run's claim (HBR refused the chunk, so a later run may ask again); another run's stays. */
  async releaseChunk(id: string, index: number, token: string): Promise<void> {
    await this.redis.eval(RELEASE_CLAIM_SCRIPT, 1, this.key(id), `inflight:${index}`, token);
  }

  /** Like recordSubmission, but never replaces an answer another run recorded meanwhile. */
  async recordSubmissionIfAbsent(id: string, submission: Submission): Promise<void> {
    await this.redis.hsetnx(this.key(id), `submission:${submission.index}`, JSON.stringify(submission));
  }

  /** What one poll learnt about the request's tasks, in one write. */
  async recordTasks(id: string, tasks: readonly TaskProgress[]): Promise<void> {
    if (tasks.length === 0) return;
    await this.redis.hset(
      this.key(id),
      Object.fromEntries(tasks.map((task) => [`task:${task.taskId}`, JSON.stringify(task)])),
    );
  }

  async recordClientCheck(id: string, check: ClientCheck): Promise<void> {
    await this.redis.hset(this.key(id), 'clientCheck', JSON.stringify(check));
  }

  /** A failure that stops further submissions while already started tasks are still followed. */
  async recordFailure(id: string, failure: RequestFailure): Promise<void> {
    await this.redis.hset(this.key(id), 'failure', JSON.stringify(failure));
  }

  /**
   * Stores the pre-flight look-up of a request that still exists (a record dropped after its
   * retention is not brought back as a bare hash). Returns whether it was stored.
   */
  async recordPreflight(id: string, result: PreflightResult): Promise<boolean> {
    const stored = await this.redis.eval(SET_IF_EXISTS_SCRIPT, 1, this.key(id), 'preflight', JSON.stringify(result));
    return stored === 1;
  }

  /**
   * Written just before a message about the request goes to Slack and never removed: later it says
   * an earlier attempt may have reached Slack unrecorded. Returns whether an earlier attempt had begun.
   */
  async markPosting(id: string, kind: BotMessageKind, at: number): Promise<boolean> {
    const began = (await this.redis.hsetnx(this.key(id), `posting:${kind}`, String(at))) === 0;
    if (!began) await this.confirm(`the mark before posting the ${kind} message`);
    return began;
  }

  async postingStarted(id: string, kind: BotMessageKind): Promise<boolean> {
    return (await this.redis.hexists(this.key(id), `posting:${kind}`)) === 1;
  }

  async setProgressMessage(id: string, ts: string, digest: string): Promise<void> {
    await this.redis.hset(this.key(id), 'progressTs', ts, 'progressDigest', digest);
  }

  async setFinalMessage(id: string, ts: string): Promise<void> {
    await this.redis.multi().hset(this.key(id), 'finalTs', ts).zrem(this.unreportedKey, id).exec();
  }

  /** Written before a request ends, so a final reply nobody manages to post is not forgotten. */
  async awaitFinalReply(id: string, at: number): Promise<void> {
    await this.redis.zadd(this.unreportedKey, 'NX', at, id);
  }

  /** Ended requests still waiting for their final reply, a page at a time, however many there are. */
  unreportedRequestIds(): AsyncGenerator<string[]> {
    return this.pagesOf(this.unreportedKey);
  }

  /**
   * The members of a sorted set, a page at a time. ZSCAN's cursor survives members being removed
   * meanwhile (as the sweep does): every member present throughout is seen, one may be seen twice.
   */
  private async *pagesOf(key: string): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.zscan(key, cursor, 'COUNT', SCAN_PAGE_SIZE);
      cursor = next;
      const ids = flat.filter((_, index) => index % 2 === 0);
      if (ids.length > 0) yield ids;
    } while (cursor !== '0');
  }

  /** For a request that needs no final reply any more (reported, or dropped after its retention). */
  async forgetUnreported(id: string): Promise<void> {
    await this.redis.zrem(this.unreportedKey, id);
  }
}

function parseJson<T>(value: string | undefined): T | null {
  return value === undefined ? null : (JSON.parse(value) as T);
}

function fieldsWithPrefix<T>(fields: Record<string, string>, prefix: string): T[] {
  return Object.entries(fields)
    .filter(([name]) => name.startsWith(prefix))
    .map(([, value]) => JSON.parse(value) as T);
}

function currentStatusName(stored: string): RequestStatus {
  return Object.hasOwn(LEGACY_STATUSES, stored)
    ? (LEGACY_STATUSES[stored] as RequestStatus)
    : (stored as RequestStatus);
}

function toRequest(fields: Record<string, string>): HbrRequest {
  const header = parseJson<RequestHeader>(fields.header);
  if (header === null) throw new Error('request record without header');
  const submissions = fieldsWithPrefix<Submission>(fields, 'submission:').sort((a, b) => a.index - b.index);
  const recorded: HbrRequest = {
    ...header,
    status: currentStatusName(fields.status ?? ''),
    message: parseJson<SlackMessageRef>(fields.message),
    decision: parseJson<Decision>(fields.decision),
    submissions,
    tasks: [],
    failure: parseJson<RequestFailure>(fields.failure),
    preflight: parseJson<PreflightResult>(fields.preflight),
    clientCheck: parseJson<ClientCheck>(fields.clientCheck),
    progressTs: fields.progressTs ?? null,
    progressDigest: fields.progressDigest ?? null,
    finalTs: fields.finalTs ?? null,
    finishedAt: fields.finishedAt === undefined ? null : Number(fields.finishedAt),
  };
  return withTasks(recorded, fieldsWithPrefix<TaskProgress>(fields, 'task:'));
}
