/**
 * Processor for the submit job: one per approved request (job id `submit-<request id>`), whatever
 * its operation. Submits the instances to the operation's HBR action (InstallBackupClients or
 * UninstallBackupClients, from the operation table) in chunks of at most 20, recording each chunk's
 * answer before the next call, so a retried job never submits a recorded chunk again. A chunk HBR
 * may have taken without the bot knowing (a process died while asking, or HBR's answer was lost) is
 * recorded with its instances unknown and never asked again.
 */
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { chunk } from '../domain/instance-ids.js';
import { type OperationSpec, operationSpec } from '../domain/operation.js';
import { SUBMISSION_UNANSWERED, SUBMISSION_UNCERTAIN } from '../domain/outcome.js';
import type { HbrRequest, Submission } from '../domain/request.js';
import type { HbrClient } from '../hbr/client.js';
import { HbrError } from '../hbr/errors.js';
import { type InstallSubmission, MAX_INSTANCES_PER_CALL } from '../hbr/types.js';
import type { RequestStore } from '../store/requests.js';
import { type FinishDeps, finishRequest } from './finish.js';
import type { ExplainFailure, RequestActivity, RequestMessages } from './ports.js';
import type { JobQueues, RequestJobData } from './queues.js';

export interface SubmitJobDeps {
  store: FinishDeps['store'] &
    Pick<
      RequestStore,
      | 'chunkInFlight'
      | 'markChunkInFlight'
      | 'clearChunkInFlight'
      | 'recordSubmission'
      | 'recordSubmissionIfAbsent'
      | 'recordFailure'
    >;
  hbr: FinishDeps['hbr'] & Pick<HbrClient, 'installBackupClients' | 'uninstallBackupClients'>;
  messages: RequestMessages;
  queues: Pick<JobQueues, 'startPolling'>;
  activity: RequestActivity;
  explainFailure: ExplainFailure;
  firstPollDelayMs: number;
  now: () => number;
  logger: Logger;
}

/** Whole-call error codes that describe the instances rather than the account: refuse the chunk. */
const INSTANCE_LEVEL_CODES = new Set(['CloudAssistNotRunningOnInstance', 'InstanceNotExists', 'InstanceNotRunning']);

type SubmitCall = (instanceIds: string[], region: string) => Promise<InstallSubmission[]>;

/** What the processor reads of its BullMQ job. */
type SubmitJob = Pick<Job<RequestJobData>, 'id' | 'data' | 'attemptsMade' | 'opts'>;

/** The HbrClient method behind an operation's HBR action. */
function hbrCall(hbr: SubmitJobDeps['hbr'], action: OperationSpec['hbrAction']): SubmitCall {
  switch (action) {
    case 'InstallBackupClients':
      return (ids, region) => hbr.installBackupClients(ids, region);
    case 'UninstallBackupClients':
      return (ids, region) => hbr.uninstallBackupClients(ids, region);
  }
}

export function createSubmitProcessor(deps: SubmitJobDeps) {
  return async function processSubmit(job: SubmitJob): Promise<void> {
    const log = deps.logger.child({ requestId: job.data.requestId, job: job.id });
    let request = await deps.store.get(job.data.requestId);
    if (request === null) {
      log.warn('submit job for a request that no longer exists');
      return;
    }
    if (request.status === 'approved') {
      const moved = await deps.store.transition(request.id, 'submitting');
      if (!moved.ok) return;
      request = moved.request;
    }
    if (request.status === 'finished' || request.status === 'failed') {
      // A run after a crash while the request was being finished (no task started, or a failure):
      // complete what is missing — the final reply above all. Idempotent, like the poll job's.
      await finishRequest(deps, request, deps.now());
      return;
    }
    if (request.status !== 'submitting' && request.status !== 'polling') {
      log.info({ status: request.status }, 'submit job found the request past submitting; nothing to do');
      return;
    }

    // A run after a crash skips what is recorded: submitted chunks, and everything after a failure.
    if (request.status === 'submitting' && request.failure === null) {
      const chunks = chunk(request.instanceIds, MAX_INSTANCES_PER_CALL);
      for (const [index, instanceIds] of chunks.entries()) {
        if (request.submissions.some((s) => s.index === index)) continue;
        if (await deps.store.chunkInFlight(request.id, index)) {
          log.warn(
            { chunk: index, code: SUBMISSION_UNCERTAIN },
            'a process died while asking HBR about this chunk; not asking again, reporting its instances as unknown',
          );
          await recordUnknownChunk(
            deps,
            request,
            chunkWithoutTask(deps, index, instanceIds, SUBMISSION_UNCERTAIN, null),
          );
          continue;
        }
        await deps.store.markChunkInFlight(request.id, index, deps.now());
        const outcome = await submitChunk(deps, request, index, instanceIds, isLastAttempt(job), log);
        if (outcome === 'stop') break;
      }
    }
    await afterSubmission(deps, request.id, log);
  };
}

function isLastAttempt(job: Pick<Job, 'attemptsMade' | 'opts'>): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

