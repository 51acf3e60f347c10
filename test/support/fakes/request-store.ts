/**
 * The request store (src/store/requests.ts) in memory, for the unit tests: the methods the jobs and
 * listeners call, with the same status rules (domain TRANSITIONS) and the same "write once" fields.
 * What the Lua scripts guarantee under concurrency is for the integration suites to prove.
 */
import type { PreflightResult } from '../../../src/domain/preflight.js';
import {
  type ClientCheck,
  type Decision,
  FINAL_STATUSES,
  type HbrRequest,
  type RequestFailure,
  type RequestStatus,
  type SlackMessageRef,
  type Submission,
  type TaskProgress,
  TRANSITIONS,
  withTasks,
} from '../../../src/domain/request.js';
import type { ChunkClaim, RequestStore, TransitionResult } from '../../../src/store/requests.js';
import { CallRecorder } from './call-recorder.js';

type FakedMethod =
  | 'create'
  | 'get'
  | 'transition'
  | 'decide'
  | 'fail'
  | 'setMessage'
  | 'recordSubmission'
  | 'recordSubmissionIfAbsent'
  | 'claimChunk'
  | 'releaseChunk'
  | 'recordTasks'
  | 'recordClientCheck'
  | 'recordFailure'
  | 'recordPreflight'
  | 'setTrackedTasks'
  | 'setProgressMessage'
  | 'setFinalMessage'
  | 'awaitFinalReply'
  | 'openRequestIds'
  | 'forgetOpen'
  | 'unreportedRequestIds'
  | 'forgetUnreported';

/** The fields a transition may write with the status, read back as the real store's toRequest does. */
function withTransitionFields(request: HbrRequest, fields: Record<string, string>): HbrRequest {
  let updated = request;
  for (const [name, value] of Object.entries(fields)) {
    if (name === 'decision') updated = { ...updated, decision: JSON.parse(value) as Decision };
    else if (name === 'failure') updated = { ...updated, failure: JSON.parse(value) as RequestFailure };
    else if (name === 'finishedAt') updated = { ...updated, finishedAt: Number(value) };
    else throw new Error(`the fake store does not know the transition field ${name}`);
  }
  return updated;
}

export class FakeRequestStore implements Pick<RequestStore, FakedMethod> {
  readonly recorder = new CallRecorder<FakedMethod>();
  private readonly records = new Map<string, HbrRequest>();
  /** `<request id>:<chunk index>` of the chunks marked in flight. */
  /** Chunk claims by `<request id>:<chunk>`: which run claimed it, when. */
  private readonly claims = new Map<string, { token: string; at: number }>();
  /** Per request, its HBR tasks still polled (the tracked-tasks gauge). */
  readonly trackedTasks = new Map<string, number>();
  /** Ended requests waiting for their final reply. */
  readonly unreported = new Set<string>();

  /** Puts a record as it would be after earlier steps (a test's starting point); no call recorded. */
  put(request: HbrRequest): void {
    this.records.set(request.id, structuredClone(request));
  }

  /** Drops a record, as its retention running out would; no call recorded. */
  drop(id: string): void {
    this.records.delete(id);
  }

  /** The record as stored now, for assertions; no call recorded. */
  peek(id: string): HbrRequest {
    const request = this.records.get(id);
    if (request === undefined) throw new Error(`no request ${id} in the fake store`);
    return structuredClone(request);
  }

  /** Claims a chunk as a process that died while asking HBR would have left it (long ago); no call recorded. */
  putChunkInFlight(id: string, index: number): void {
    this.claims.set(`${id}:${index}`, { token: 'a run that died', at: 0 });
  }

  isChunkInFlight(id: string, index: number): boolean {
    return this.claims.has(`${id}:${index}`);
  }

  private update(id: string, change: (request: HbrRequest) => HbrRequest): void {
    const request = this.records.get(id);
    if (request !== undefined) this.records.set(id, change(request));
  }

  async create(request: HbrRequest): Promise<void> {
    this.recorder.enter('create');
    if (this.records.has(request.id)) throw new Error(`request ${request.id} already exists`);
    this.put(request);
  }

  async get(id: string): Promise<HbrRequest | null> {
    this.recorder.enter('get');
    const request = this.records.get(id);
    return request === undefined ? null : structuredClone(request);
  }

  async transition(id: string, to: RequestStatus, fields: Record<string, string> = {}): Promise<TransitionResult> {
    this.recorder.enter('transition');
    return this.move(id, to, fields);
  }

  async decide(id: string, decision: Decision): Promise<TransitionResult> {
    this.recorder.enter('decide');
    return this.move(id, decision.outcome, { decision: JSON.stringify(decision) });
  }

  async fail(id: string, failure: RequestFailure, at: number): Promise<TransitionResult> {
    this.recorder.enter('fail');
    return this.move(id, 'failed', { failure: JSON.stringify(failure), finishedAt: String(at) });
  }

