/**
 * Slack edge for a request's messages: the request message in the channel, the progress reply
 * edited in place in its thread, and the final reply. Each write is recorded in the request record
 * so a job that runs again after a crash edits the same message instead of posting a second one.
 *
 * A message Slack accepted just before the process died is not in the record. So each message
 * carries metadata naming its request, and a mark is written before it is posted. A reply attempt
 * that finds the mark looks in the thread first (conversations.replies) and adopts the reply it
 * finds instead of posting it again; recovery at start looks for a request message the same way in
 * the channel (conversations.history). Only a message the bot itself posted (its own `bot_id`, and
 * `app_id` when auth.test names it) is adopted: metadata alone is anyone's to write.
 */
import { createHash } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { BotMessageKind, HbrRequest, SlackMessageRef } from '../domain/request.js';
import type { RequestMessages } from '../jobs/ports.js';
import type { RequestStore } from '../store/requests.js';
import type { BotIdentity } from './app.js';
import type { EditBudget } from './edit-budget.js';
import type { SlackMessage } from './messages/blocks.js';
import { progressMessage } from './messages/progress.js';
import { type ApprovalRules, requestMessage } from './messages/request.js';
import { finalResultMessage } from './messages/result.js';
import { responseUrlFailure, slackErrorCode } from './web-api-errors.js';

/** Metadata event type of each message: what a later attempt searches Slack for. */
export const MESSAGE_EVENT_TYPES: Readonly<Record<BotMessageKind, string>> = {
  request: 'hbr_bot_request_message',
  progress: 'hbr_bot_progress_reply',
  final: 'hbr_bot_final_reply',
};

/** Bounds a search (a thread holds a handful of replies plus chatter; a channel, a few minutes of it). */
const SEARCH_PAGE_SIZE = 200;
const SEARCH_MAX_PAGES = 10;
/** How far before the request's creation the channel search starts: clocks of host and Slack differ. */
const CLOCK_MARGIN_SECONDS = 120;

interface MessagePage {
  messages?: Array<{
    ts?: string;
    bot_id?: string;
    app_id?: string;
    metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
  }>;
  response_metadata?: { next_cursor?: string };
}

export interface PublisherDeps {
  client: webApi.WebClient;
  store: RequestStore;
  /** Who may approve: the request message names them. */
  approval: ApprovalRules;
  /** HBR_APPROVAL_CHANNEL: where every request message goes; null: the channel of the command. */
  approvalChannel: string | null;
  /** Workspace-wide budget the polls' progress edits draw from. */
  progressEdits: EditBudget;
  /** Who the bot is (slack/token-check.ts): a message found in Slack is adopted only when the bot posted it. */
  ownIdentity: () => Promise<BotIdentity>;
  logger: Logger;
  now: () => number;
}

export class RequestPublisher implements RequestMessages {
  private readonly client: webApi.WebClient;
  private readonly store: RequestStore;
  private readonly approval: ApprovalRules;
  private readonly approvalChannel: string | null;
  private readonly progressEdits: EditBudget;
  private readonly ownIdentity: () => Promise<BotIdentity>;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(deps: PublisherDeps) {
    this.client = deps.client;
    this.store = deps.store;
    this.approval = deps.approval;
    this.approvalChannel = deps.approvalChannel;
    this.progressEdits = deps.progressEdits;
    this.ownIdentity = deps.ownIdentity;
    this.logger = deps.logger;
    this.now = deps.now;
  }

  private render(request: HbrRequest): SlackMessage {
    return requestMessage(request, this.approval);
  }

  /** The channel a request message goes to. */
  requestChannel(request: HbrRequest): string {
    return this.approvalChannel ?? request.originChannel;
  }

  /** Posts the request message with its buttons and records where it lives. */
  async postRequest(request: HbrRequest): Promise<SlackMessageRef> {
    await this.store.markPosting(request.id, 'request', this.now());
    const posted = await this.client.chat.postMessage({
      channel: this.requestChannel(request),
      ...this.render(request),
      metadata: tag('request', request.id),
    });
    if (posted.ts === undefined || posted.channel === undefined)
      throw new Error('chat.postMessage answered without ts');
    const ref = { channel: posted.channel, ts: posted.ts };
    await this.store.setMessage(request.id, ref);
    return ref;
  }

  /**
   * Recovery: a request message a dead process posted without recording it, looked for in its
   * channel and recorded when found. Null when no post was begun or it is not there. Throws when
   * Slack refuses or cannot be reached; the caller decides what that costs.
   */
  async recoverRequestMessage(request: HbrRequest): Promise<SlackMessageRef | null> {
    if (request.message !== null) return request.message;
    if (!(await this.store.postingStarted(request.id, 'request'))) return null;
    const channel = this.requestChannel(request);
    const oldest = String(Math.floor(request.createdAt / 1000) - CLOCK_MARGIN_SECONDS);
    const ts = await findTagged('request', request.id, await this.ownIdentity(), (cursor) =>
      this.client.conversations.history({
        channel,
        oldest,
        include_all_metadata: true,
        limit: SEARCH_PAGE_SIZE,
        ...cursorArg(cursor),
      }),
    );
    if (ts === null) return null;
    const ref = { channel, ts };
    await this.store.setMessage(request.id, ref);
    this.logger.info({ requestId: request.id, ts }, 'found the request message an earlier process posted; recorded it');
    return ref;
  }

