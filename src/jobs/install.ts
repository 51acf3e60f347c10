/**
 * Processor for the install job: one per approved request (job id `install-<request id>`).
 * Submits the instances to InstallBackupClients in chunks of at most 20, recording each chunk's
 * answer before the next call, so a retried job never submits a recorded chunk again.
 */
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { chunk } from '../domain/instance-ids.js';
import type { InstallRequest, Submission } from '../domain/request.js';
import { HbrError } from '../hbr/errors.js';
import type { HbrClient } from '../hbr/client.js';
import { MAX_INSTANCES_PER_CALL } from '../hbr/types.js';
import type { RequestStore } from '../store/requests.js';
import type { RequestPublisher } from '../slack/request-publisher.js';
import { finishRequest } from './finish.js';
import type { JobQueues, RequestJobData } from './queues.js';

export interface InstallJobDeps {
  store: RequestStore;
  hbr: HbrClient;
  publisher: RequestPublisher;
  queues: JobQueues;
  firstPollDelayMs: number;
  now: () => number;
  logger: Logger;
}

/** Whole-call error codes that describe the instances rather than the account: refuse the chunk. */
const INSTANCE_LEVEL_CODES = new Set(['CloudAssistNotRunningOnInstance', 'InstanceNotExists', 'InstanceNotRunning']);

export function createInstallProcessor(deps: InstallJobDeps) {
  return async function processInstall(job: Job<RequestJobData>): Promise<void> {
    const log = deps.logger.child({ requestId: job.data.requestId, job: job.id });
    let request = await deps.store.get(job.data.requestId);
    if (request === null) {
      log.warn('install job for a request that no longer exists');
      return;
    }
    if (request.status === 'approved') {
      const moved = await deps.store.transition(request.id, 'installing');
      if (!moved.ok) return;
      request = moved.request;
    }
    if (request.status !== 'installing' && request.status !== 'polling') {
      log.info({ status: request.status }, 'install job found the request past installing; nothing to do');
      return;
    }

    // A run after a crash skips what is recorded: submitted chunks, and everything after a failure.
    if (request.status === 'installing' && request.failure === null) {
      const chunks = chunk(request.instanceIds, MAX_INSTANCES_PER_CALL);
      for (const [index, instanceIds] of chunks.entries()) {
        if (request.submissions.some((s) => s.index === index)) continue;
        const outcome = await submitChunk(deps, request, index, instanceIds, isLastAttempt(job), log);
        if (outcome === 'stop') break;
      }
    }
    await afterSubmission(deps, request.id, log);
  };
}

function isLastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

async function submitChunk(
  deps: InstallJobDeps,
  request: InstallRequest,
  index: number,
  instanceIds: string[],
  lastAttempt: boolean,
  log: Logger,
): Promise<'next' | 'stop'> {
  try {
    const [answer] = await deps.hbr.installBackupClients(instanceIds, request.region);
    if (answer === undefined) throw new Error('InstallBackupClients returned no answer');
    const submission: Submission = {
      index,
      instanceIds,
      taskId: answer.taskId,
      hbrRequestId: answer.requestId,
      instances: answer.statuses.map((s) => ({ instanceId: s.instanceId, valid: s.valid, errorCode: s.errorCode })),
      submittedAt: deps.now(),
    };
    await deps.store.recordSubmission(request.id, submission);
    log.info(
      { chunk: index, taskId: answer.taskId, hbrRequestId: answer.requestId, refused: submission.instances.filter((i) => !i.valid).length },
      'InstallBackupClients accepted',
    );
    return 'next';
  } catch (error) {
    if (!(error instanceof HbrError)) throw error;
    // BullMQ retries the job with backoff; on the last attempt a transient error ends the request.
    if (error.transient && !lastAttempt) throw error;
    if (INSTANCE_LEVEL_CODES.has(error.code)) {
      await deps.store.recordSubmission(request.id, {
        index,
        instanceIds,
        taskId: null,
        hbrRequestId: error.requestId ?? '',
        instances: instanceIds.map((instanceId) => ({ instanceId, valid: false, errorCode: error.code })),
        submittedAt: deps.now(),
      });
      log.warn({ chunk: index, code: error.code, hbrRequestId: error.requestId }, 'InstallBackupClients refused the whole chunk');
      return 'next';
    }
    log.error({ chunk: index, code: error.code, hbrRequestId: error.requestId }, 'InstallBackupClients failed permanently');
    await deps.store.recordFailure(request.id, {
      code: error.code,
      explanation: error.explanation,
      hbrRequestId: error.requestId,
    });
    return 'stop';
  }
}

async function afterSubmission(deps: InstallJobDeps, requestId: string, log: Logger): Promise<void> {
  const request = await deps.store.get(requestId);
  if (request === null) return;
  await deps.publisher.syncProgress(request);
  const started = request.submissions.filter((s) => s.taskId !== null);
  if (started.length === 0) {
    await finishRequest(deps, request, deps.now());
    return;
  }
  const moved = await deps.store.transition(requestId, 'polling');
  if (!moved.ok && moved.reason === 'conflict' && moved.request.status !== 'polling') return;
  const firstSubmittedAt = Math.min(...started.map((s) => s.submittedAt));
  await deps.queues.startPolling(requestId, firstSubmittedAt + deps.firstPollDelayMs, deps.now());
  log.info({ tasks: started.map((s) => s.taskId) }, 'polling scheduled');
  await deps.publisher.refreshRequestMessage(moved.ok ? moved.request : request);
}
