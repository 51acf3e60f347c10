/**
 * Run at start: re-enqueue the job every open request needs. A process killed between a Redis
 * write and the matching enqueue (an approval whose submit job was never added) is repaired here;
 * for requests whose job exists, the deterministic job id makes the add a no-op.
 */
import type { Logger } from 'pino';
import type { RequestStore } from '../store/requests.js';
import type { JobQueues } from './queues.js';

export interface RecoverDeps {
  store: RequestStore;
  queues: JobQueues;
  firstPollDelayMs: number;
  preflightEnabled: boolean;
  now: () => number;
  logger: Logger;
}

export async function recoverOpenRequests(deps: RecoverDeps): Promise<number> {
  let repaired = 0;
  for (const id of await deps.store.openRequestIds()) {
    const request = await deps.store.get(id);
    if (request === null) continue;
    switch (request.status) {
      case 'pending':
        await deps.queues.scheduleExpiry(id, request.expiresAt, deps.now());
        // Killed between posting the message and enqueuing its look-up: look the instances up now.
        if (deps.preflightEnabled && request.message !== null && request.preflight === null) await deps.queues.enqueuePreflight(id);
        break;
      case 'approved':
      case 'submitting':
        if (!(await deps.queues.reviveIfFailed('submit', id))) await deps.queues.enqueueSubmit(id);
        break;
      case 'polling': {
        const firstSubmittedAt = Math.min(...request.submissions.map((s) => s.submittedAt));
        if (!(await deps.queues.reviveIfFailed('poll', id))) {
          await deps.queues.startPolling(id, firstSubmittedAt + deps.firstPollDelayMs, deps.now());
        }
        break;
      }
      default:
        continue;
    }
    repaired += 1;
  }
  if (repaired > 0) deps.logger.info({ requests: repaired }, 'checked the jobs of open requests');
  return repaired;
}
