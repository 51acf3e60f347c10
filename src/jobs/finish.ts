/**
 * Ending a request: a look at HBR's clients for instances whose submission is unknown, final
 * status, last progress edit, the final thread reply and the request message's final status. Every
 * step is idempotent, so a job that dies half-way and runs again completes what is missing and
 * posts the final reply once.
 */
import type { Logger } from 'pino';
import { uncertainInstanceIds } from '../domain/outcome.js';
import { type ClientCheck, type HbrRequest, isFinal } from '../domain/request.js';
import type { HbrClient } from '../hbr/client.js';
import { HbrError } from '../hbr/errors.js';
import type { RequestStore } from '../store/requests.js';
import type { ExplainFailure, RequestActivity, RequestMessages } from './ports.js';

export interface FinishDeps {
  store: Pick<RequestStore, 'get' | 'transition' | 'awaitFinalReply' | 'setTrackedTasks' | 'recordClientCheck'>;
  hbr: Pick<HbrClient, 'describeBackupClients'>;
  messages: RequestMessages;
  activity: RequestActivity;
  explainFailure: ExplainFailure;
  logger?: Logger;
}

export async function finishRequest(deps: FinishDeps, request: HbrRequest, now: number): Promise<void> {
  let current = request;
  if (current.message !== null && current.finalTs === null) await deps.store.awaitFinalReply(current.id, now);
  if (current.finalTs === null) current = await checkUncertainClients(deps, current, now);
  if (!isFinal(current.status)) {
    // A request that failed before any task started ends as failed; one with tasks ends as finished
    // and its final reply explains the failure next to the results.
    const status = current.failure !== null && current.tasks.length === 0 ? 'failed' : 'finished';
    const moved = await deps.store.transition(current.id, status, { finishedAt: String(now) });
    if (moved.ok || moved.reason === 'conflict') current = moved.request;
    if (moved.ok) await deps.activity.finished(current);
  }
  await deps.store.setTrackedTasks(current.id, 0);
  if (current.finalTs === null) {
    // Best effort, and within the progress-edit budget: the final reply says everything the progress
    // reply would, so when many requests end together a progress reply may stay at its last step
    // rather than push chat.update past Slack's limit.
    await deps.messages
      .syncProgress(current, { budgeted: true })
      .catch((error: unknown) =>
        deps.logger?.warn(
          { requestId: current.id, err: error },
          'could not update the progress reply; posting the final reply anyway',
        ),
      );
    await deps.messages.postFinal(current);
  }
  // Also on a re-run after the final reply: a failed edit of the request message is made good.
  const posted = await deps.store.get(current.id);
  await deps.messages.editRequestMessageViaChatUpdate(posted ?? current);
}

/**
 * Instances HBR may or may not have taken (never asked twice) are looked up once in
 * DescribeBackupClients, a read that is safe to repeat, so the final reply can say what HBR shows
 * rather than only "unknown". A failed look-up is recorded with HBR's explanation: the reply says
 * the check could not be made, and the request still ends.
 */
async function checkUncertainClients(deps: FinishDeps, request: HbrRequest, now: number): Promise<HbrRequest> {
  const instanceIds = uncertainInstanceIds(request);
  if (instanceIds.length === 0 || request.clientCheck !== null) return request;
  let check: ClientCheck;
  try {
    const clients = await deps.hbr.describeBackupClients(instanceIds, request.region);
    check = { checkedAt: now, statuses: Object.fromEntries(clients.map((c) => [c.instanceId, c.status])), error: null };
  } catch (error) {
    if (!(error instanceof HbrError)) throw error;
    deps.logger?.warn(
      { requestId: request.id, code: error.code, hbrRequestId: error.requestId },
      'could not look up the clients of instances with an unknown outcome',
    );
    check = { checkedAt: now, statuses: {}, error: deps.explainFailure(error) };
  }
  await deps.store.recordClientCheck(request.id, check);
  return { ...request, clientCheck: check };
}
