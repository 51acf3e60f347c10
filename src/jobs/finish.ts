/**
 * Ending a request: final status, last progress edit, the final thread reply and the request
 * message's final status. Every step is idempotent, so a job that dies half-way and runs again
 * completes what is missing and posts the final reply once.
 */
import type { Logger } from 'pino';
import { isFinal, type HbrRequest } from '../domain/request.js';
import type { RequestStore } from '../store/requests.js';
import type { RequestPublisher } from '../slack/request-publisher.js';
import type { BotEvents } from '../ops/events.js';

export interface FinishDeps {
  store: RequestStore;
  publisher: RequestPublisher;
  events: BotEvents;
  logger?: Logger;
}

export async function finishRequest(deps: FinishDeps, request: HbrRequest, now: number): Promise<void> {
  let current = request;
  if (current.message !== null && current.finalTs === null) await deps.store.awaitFinalReply(current.id, now);
  if (!isFinal(current.status)) {
    // A request that failed before any task started ends as failed; one with tasks ends as finished
    // and its final reply explains the failure next to the results.
    const status = current.failure !== null && current.tasks.length === 0 ? 'failed' : 'finished';
    const moved = await deps.store.transition(current.id, status, { finishedAt: String(now) });
    if (moved.ok || moved.reason === 'conflict') current = moved.request;
    if (moved.ok) await deps.events.finished(current);
  }
  await deps.store.setTrackedTasks(current.id, 0);
  if (current.finalTs === null) {
    // Best effort: the final reply says everything the progress reply would.
    await deps.publisher.syncProgress(current).catch((error: unknown) =>
      deps.logger?.warn({ requestId: current.id, err: error }, 'could not update the progress reply; posting the final reply anyway'),
    );
    await deps.publisher.postFinal(current);
  }
  // Also on a re-run after the final reply: a failed edit of the request message is made good.
  const posted = await deps.store.get(current.id);
  await deps.publisher.refreshRequestMessage(posted ?? current);
}
