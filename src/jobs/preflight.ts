/**
 * Processor for the pre-flight job (job id `preflight-<request id>`), enqueued right after the
 * request message is posted, so neither the ack nor the post waits for ECS: looks the request's
 * instances up in ECS (DescribeInstances, then DescribeCloudAssistantStatus for those found),
 * stores what it found on the request record, and edits the request message so the approver sees
 * names, OS, state and Cloud Assistant with a warning for each instance HBR will refuse.
 *
 * It never blocks or fails the approval flow: decisions and submissions do not read what it stores.
 * A transient ECS failure is retried (by the client, then by BullMQ); a permanent one, or the last
 * attempt, stores "unavailable" with the reason in words, which the message shows instead.
 *
 * The details are rendered in every state of the request message, not only while it is pending:
 * when the job runs after a decision it stores them and refreshes the decided message too, so
 * whoever reads it later sees what was approved.
 */
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { combineFacts, type PreflightResult, preflightCounts } from '../domain/preflight.js';
import type { HbrRequest } from '../domain/request.js';
import type { EcsClient } from '../ecs/client.js';
import { EcsError } from '../ecs/errors.js';
import type { CloudAssistantStatus, EcsInstance } from '../ecs/types.js';
import type { RequestStore } from '../store/requests.js';
import type { ExplainFailure, RequestMessages } from './ports.js';
import type { RequestJobData } from './queues.js';

export interface PreflightJobDeps {
  store: Pick<RequestStore, 'get' | 'recordPreflight'>;
  ecs: Pick<EcsClient, 'describeInstances' | 'describeCloudAssistantStatus'>;
  messages: RequestMessages;
  explainFailure: ExplainFailure;
  /** HBR_PREFLIGHT: when false, jobs left in the queue are dropped without calling ECS. */
  enabled: boolean;
  /** HBR_PREFLIGHT_TAGS: the tag keys kept with an instance's facts (the others are never stored or shown). */
  tagKeys: readonly string[];
  now: () => number;
  logger: Logger;
}

/** Refreshes of the request message one job makes at most while the record keeps changing under it. */
const MAX_REFRESHES = 3;

/** What the processor reads of its BullMQ job. */
type PreflightJob = Pick<Job<RequestJobData>, 'id' | 'data' | 'attemptsMade' | 'opts'>;

export function createPreflightProcessor(deps: PreflightJobDeps) {
  return async function processPreflight(job: PreflightJob): Promise<void> {
    const requestId = job.data.requestId;
    const log = deps.logger.child({ requestId, job: job.id });
    if (!deps.enabled) {
      log.info('pre-flight is off (HBR_PREFLIGHT=false); dropping the job');
      return;
    }
    const request = await deps.store.get(requestId);
    if (request === null || request.message === null) {
      log.warn('pre-flight job for a request that no longer exists or was never posted');
      return;
    }
    // A run after a crash that stored the result only needs the message edit.
    if (request.preflight === null) {
      const result = await lookUp(deps, request, isLastAttempt(job), log);
      if (!(await deps.store.recordPreflight(requestId, result))) return;
    }
    await refreshUntilSettled(deps, requestId);
  };
}

function isLastAttempt(job: Pick<Job, 'attemptsMade' | 'opts'>): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** What ECS says, or why it cannot say; throws (for BullMQ to retry) only a failure worth another attempt. */
async function lookUp(
  deps: PreflightJobDeps,
  request: HbrRequest,
  lastAttempt: boolean,
  log: Logger,
): Promise<PreflightResult> {
  const { instanceIds, region } = request;
  let instances: EcsInstance[];
  try {
    instances = await deps.ecs.describeInstances(instanceIds, region);
  } catch (error) {
    const reason = giveUpOn(deps, error, lastAttempt, log, 'DescribeInstances');
    return { outcome: 'unavailable', checkedAt: deps.now(), code: reason.code, reason: reason.words };
  }
  const found = instances.map((i) => i.instanceId).filter((id) => instanceIds.includes(id));
  let agents: CloudAssistantStatus[] | null = [];
  let agentsUnavailable: string | null = null;
  if (found.length > 0) {
    try {
      agents = await deps.ecs.describeCloudAssistantStatus(found, region);
    } catch (error) {
      agentsUnavailable = giveUpOn(deps, error, lastAttempt, log, 'DescribeCloudAssistantStatus').words;
      agents = null;
    }
  }
  const facts = combineFacts(instanceIds, instances, agents, deps.tagKeys);
  log.info(
    { ...preflightCounts(facts), agentsUnavailable: agentsUnavailable !== null },
    'pre-flight looked the instances up',
  );
  return { outcome: 'checked', checkedAt: deps.now(), instances: facts, cloudAssistantUnavailable: agentsUnavailable };
}

/**
 * The reason to show when a look-up failed for good; rethrows a failure that another attempt may
 * cure (transient, or not an ECS answer at all) unless this is the last attempt.
 */
function giveUpOn(
  deps: PreflightJobDeps,
  error: unknown,
  lastAttempt: boolean,
  log: Logger,
  action: string,
): { code: string; words: string } {
  const ecsError = error instanceof EcsError ? error : null;
  const worthRetrying = ecsError === null || ecsError.transient;
  if (worthRetrying && !lastAttempt) throw error;
  if (ecsError === null) {
    log.error({ err: error, action }, 'pre-flight look-up failed unexpectedly');
    return { code: 'Unexpected', words: 'the look-up failed unexpectedly — the bot logs have the details' };
  }
  log.warn(
    { action, code: ecsError.code, ecsRequestId: ecsError.requestId, transient: ecsError.transient },
    'pre-flight look-up failed',
  );
  return { code: ecsError.code, words: deps.explainFailure(ecsError) };
}

/**
 * Edits the request message from the record, and again while the record changed under the edit (a
 * decision landing at the same moment must not be painted over with buttons).
 */
async function refreshUntilSettled(deps: PreflightJobDeps, requestId: string): Promise<void> {
  let rendered: string | null = null;
  for (let round = 0; round < MAX_REFRESHES; round += 1) {
    const current = await deps.store.get(requestId);
    if (current === null) return;
    const version = JSON.stringify(current);
    if (version === rendered) return;
    await deps.messages.editRequestMessageViaChatUpdate(current);
    rendered = version;
  }
}
