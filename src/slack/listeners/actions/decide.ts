/**
 * Approve, Reject and Withdraw buttons. The decision is one atomic transition in Redis, so
 * simultaneous clicks, Slack retries and restarts give exactly one decision; only its winner
 * enqueues the submit job (whose id is derived from the request, so even a second enqueue would be
 * ignored). A withdrawal is such a decision too, by the requester; the expiry and pre-flight jobs
 * leave a withdrawn request as it is.
 */
import type { BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Logger } from 'pino';
import { checkDecision, type DecisionAction, type HbrRequest, REQUEST_ID_PATTERN } from '../../../domain/request.js';
import { APPROVE_ACTION, WITHDRAW_ACTION } from '../../messages/action-ids.js';
import {
  alreadyDecidedMessage,
  decisionRefusedMessage,
  somethingWentWrongMessage,
  temporarilyUnavailableMessage,
  unknownRequestMessage,
} from '../../messages/error-replies.js';
import { ephemeral, errorReference, type ListenerDeps } from '../deps.js';

type BoltButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction>;

/** What the listener reads of the arguments Bolt hands it for a click on Approve or Reject. */
export interface ButtonArgs extends Pick<BoltButtonArgs, 'ack' | 'respond'> {
  action: Pick<BoltButtonArgs['action'], 'action_id' | 'value'>;
  body: {
    user: Pick<BlockButtonAction['user'], 'id'>;
    channel?: Pick<NonNullable<BlockButtonAction['channel']>, 'id'>;
    message?: Pick<NonNullable<BlockButtonAction['message']>, 'ts'>;
  };
}

export function decideAction(deps: ListenerDeps) {
  return async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    const log = deps.logger.child({
      action: args.action.action_id,
      user: args.body.user.id,
      requestId: (args.action.value ?? '').slice(0, 40),
    });
    try {
      await decide(deps, args, log);
    } catch (error) {
      const reference = errorReference();
      log.error({ err: error, reference }, 'decision failed');
      await args
        .respond(ephemeral(somethingWentWrongMessage(reference)))
        .catch((respondError: unknown) =>
          log.error({ err: respondError, reference }, 'could not tell the user about the failure'),
        );
    }
  };
}

async function decide(deps: ListenerDeps, { body, action, respond }: ButtonArgs, log: Logger): Promise<void> {
  const channel = body.channel?.id ?? '';
  const userId = body.user.id;
  const verdict = decisionActionOf(action.action_id);
  const requestId = action.value ?? '';

  let request: HbrRequest | null;
  try {
    request = REQUEST_ID_PATTERN.test(requestId) ? await deps.store.get(requestId) : null;
  } catch (error) {
    log.error({ err: error }, 'request store unavailable');
    await respond(ephemeral(temporarilyUnavailableMessage()));
    return;
  }
  // The button must sit on the request's own message: a value copied onto another message is refused.
  if (request === null || request.message?.ts !== body.message?.ts) {
    log.warn('refused: unknown, stale or tampered request id');
    await respond(ephemeral(unknownRequestMessage()));
    return;
  }

  const listing = await deps.directory.listing(userId, deps.config.access.approvers);
  const check = checkDecision(request, userId, listing !== null, deps.config.access.allowSelfApproval, verdict);
  if (!check.allowed) {
    log.info({ reason: check.reason }, 'refused decision');
    await respond(ephemeral(decisionRefusedMessage(check.reason, verdict, request, deps.config.access)));
    await deps.activity.accessRefused({
      actor: userId,
      channel,
      attempt: verdict,
      reason: check.reason,
      requestId: request.id,
      instanceIds: [],
    });
    return;
  }

  // Past its TTL a request is expired even if the expiry job has not run yet (workers down).
  const expired = deps.now() >= request.expiresAt;
  const outcome = expired ? 'expired' : check.outcome;
  let decided: Awaited<ReturnType<ListenerDeps['store']['decide']>>;
  try {
    decided = await deps.store.decide(request.id, { outcome, by: expired ? null : userId, at: deps.now() });
  } catch (error) {
    // Redis down, or the decision not confirmed durable (a failover under way): the click may be repeated.
    log.error({ err: error }, 'request store unavailable for the decision');
    await respond(ephemeral(temporarilyUnavailableMessage()));
    return;
  }
  if (!decided.ok) {
    log.info({ status: decided.reason === 'conflict' ? decided.request.status : 'missing' }, 'lost the decision race');
    const decision = decided.reason === 'conflict' ? decided.request.decision : null;
    await respond(ephemeral(decision === null ? unknownRequestMessage() : alreadyDecidedMessage(decision)));
    return;
  }
  log.info({ outcome }, 'request decided');
  // The group an approver qualified through; a withdrawal is the requester's, whatever groups they are in.
  const approverGroup = verdict !== 'withdraw' && listing?.via === 'group' ? listing.groupId : null;
  await deps.activity.decided(decided.request, approverGroup);
  // The click's response_url replaces the request message for everyone, sparing chat.update's Tier 3
  // budget (a 429 there pauses every Web API call of the bot); chat.update only if the post fails.
  const showDecision = () =>
    deps.publisher.editRequestMessageViaResponseUrl(decided.request, (message) =>
      respond({ replace_original: true, ...message }),
    );
  if (outcome === 'expired') {
    await showDecision();
    await respond(ephemeral(alreadyDecidedMessage({ outcome, by: null, at: deps.now() })));
    return;
  }
  // Enqueue before touching Slack: the submission must not depend on a message edit succeeding.
  // A crash between the decision and this line is repaired by the sweep (jobs/sweep.ts).
  if (outcome === 'approved') await deps.queues.enqueueSubmit(request.id);
  await showDecision();
}

function decisionActionOf(actionId: string): DecisionAction {
  if (actionId === APPROVE_ACTION) return 'approve';
  return actionId === WITHDRAW_ACTION ? 'withdraw' : 'reject';
}