async function submitChunk(
  deps: SubmitJobDeps,
  request: HbrRequest,
  index: number,
  instanceIds: string[],
  lastAttempt: boolean,
  log: Logger,
): Promise<'next' | 'stop'> {
  const action = operationSpec(request.operation).hbrAction;
  try {
    const [answer] = await hbrCall(deps.hbr, action)(instanceIds, request.region);
    if (answer === undefined) throw new Error(`${action} returned no answer`);
    const submission: Submission = {
      index,
      instanceIds,
      taskId: answer.taskId,
      hbrRequestId: answer.requestId,
      instances: answer.statuses.map((s) => ({ instanceId: s.instanceId, valid: s.valid, errorCode: s.errorCode })),
      submittedAt: deps.now(),
    };
    await deps.store.recordSubmission(request.id, submission);
    await deps.activity.submitted(request, submission);
    log.info(
      {
        chunk: index,
        taskId: answer.taskId,
        hbrRequestId: answer.requestId,
        refused: submission.instances.filter((i) => !i.valid).length,
      },
      `${action} accepted`,
    );
    return 'next';
  } catch (error) {
    if (!(error instanceof HbrError)) throw error;
    if (error.outcomeUnknown) {
      // HBR may have taken the chunk (its answer was lost): asking again, now or in a BullMQ retry,
      // could run the operation twice. Recorded as unknown before anything else, like a success,
      // so the in-flight mark stays and no later run asks either.
      log.warn(
        { chunk: index, code: error.code, hbrRequestId: error.requestId },
        `${action} got no usable answer; not asking again, reporting its instances as unknown`,
      );
      await recordUnknownChunk(
        deps,
        request,
        chunkWithoutTask(deps, index, instanceIds, SUBMISSION_UNANSWERED, error.requestId),
      );
      return 'next';
    }
    // HBR refused (or was never reached): a retry may ask again. Anything else (Redis down after
    // HBR took the chunk) leaves the in-flight mark, and the retry will not ask twice.
    await deps.store.clearChunkInFlight(request.id, index);
    // BullMQ retries the job with backoff; on the last attempt a transient error ends the request.
    if (error.transient && !lastAttempt) throw error;
    if (INSTANCE_LEVEL_CODES.has(error.code)) {
      await deps.store.recordSubmission(
        request.id,
        chunkWithoutTask(deps, index, instanceIds, error.code, error.requestId),
      );
      log.warn({ chunk: index, code: error.code, hbrRequestId: error.requestId }, `${action} refused the whole chunk`);
      return 'next';
    }
    log.error({ chunk: index, code: error.code, hbrRequestId: error.requestId }, `${action} failed permanently`);
    await deps.store.recordFailure(request.id, {
      code: error.code,
      explanation: deps.explainFailure(error),
      hbrRequestId: error.requestId,
    });
    return 'stop';
  }
}

/** A chunk that started no task, every instance with the same per-instance code. */
function chunkWithoutTask(
  deps: SubmitJobDeps,
  index: number,
  instanceIds: string[],
  errorCode: string,
  hbrRequestId: string | null,
): Submission {
  return {
    index,
    instanceIds,
    taskId: null,
    hbrRequestId: hbrRequestId ?? '',
    instances: instanceIds.map((instanceId) => ({ instanceId, valid: false, errorCode })),
    submittedAt: deps.now(),
  };
}

/**
 * A chunk HBR may have taken without hbr-bot knowing: a dead process was asking about it (marked in
 * flight, no answer recorded: SUBMISSION_UNCERTAIN), or HBR's answer was lost (SUBMISSION_UNANSWERED).
 * Asking again could run the operation twice, so it is not asked again; its instances are reported
 * as unknown, with what to check. Never replaces an answer another run recorded meanwhile.
 */
async function recordUnknownChunk(deps: SubmitJobDeps, request: HbrRequest, submission: Submission): Promise<void> {
  await deps.store.recordSubmissionIfAbsent(request.id, submission);
  await deps.activity.submitted(request, submission);
}

async function afterSubmission(deps: SubmitJobDeps, requestId: string, log: Logger): Promise<void> {
  const request = await deps.store.get(requestId);
  if (request === null) return;
  const started = request.submissions.filter((s) => s.taskId !== null);
  if (started.length === 0) {
    await finishRequest(deps, request, deps.now());
    return;
  }
  // Best effort: polling must start even when Slack refuses the progress reply (the polls post it later).
  await deps.messages
    .syncProgress(request)
    .catch((error: unknown) => log.warn({ err: error }, 'could not post the progress reply; the polls try again'));
  const moved = await deps.store.transition(requestId, 'polling');
  if (!moved.ok && moved.reason === 'conflict' && moved.request.status !== 'polling') return;
  const firstSubmittedAt = Math.min(...started.map((s) => s.submittedAt));
  await deps.queues.startPolling(requestId, firstSubmittedAt + deps.firstPollDelayMs, deps.now());
  log.info({ tasks: started.map((s) => s.taskId) }, 'polling scheduled');
  // Only progress ("Installing…"): the request's end edits the message whatever the budget.
  await deps.messages.editRequestMessageViaChatUpdate(moved.ok ? moved.request : request, { budgeted: true });
}