  private move(id: string, to: RequestStatus, fields: Record<string, string>): TransitionResult {
    const request = this.records.get(id);
    if (request === undefined) return { ok: false, reason: 'missing' };
    if (!TRANSITIONS[request.status].includes(to)) {
      return { ok: false, reason: 'conflict', request: structuredClone(request) };
    }
    this.records.set(id, withTransitionFields({ ...request, status: to }, fields));
    return { ok: true, request: this.peek(id) };
  }

  async setMessage(id: string, message: SlackMessageRef): Promise<void> {
    this.recorder.enter('setMessage');
    this.update(id, (request) => ({ ...request, message }));
  }

  async recordSubmission(id: string, submission: Submission): Promise<void> {
    this.recorder.enter('recordSubmission');
    this.update(id, (request) => ({
      ...request,
      submissions: [...request.submissions.filter((s) => s.index !== submission.index), submission].sort(
        (a, b) => a.index - b.index,
      ),
    }));
  }

  async recordSubmissionIfAbsent(id: string, submission: Submission): Promise<void> {
    this.recorder.enter('recordSubmissionIfAbsent');
    if (this.records.get(id)?.submissions.some((s) => s.index === submission.index) === true) return;
    this.update(id, (request) => ({
      ...request,
      submissions: [...request.submissions, submission].sort((a, b) => a.index - b.index),
    }));
  }

  /** The store's claim rules (store/requests.ts CLAIM_CHUNK_SCRIPT), without the atomicity only Redis gives. */
  async claimChunk(id: string, index: number, token: string, at: number): Promise<ChunkClaim> {
    this.recorder.enter('claimChunk');
    const request = this.records.get(id);
    if (request === undefined) return { outcome: 'missing' };
    if (request.submissions.some((submission) => submission.index === index)) return { outcome: 'recorded' };
    if (request.status !== 'submitting' || request.failure !== null) return { outcome: 'stopped' };
    const claim = this.claims.get(`${id}:${index}`);
    if (claim !== undefined && claim.token !== token) return { outcome: 'taken', at: claim.at };
    this.claims.set(`${id}:${index}`, { token, at });
    return { outcome: 'claimed' };
  }

  async releaseChunk(id: string, index: number, token: string): Promise<void> {
    this.recorder.enter('releaseChunk');
    if (this.claims.get(`${id}:${index}`)?.token === token) this.claims.delete(`${id}:${index}`);
  }

  async recordTasks(id: string, tasks: readonly TaskProgress[]): Promise<void> {
    this.recorder.enter('recordTasks');
    this.update(id, (request) => withTasks(request, tasks));
  }

  async recordClientCheck(id: string, clientCheck: ClientCheck): Promise<void> {
    this.recorder.enter('recordClientCheck');
    this.update(id, (request) => ({ ...request, clientCheck }));
  }

  async recordFailure(id: string, failure: RequestFailure): Promise<void> {
    this.recorder.enter('recordFailure');
    this.update(id, (request) => ({ ...request, failure }));
  }

  async recordPreflight(id: string, preflight: PreflightResult): Promise<boolean> {
    this.recorder.enter('recordPreflight');
    if (!this.records.has(id)) return false;
    this.update(id, (request) => ({ ...request, preflight }));
    return true;
  }

  async setTrackedTasks(id: string, running: number): Promise<void> {
    this.recorder.enter('setTrackedTasks');
    if (running > 0) this.trackedTasks.set(id, running);
    else this.trackedTasks.delete(id);
  }

  async setProgressMessage(id: string, progressTs: string, progressDigest: string): Promise<void> {
    this.recorder.enter('setProgressMessage');
    this.update(id, (request) => ({ ...request, progressTs, progressDigest }));
  }

  async setFinalMessage(id: string, finalTs: string): Promise<void> {
    this.recorder.enter('setFinalMessage');
    this.update(id, (request) => ({ ...request, finalTs }));
    this.unreported.delete(id);
  }

  async awaitFinalReply(id: string): Promise<void> {
    this.recorder.enter('awaitFinalReply');
    this.unreported.add(id);
  }

  /** One page: the fake holds few. */
  async *openRequestIds(): AsyncGenerator<string[]> {
    this.recorder.enter('openRequestIds');
    yield [...this.records.values()]
      .filter((request) => !FINAL_STATUSES.has(request.status))
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((request) => request.id);
  }

  async forgetOpen(id: string): Promise<void> {
    this.recorder.enter('forgetOpen');
    this.records.delete(id);
  }

  async *unreportedRequestIds(): AsyncGenerator<string[]> {
    this.recorder.enter('unreportedRequestIds');
    yield [...this.unreported];
  }

  async forgetUnreported(id: string): Promise<void> {
    this.recorder.enter('forgetUnreported');
    this.unreported.delete(id);
  }
}
