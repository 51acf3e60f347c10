/**
 * Slack edge for a request's messages: the request message in the channel, the progress reply
 * edited in place in its thread, and the final reply. Each write is recorded in the request record
 * so a job that runs again after a crash edits the same message instead of posting a second one.
 */
import { createHash } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import type { HbrRequest, SlackMessageRef } from '../domain/request.js';
import type { RequestStore } from '../store/requests.js';
import { requestMessage } from './messages/request.js';
import { progressMessage } from './messages/progress.js';
import { finalResultMessage } from './messages/result.js';
import type { SlackMessage } from './messages/blocks.js';

export class RequestPublisher {
  constructor(
    private readonly client: webApi.WebClient,
    private readonly store: RequestStore,
    private readonly approvers: string[],
  ) {}

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
    if (request.progressTs === null) {
      const posted = await this.client.chat.postMessage({
        channel: request.message.channel,
        thread_ts: request.message.ts,
        ...message,
      });
      if (posted.ts === undefined) throw new Error('chat.postMessage answered without ts');
      await this.store.setProgressMessage(request.id, posted.ts, digest);
      return;
    }
    if ((await this.store.progressDigest(request.id)) === digest) return;
    await this.client.chat.update({ channel: request.message.channel, ts: request.progressTs, ...message });
    await this.store.setProgressMessage(request.id, request.progressTs, digest);
  }

  /** Posts the final thread reply unless the record says it was posted already. */
  async postFinal(request: HbrRequest): Promise<void> {
    if (request.message === null || request.finalTs !== null) return;
    const posted = await this.client.chat.postMessage({
      channel: request.message.channel,
      thread_ts: request.message.ts,
      ...finalResultMessage(request),
    });
    if (posted.ts === undefined) throw new Error('chat.postMessage answered without ts');
    await this.store.setFinalMessage(request.id, posted.ts);
  }
}
