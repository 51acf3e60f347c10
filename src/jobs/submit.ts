/**
 * Processor for the submit job: one per approved request (job id `submit-<request id>`), whatever
 * its operation. Submits the instances to the operation's HBR action (InstallBackupClients or
 * UninstallBackupClients, from the operation table) in chunks of at most 20, recording each chunk's
 * answer before the next call, so a retried job never submits a recorded chunk again. Each chunk is
 * claimed atomically before the call (set-if-absent, in the script that checks it still needs one),
 * so two runs of the job at once (a lost lock, a stalled job) never both ask HBR about it: the second
 * waits for the first's answer. A chunk HBR may have taken without the bot knowing (a process died
 * while asking, or HBR's answer was lost) is recorded with its instances unknown and never asked again.
 *
 * Before the first call the approval in the record is checked again, the way the decision listener
 * checks a click: a record written to Redis by hand cannot make the bot call HBR.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { chunk } from '../domain/instance-ids.js';
import { type OperationSpec, operationSpec } from '../domain/operation.js';
import { SUBMISSION_UNANSWERED, SUBMISSION_UNCERTAIN } from '../domain/outcome.js';
import {
  APPROVAL_NOT_VALID,
  type ApprovalRefusal,
  checkApprover,
  type HbrRequest,
  type Submission,
} from '../domain/request.js';
import type { HbrClient } from '../hbr/client.js';
import { HbrError } from '../hbr/errors.js';
import { type InstallSubmission, MAX_INSTANCES_PER_CALL } from '../hbr/types.js';
import { UnconfirmedWriteError } from '../redis/write-guard.js';
import type { RequestStore } from '../store/requests.js';
import { type FinishDeps, finishRequest } from './finish.js';
import type { ApprovalPolicy, ExplainFailure, RequestActivity, RequestMessages } from './ports.js';
import type { JobQueues, RequestJobData } from './queues.js';

export interface SubmitJobDeps {
  store: FinishDeps['store'] &
    Pick<
      RequestStore,
      'claimChunk' | 'releaseChunk' | 'recordSubmission' | 'recordSubmissionIfAbsent' | 'recordFailure'
    >;
  hbr: FinishDeps['hbr'] & Pick<HbrClient, 'installBackupClients' | 'uninstallBackupClients'>;
  messages: RequestMessages;
  queues: Pick<JobQueues, 'startPolling'>;
  activity: RequestActivity;
  explainFailure: ExplainFailure;
  approvals: ApprovalPolicy;
  firstPollDelayMs: number;
  /**
   * Another run's claim on a chunk older than this is taken for a dead run's: the chunk is reported
   * unknown. Younger, this run waits for the other's answer. At least the longest an HBR call can take.
   */
  claimStaleMs: number;
  /** How often to look again while another run holds a chunk's claim. */
  claimPollMs?: number;
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
      const recorded = new Set(request.submissions.map((s) => s.index));
      const refusal = chunks.length > recorded.size ? await approvalRefusal(deps.approvals, request) : null;
      if (refusal !== null) {
        await refuse(deps, request, refusal, log);
      } else {
        // This run's claims: a claim it made (or one Redis saw twice, a reconnect re-sending it) is its own.
        const token = randomBytes(8).toString('hex');
        for (const [index, instanceIds] of chunks.entries()) {
          if (recorded.has(index)) continue;
          const claim = await claimChunk(deps, request.id, index, token, log);
          if (claim === 'recorded') continue;
          if (claim === 'stopped') break;
          if (claim === 'stale') {
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
          const outcome = await submitChunk(deps, request, { index, instanceIds, token }, isLastAttempt(job), log);
          if (outcome === 'stop') break;
        }
      }
    }
    await afterSubmission(deps, request.id, log);
  };
}

/**
 * Why the approval in the record does not let the request go to HBR, or null when it does: an
 * approval by someone the decision listener would have accepted (an approver, not the requester
 * unless self-approval is allowed).
 */
