/**
 * What the jobs call outside their own layer, as narrow interfaces: the composition root (bot.ts)
 * hands them implementations from the Slack side and from ops/, which the jobs never import.
 *
 * Of the layers below (the request store, the queues, the HBR and ECS clients) each processor's
 * deps name only the methods it calls, as a Pick of the class, and of its BullMQ job only the
 * members it reads: the unit tests hand in small fakes (test/support/fakes/).
 */
import type { AlibabaApiError } from '../alibaba/errors.js';
import type { HbrRequest, SlackMessageRef, Submission } from '../domain/request.js';

/**
 * A request's Slack messages, as the jobs bring them up to date from the record. Implemented by
 * slack/request-publisher.ts.
 */
export interface RequestMessages {
  /**
   * Re-renders the request message from the record with chat.update. A `budgeted` edit (one that
   * only shows progress) is skipped when the workspace's progress-edit budget is spent.
   */
  editRequestMessageViaChatUpdate(request: HbrRequest, options?: { budgeted?: boolean }): Promise<void>;
  /** Posts the progress reply once, then edits it when its content changed (`budgeted` as above). */
  syncProgress(request: HbrRequest, options?: { budgeted?: boolean }): Promise<void>;
  /** Posts the final reply, once. */
  postFinal(request: HbrRequest): Promise<void>;
  /** A request message a process posted but died before recording: found in Slack and recorded, or null. */
  recoverRequestMessage(request: HbrRequest): Promise<SlackMessageRef | null>;
}

/**
 * What the jobs report as it happens, for metrics and the audit trail. Implemented by
 * ops/activity-recorder.ts.
 */
export interface RequestActivity {
  decided(request: HbrRequest): Promise<void>;
  submitted(request: HbrRequest, submission: Submission): Promise<void>;
  /** Once per request, by whoever moved it to its final status. */
  finished(request: HbrRequest): Promise<void>;
}

/**
 * A failed HBR or ECS call in the words a Slack user reads, stored on the request (its failure, its
 * client check, its pre-flight). Implemented by slack/messages/failure-words.ts.
 */
export type ExplainFailure = (error: AlibabaApiError) => string;