  async permalink(ref: SlackMessageRef): Promise<string | null> {
    const answer = await this.client.chat.getPermalink({ channel: ref.channel, message_ts: ref.ts });
    return answer.permalink ?? null;
  }

  /**
   * Re-renders the request message from the record (decision, status, final summary) with
   * chat.update. A `budgeted` edit only shows progress (polling started) and is skipped when the
   * progress-edit budget is spent.
   */
  async editRequestMessageViaChatUpdate(request: HbrRequest, options: { budgeted?: boolean } = {}): Promise<void> {
    if (request.message === null) return;
    if (options.budgeted === true && !(await this.progressEdits.take())) return;
    await this.client.chat.update({
      channel: request.message.channel,
      ts: request.message.ts,
      ...this.render(request),
    });
  }

  /**
   * Re-renders the request message through `replaceOriginal`: the deciding click's response_url with
   * replace_original, which edits the channel message for everyone without drawing on chat.update's
   * Tier 3 limit. When that post fails, chat.update makes the edit. The warning names the failure,
   * never the URL: a response_url lets whoever holds it post as the app.
   */
  async editRequestMessageViaResponseUrl(
    request: HbrRequest,
    replaceOriginal: (message: SlackMessage) => Promise<unknown>,
  ): Promise<void> {
    if (request.message === null) return;
    try {
      await replaceOriginal(this.render(request));
    } catch (error) {
      this.logger.warn(
        { requestId: request.id, reason: responseUrlFailure(error) },
        'could not edit the request message through the response_url; editing it with chat.update',
      );
      await this.editRequestMessageViaChatUpdate(request);
    }
  }

  /**
   * Posts the progress reply once, then edits it only when its content changed. Callers run at
   * most once per poll interval, so a request is edited at most once per interval. A `budgeted`
   * edit (a poll's) is skipped when the workspace's progress-edit budget is spent: the next poll
   * edits with newer content, and the request's end always edits.
   */
  async syncProgress(request: HbrRequest, options: { budgeted?: boolean } = {}): Promise<void> {
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
    } else if (request.progressDigest === digest || (options.budgeted === true && !(await this.progressEdits.take()))) {
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
    reply: BotMessageKind,
    message: SlackMessage,
  ): Promise<{ ts: string; posted: boolean }> {
    if (await this.store.markPosting(request.id, reply, this.now())) {
      const found = await this.findReply(thread, reply, request.id);
      if (found !== null) {
        this.logger.info(
          { requestId: request.id, reply, ts: found },
          'found the reply an earlier attempt posted; not posting it again',
        );
        return { ts: found, posted: false };
      }
    }
    const posted = await this.client.chat.postMessage({
      channel: thread.channel,
      thread_ts: thread.ts,
      ...message,
      metadata: tag(reply, request.id),
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
  private async findReply(thread: SlackMessageRef, reply: BotMessageKind, requestId: string): Promise<string | null> {
    const identity = await this.ownIdentity();
    try {
      return await findTagged(reply, requestId, identity, (cursor) =>
        this.client.conversations.replies({
          channel: thread.channel,
          ts: thread.ts,
          include_all_metadata: true,
          limit: SEARCH_PAGE_SIZE,
          ...cursorArg(cursor),
        }),
      );
    } catch (error) {
      const code = slackErrorCode(error);
      if (code === null) throw error;
      this.logger.warn(
        { requestId, reply, slackError: code },
        'Slack would not show the request thread; posting the reply without checking for an earlier copy',
      );
      return null;
    }
  }
}

function tag(kind: BotMessageKind, requestId: string): { event_type: string; event_payload: { request_id: string } } {
  return { event_type: MESSAGE_EVENT_TYPES[kind], event_payload: { request_id: requestId } };
}

function cursorArg(cursor: string | undefined): { cursor?: string } {
  return cursor === undefined ? {} : { cursor };
}

/**
 * Pages through a message listing for the message the bot (`self`) posted tagged `kind` for this
 * request; its ts, or null. Another app's message with the same metadata is not the bot's.
 */
async function findTagged(
  kind: BotMessageKind,
  requestId: string,
  self: BotIdentity,
  fetchPage: (cursor: string | undefined) => Promise<MessagePage>,
): Promise<string | null> {
  let cursor: string | undefined;
  for (let page = 0; page < SEARCH_MAX_PAGES; page += 1) {
    const answer = await fetchPage(cursor);
    const match = answer.messages?.find(
      (m) =>
        m.bot_id === self.botId &&
        (self.appId === null || m.app_id === self.appId) &&
        m.metadata?.event_type === MESSAGE_EVENT_TYPES[kind] &&
        m.metadata.event_payload?.request_id === requestId,
    );
    if (match?.ts !== undefined) return match.ts;
    cursor = answer.response_metadata?.next_cursor || undefined;
    if (cursor === undefined) return null;
  }
  return null;
}