async function approvalRefusal(policy: ApprovalPolicy, request: HbrRequest): Promise<ApprovalRefusal | null> {
  const by = request.decision?.outcome === 'approved' ? request.decision.by : null;
  if (by === null) return { reason: 'no_approval' };
  const check = checkApprover(request, by, await policy.isApprover(by), policy.allowSelfApproval);
  return check.allowed ? null : { reason: check.reason, by };
}

/** Records the refusal as the request's failure (nothing is sent; afterSubmission ends the request). */
async function refuse(deps: SubmitJobDeps, request: HbrRequest, refusal: ApprovalRefusal, log: Logger): Promise<void> {
  log.warn(
    { refusal: refusal.reason, decidedBy: 'by' in refusal ? refusal.by : null, code: APPROVAL_NOT_VALID },
    'not sending the request to HBR: the approval in its record is not one hbr-bot accepts',
  );
  await deps.store.recordFailure(request.id, {
    code: APPROVAL_NOT_VALID,
    explanation: deps.approvals.explainRefusal(refusal),
    hbrRequestId: null,
  });
  await deps.activity.refused(request, refusal);
}

/** How long a claim Redis cannot confirm durable (a Sentinel failover under way) is tried again before the job backs off. */
const UNCONFIRMED_CLAIM_MS = 10_000;

/**
 * Claims a chunk for this run. Claimed by another run and not yet answered: that run is asking HBR
 * (two runs of one job at once), so this one waits for its answer; a claim older than
 * `claimStaleMs` is a dead run's ('stale'). A claim Redis cannot confirm durable is claimed again
 * (same token) until it is, for a while; then the claim is released and the job fails this attempt:
 * HBR is never called on a claim a failover could lose.
 */
async function claimChunk(
  deps: SubmitJobDeps,
  requestId: string,
  index: number,
  token: string,
  log: Logger,
): Promise<'claimed' | 'recorded' | 'stopped' | 'stale'> {
  const waitStarted = Date.now();
  let said = false;
  for (;;) {
    const claim = await deps.store.claimChunk(requestId, index, token, deps.now());
    if (claim.outcome === 'missing') return 'stopped';
    if (claim.outcome === 'unconfirmed') {
      if (Date.now() - waitStarted >= UNCONFIRMED_CLAIM_MS) {
        await deps.store.releaseChunk(requestId, index, token).catch(() => undefined);
        throw new UnconfirmedWriteError(
          `could not confirm the claim of chunk ${index} in Redis for ${UNCONFIRMED_CLAIM_MS} ms (a failover under way?); HBR not called, trying again later`,
        );
      }
      await sleep(deps.claimPollMs ?? 250);
      continue;
    }
    if (claim.outcome !== 'taken') return claim.outcome;
    const age = deps.now() - claim.at;
    if (age >= deps.claimStaleMs || Date.now() - waitStarted >= deps.claimStaleMs) return 'stale';
    if (!said) {
      said = true;
      log.info({ chunk: index, claimAgeMs: age }, 'another run is asking HBR about this chunk; waiting for its answer');
    }
    await sleep(Math.max(10, Math.min(deps.claimPollMs ?? 250, deps.claimStaleMs - age)));
  }
}

function isLastAttempt(job: Pick<Job, 'attemptsMade' | 'opts'>): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

async function submitChunk(
  deps: SubmitJobDeps,
  request: HbrRequest,
  { index, instanceIds, token }: { index: number; instanceIds: string[]; token: string },
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
      // so the claim stays and no later run asks either.
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
    // HBR took the chunk) leaves the claim, and the retry will not ask twice.
    await deps.store.releaseChunk(request.id, index, token);
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
 * A chunk HBR may have taken without hbr-bot knowing: a dead process was asking about it (claimed,
 * no answer recorded: SUBMISSION_UNCERTAIN), or HBR's answer was lost (SUBMISSION_UNANSWERED).
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
