/**
 * Run at start: re-enqueue the job every open request needs. A process killed between a Redis
 * write and the matching enqueue (an approval whose submit job was never added) is repaired here;
 * for requests whose job exists, the deterministic job id makes the add a no-op.
 */
import type { Logger } from 'pino';
import type { HbrRequest, SlackMessageRef } from '../domain/request.js';
import type { RequestPublisher } from '../slack/request-publisher.js';
import type { RequestStore } from '../store/requests.js';
import type { JobQueues } from './queues.js';

export interface RecoverDeps {
  store: RequestStore;
  queues: JobQueues;
  publisher: Pick<RequestPublisher, 'recoverRequestMessage'>;
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
async function findLostRequestMessage(deps: RecoverDeps, request: HbrRequest): Promise<SlackMessageRef | null> {
  try {
    return await deps.publisher.recoverRequestMessage(request);
  } catch (error) {
    deps.logger.warn({ requestId: request.id, err: error }, 'could not look for the request message in Slack; its buttons stay refused until it expires');
    return null;
  }
}

export async function recoverOpenRequests(deps: RecoverDeps): Promise<number> {
  let repaired = 0;
  for (const id of await deps.store.openRequestIds()) {
    const request = await deps.store.get(id);
    if (request === null) continue;
    switch (request.status) {
      case 'pending': {
        await deps.queues.scheduleExpiry(id, request.expiresAt, deps.now());
        const message = request.message ?? (await findLostRequestMessage(deps, request));
        // Killed between posting the message and enqueuing its look-up: look the instances up now.
        if (deps.preflightEnabled && message !== null && request.preflight === null) await deps.queues.enqueuePreflight(id);
        break;
      }
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
