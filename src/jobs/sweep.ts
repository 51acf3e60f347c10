/**
 * The sweep, run at start and then every HBR_SWEEP_INTERVAL_MS (once across all processes):
 *  - re-enqueue the job every open request needs. A process killed between a Redis write and the
 *    matching enqueue (an approval whose submit job was never added) is repaired here; for
 *    requests whose job exists, the deterministic job id makes the add a no-op, and a job that
 *    failed for good (its retries outlasted) is revived;
 *  - post the final reply of every ended request that has none, when no job of it is left to do so
 *    (Slack refused the post for longer than the job's retries).
 */
import type { Logger } from 'pino';
import type { HbrRequest, SlackMessageRef } from '../domain/request.js';
import type { RequestStore } from '../store/requests.js';
import { type FinishDeps, finishRequest } from './finish.js';
import type { ExplainFailure, RequestActivity, RequestMessages } from './ports.js';
import type { JobQueues } from './queues.js';

export interface SweepDeps {
  store: FinishDeps['store'] &
    Pick<RequestStore, 'openRequestIds' | 'forgetOpen' | 'unreportedRequestIds' | 'forgetUnreported'>;
  queues: Pick<
    JobQueues,
    'reviveIfFailed' | 'scheduleExpiry' | 'enqueuePreflight' | 'enqueueSubmit' | 'startPolling' | 'hasLiveJob'
  >;
  messages: RequestMessages;
  hbr: FinishDeps['hbr'];
  activity: RequestActivity;
  explainFailure: ExplainFailure;
  firstPollDelayMs: number;
  preflightEnabled: boolean;
  now: () => number;
  logger: Logger;
}

/**
 * A request message Slack may have accepted from a process killed before it recorded it: without
 * it, the buttons people click would be refused and the expiry could not edit the message.
 * Best effort: Slack refusing or unreachable at start must not stop the bot from starting.
 */
async function findLostRequestMessage(deps: SweepDeps, request: HbrRequest): Promise<SlackMessageRef | null> {
  try {
    return await deps.messages.recoverRequestMessage(request);
  } catch (error) {
    deps.logger.warn(
      { requestId: request.id, err: error },
      'could not look for the request message in Slack; its buttons stay refused until it expires',
    );
    return null;
  }
}

/**
 * Runs `repair` on every id of `pages`, each on its own: a record that cannot be read (a corrupt
 * field) or repaired is logged with its id, counted, and skipped, so one bad record never stops a
 * start. `repair` answers whether it repaired something. Returns how many it did.
 */
async function repairEach(
  deps: SweepDeps,
  pages: AsyncIterable<string[]>,
  repair: (id: string) => Promise<boolean>,
): Promise<number> {
  let repaired = 0;
  for await (const ids of pages) {
    for (const id of ids) {
      try {
        if (await repair(id)) repaired += 1;
      } catch (error) {
        deps.activity.sweepSkipped();
        deps.logger.error(
          { requestId: id, err: error },
          'the sweep could not read or repair this request; skipped it (the next sweep tries again)',
        );
      }
    }
  }
  return repaired;
}

export async function recoverOpenRequests(deps: SweepDeps): Promise<number> {
  const repaired = await repairEach(deps, deps.store.openRequestIds(), async (id) => {
    const request = await deps.store.get(id);
    if (request === null) {
      // Its record is gone (expired or deleted by hand): nothing to repair, and nothing to keep listing.
      await deps.store.forgetOpen(id);
      deps.logger.warn({ requestId: id }, 'an open request without a record; dropped it from the open requests');
      return false;
    }
    return repairOpenRequest(deps, request);
  });
  if (repaired > 0) deps.logger.info({ requests: repaired }, 'checked the jobs of open requests');
  return repaired;
}

/** Re-enqueues (or revives) the job an open request needs; false for a request in a final status. */
async function repairOpenRequest(deps: SweepDeps, request: HbrRequest): Promise<boolean> {
  const { id } = request;
  switch (request.status) {
    case 'pending': {
      if (!(await deps.queues.reviveIfFailed('expire', id)))
        await deps.queues.scheduleExpiry(id, request.expiresAt, deps.now());
      const message = request.message ?? (await findLostRequestMessage(deps, request));
      // Killed between posting the message and enqueuing its look-up: look the instances up now.
      if (deps.preflightEnabled && message !== null && request.preflight === null)
        await deps.queues.enqueuePreflight(id);
      return true;
    }
    case 'approved':
    case 'submitting':
      if (!(await deps.queues.reviveIfFailed('submit', id))) await deps.queues.enqueueSubmit(id);
      return true;
    case 'polling': {
      const firstSubmittedAt = Math.min(...request.submissions.map((s) => s.submittedAt));
      if (!(await deps.queues.reviveIfFailed('poll', id))) {
        await deps.queues.startPolling(id, firstSubmittedAt + deps.firstPollDelayMs, deps.now());
      }
      return true;
    }
    default:
      return false;
  }
}

/** Final replies no job is left to post: posted now (idempotently; found in the thread if already there). */
export async function deliverMissingFinalReplies(deps: SweepDeps): Promise<number> {
  const delivered = await repairEach(deps, deps.store.unreportedRequestIds(), async (id) => {
    const request = await deps.store.get(id);
    if (request === null || request.finalTs !== null || request.message === null) {
      await deps.store.forgetUnreported(id);
      return false;
    }
    if (await deps.queues.hasLiveJob(id)) return false;
    await finishRequest(deps, request, deps.now());
    return true;
  });
  if (delivered > 0) deps.logger.info({ requests: delivered }, 'posted final replies the jobs had given up on');
  return delivered;
}

/** One sweep: both repairs, each on its own, so one failing does not skip the other. */
export async function sweep(deps: SweepDeps): Promise<void> {
  const results = await Promise.allSettled([recoverOpenRequests(deps), deliverMissingFinalReplies(deps)]);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) throw failures[0]?.reason;
}
