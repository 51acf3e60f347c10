/**
 * Slack edge for a request's messages: the request message in the channel, the progress reply
 * edited in place in its thread, and the final reply. Each write is recorded in the request record
 * so a job that runs again after a crash edits the same message instead of posting a second one.
 *
 * A thread reply Slack accepted just before the process died is not in the record. So each reply
 * carries message metadata naming its request, a mark is written before it is posted, and an
 * attempt that finds the mark looks in the thread first (conversations.replies) and adopts the
 * reply it finds instead of posting it again.
 */
import { createHash } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { HbrRequest, SlackMessageRef, ThreadReply } from '../domain/request.js';
import type { RequestStore } from '../store/requests.js';
import { requestMessage } from './messages/request.js';
import { progressMessage } from './messages/progress.js';
import { finalResultMessage } from './messages/result.js';
import type { SlackMessage } from './messages/blocks.js';
import { slackErrorCode } from './slack-errors.js';

/** Metadata event type of each thread reply: what a later attempt searches the thread for. */
export const REPLY_EVENT_TYPES: Readonly<Record<ThreadReply, string>> = {
  progress: 'hbr_bot_progress_reply',
  final: 'hbr_bot_final_reply',
};

/** Bounds the thread search (a request thread holds a handful of replies plus people's chatter). */
const THREAD_PAGE_SIZE = 200;
const THREAD_MAX_PAGES = 10;

export interface PublisherDeps {
  client: webApi.WebClient;
  store: RequestStore;
  approvers: string[];
  logger: Logger;
  now: () => number;
}

export class RequestPublisher {
  private readonly client: webApi.WebClient;
  private readonly store: RequestStore;
  private readonly approvers: string[];
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(deps: PublisherDeps) {
    this.client = deps.client;
    this.store = deps.store;
    this.approvers = deps.approvers;
    this.logger = deps.logger;
    this.now = deps.now;
  }

  private render(request: HbrRequest): SlackMessage {
    return requestMessage(request, { approvers: this.approvers });
  }

  /** Posts the request message with its buttons and records where it lives. */
  async postRequest(request: HbrRequest, channel: string): Promise<SlackMessageRef> {
    const posted = await this.client.chat.postMessage({ channel, ...this.render(request) });
    if (posted.ts === undefined || posted.channel === undefined) throw new Error('chat.postMessage answered without ts');
    const ref = { channel: posted.channel, ts: posted.ts };
    await this.store.setMessage(request.id, ref);
    return ref;
  }

  async permalink(ref: SlackMessageRef): Promise<string | null> {
    const answer = await this.client.chat.getPermalink({ channel: ref.channel, message_ts: ref.ts });
    return answer.permalink ?? null;
  }

  /** Re-renders the request message from the record (decision, status, final summary). */
  async refreshRequestMessage(request: HbrRequest): Promise<void> {
    if (request.message === null) return;
    await this.client.chat.update({ channel: request.message.channel, ts: request.message.ts, ...this.render(request) });
  }

  /**
   * Posts the progress reply once, then edits it only when its content changed. Callers run at
   * most once per poll interval, so a request is edited at most once per interval.
   */
  async syncProgress(request: HbrRequest): Promise<void> {
    if (request.message === null) return;
    const message = progressMessage(request);
    const digest = createHash('sha256').update(JSON.stringify(message)).digest('hex');
    let progressTs = request.progressTs;
    if (progressTs === null) {
      const reply = await this.postReplyOnce(request, request.message, 'progress', message);
      if (reply.posted) {
        await this.store.setProgressMessage(request.id, reply.ts, digest);
        return;
      }
      progressTs = reply.ts; // found from an earlier attempt: bring its content up to date below
    } else if ((await this.store.progressDigest(request.id)) === digest) {
      return;
    }
    await this.client.chat.update({ channel: request.message.channel, ts: progressTs, ...message });
    await this.store.setProgressMessage(request.id, progressTs, digest);
  }

  /** Posts the final thread reply unless the record (or, after a crash, the thread) says it was posted already. */
  async postFinal(request: HbrRequest): Promise<void> {
    if (request.message === null || request.finalTs !== null) return;
    const reply = await this.postReplyOnce(request, request.message, 'final', finalResultMessage(request));
    await this.store.setFinalMessage(request.id, reply.ts);
  }

  /** Posts `reply` in the request's thread, or finds the one an earlier attempt posted unrecorded. */
  private async postReplyOnce(
    request: HbrRequest,
    thread: SlackMessageRef,
    reply: ThreadReply,
    message: SlackMessage,
  ): Promise<{ ts: string; posted: boolean }> {
    if (await this.store.markReplyPosting(request.id, reply, this.now())) {
      const found = await this.findReply(thread, reply, request.id);
      if (found !== null) {
        this.logger.info({ requestId: request.id, reply, ts: found }, 'found the reply an earlier attempt posted; not posting it again');
        return { ts: found, posted: false };
      }
    }
    const posted = await this.client.chat.postMessage({
      channel: thread.channel,
      thread_ts: thread.ts,
      ...message,
      metadata: { event_type: REPLY_EVENT_TYPES[reply], event_payload: { request_id: request.id } },
    });
    if (posted.ts === undefined) throw new Error('chat.postMessage answered without ts');
    return { ts: posted.ts, posted: true };
  }

  /**
   * The ts of this request's `reply` in its thread, or null when it is not there. When Slack refuses
   * to show the thread (a missing history scope, a channel the bot is not in), null too, with a
   * warning: posting a second copy is the lesser harm than no reply. A failure to reach Slack is
   * thrown, so the job tries again later rather than guessing.
   */
  private async findReply(thread: SlackMessageRef, reply: ThreadReply, requestId: string): Promise<string | null> {
    let cursor: string | undefined;
    for (let page = 0; page < THREAD_MAX_PAGES; page += 1) {
      let answer: webApi.ConversationsRepliesResponse;
      try {
        answer = await this.client.conversations.replies({
          channel: thread.channel,
          ts: thread.ts,
          include_all_metadata: true,
          limit: THREAD_PAGE_SIZE,
          ...(cursor === undefined ? {} : { cursor }),
        });
      } catch (error) {
        const code = slackErrorCode(error);
        if (code === null) throw error;
        this.logger.warn({ requestId, reply, slackError: code }, 'Slack would not show the request thread; posting the reply without checking for an earlier copy');
        return null;
      }
      const match = answer.messages?.find((m) => {
        const payload: Record<string, unknown> | undefined = m.metadata?.event_payload;
        return m.metadata?.event_type === REPLY_EVENT_TYPES[reply] && payload?.['request_id'] === requestId;
      });
      if (match?.ts !== undefined) return match.ts;
      cursor = answer.response_metadata?.next_cursor || undefined;
      if (cursor === undefined) return null;
    }
    this.logger.warn({ requestId, reply }, 'request thread too long to search; posting the reply without checking further');
    return null;
  }
}
