/**
 * What the jobs call outside their own layer, as narrow interfaces: the composition root (bot.ts)
 * hands them implementations from the Slack side and from ops/, which the jobs never import.
 *
 * Of the layers below (the request store, the queues, the HBR and ECS clients) each processor's
 * deps name only the methods it calls, as a Pick of the class, and of its BullMQ job only the
 * members it reads: the unit tests hand in small fakes (test/support/fakes/).
 */
import type { AlibabaApiError } from '../alibaba/errors.js';
import type { ApprovalRefusal, HbrRequest, SlackMessageRef, Submission } from '../domain/request.js';

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
  /** The submit job refused the approval in the record: nothing goes to HBR. */
  refused(request: HbrRequest, refusal: ApprovalRefusal): Promise<void>;
  /** Once per request, by whoever moved it to its final status. */
  finished(request: HbrRequest): Promise<void>;
  /** The sweep skipped a request it could not read or repair (logged with its id). */
  sweepSkipped(): void;
}

/**
 * A failed HBR or ECS call in the words a Slack user reads, stored on the request (its failure, its
 * client check, its pre-flight). Implemented by slack/messages/failure-words.ts.
 */
export type ExplainFailure = (error: AlibabaApiError) => string;

/**
 * Who may approve, asked again by the submit job before anything goes to HBR, the way the decision
 * listener asks: an approval in the record that the listener would not have accepted (a record
 * written by hand, an approver removed since) is refused. Implemented by the composition root with
 * slack/directory.ts and the configuration.
 */
export interface ApprovalPolicy {
  /** Listed in HBR_APPROVERS, directly or as a member of a listed user group. */
  isApprover(userId: string): Promise<boolean>;
  /** HBR_ALLOW_SELF_APPROVAL. */
  allowSelfApproval: boolean;
  /** The refusal in words a Slack user reads, stored as the request's failure. */
  explainRefusal(refusal: ApprovalRefusal): string;
}
