/**
 * Processor for the expiry job (job id `expire-<request id>`, delayed by the approval TTL): a
 * request nobody decided in time becomes expired and its buttons go away. A request already
 * decided is left alone, so the job is harmless when it fires after an approval.
 */
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { RequestStore } from '../store/requests.js';
import type { RequestActivity, RequestMessages } from './ports.js';
import type { RequestJobData } from './queues.js';

export interface ExpireJobDeps {
  store: Pick<RequestStore, 'decide'>;
  messages: RequestMessages;
  activity: RequestActivity;
  now: () => number;
  logger: Logger;
}

export function createExpireProcessor(deps: ExpireJobDeps) {
  return async function processExpire(job: Pick<Job<RequestJobData>, 'data'>): Promise<void> {
    const decided = await deps.store.decide(job.data.requestId, { outcome: 'expired', by: null, at: deps.now() });
    if (decided.ok) {
      deps.logger.info({ requestId: job.data.requestId }, 'request expired without a decision');
      await deps.activity.decided(decided.request);
    }
    // Also on a re-run after the status was written but the message edit failed.
    if ((decided.ok || decided.reason === 'conflict') && decided.request.status === 'expired') {
      await deps.messages.editRequestMessageViaChatUpdate(decided.request);
    }
  };
}
