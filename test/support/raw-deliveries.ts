/**
 * Slack deliveries as raw bytes, so a test can send the very same request again: replayed by an
 * attacker (same timestamp and signature) or re-delivered by Slack (new timestamp, X-Slack-Retry-Num).
 */
import type { PostedMessage } from '../../sandbox/slack-api-server.js';
import {
  type BotResponse,
  blockActionPayload,
  FORM_CONTENT_TYPE,
  sendSignedRaw,
  slashCommandBody,
} from '../../sandbox/slack-requests.js';
import { APPROVE_ACTION } from '../../src/slack/messages/action-ids.js';
import { APPROVER, CHANNEL, type Harness, REQUESTER, SIGNING_SECRET } from './bot-harness.js';

/** The form body of `/hbr-install <text>` by the requester, answered through a fresh response_url. */
export function commandBody(h: Harness, text: string): string {
  return slashCommandBody({
    text,
    user_id: REQUESTER,
    channel_id: CHANNEL,
    response_url: h.slack.responseUrl({ channel: CHANNEL, user: REQUESTER }),
  });
}

/** The form body of one Approve click on a request message. */
export function approveBody(h: Harness, requestId: string, message: PostedMessage, user = APPROVER): string {
  const action = {
    action_id: APPROVE_ACTION,
    value: requestId,
    user_id: user,
    channel_id: message.channel,
    message_ts: message.ts,
    response_url: h.slack.responseUrl({ channel: message.channel, user, messageTs: message.ts }),
  };
  return new URLSearchParams({ payload: JSON.stringify(blockActionPayload(action)) }).toString();
}

/** Sends `body` signed; a given timestamp makes the same bytes and signature every time. */
export function deliver(
  h: Harness,
  body: string,
  options: { timestamp?: number; retryNum?: number } = {},
): Promise<BotResponse> {
  return sendSignedRaw(h.eventsUrl, body, FORM_CONTENT_TYPE, { signingSecret: SIGNING_SECRET, ...options });
}
