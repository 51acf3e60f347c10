/**
 * Child process: the Slack Web API stand-in (sandbox/slack-api-server.ts), with its call log
 * compacted every 250 ms so a long run keeps a small, countable record (method, channel, thread,
 * time, outcome) instead of every argument of every call.
 */
import type { ResponseUrlContext } from '../../sandbox/slack-api-server.js';
import { BOT_TOKEN } from '../lib/constants.js';
import { serve, usage } from '../lib/serve.js';
import { importFromCheckout } from '../lib/src-path.js';

const { startSlackStandIn } =
  await importFromCheckout<typeof import('../../sandbox/slack-api-server.js')>('sandbox/slack-api-server.js');

export interface SlackCallRecord {
  method: string;
  channel: string;
  /** thread_ts of a postMessage, ts of an update; '' otherwise. */
  ts: string;
  threaded: boolean;
  at: number;
  ok: boolean;
  error: string;
}

export interface ResponseUrlRecord {
  channel: string;
  at: number;
  status: number;
}

export interface RequestMessageRef {
  channel: string;
  ts: string;
  requestId: string;
}

const slack = await startSlackStandIn({ botToken: BOT_TOKEN, usergroups: {} });
const log: SlackCallRecord[] = [];
const responseLog: ResponseUrlRecord[] = [];
const urlChannel = new Map<string, string>();
let scannedMessages = 0;
const requestMessages: RequestMessageRef[] = [];

function compact(): void {
  for (const call of slack.calls) {
    const args = call.args;
    const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : '';
    const ts = typeof args.ts === 'string' ? args.ts : threadTs;
    log.push({
      method: call.method,
      channel: typeof args.channel === 'string' ? args.channel : '',
      ts,
      threaded: threadTs !== '',
      at: call.at,
      ok: call.response.ok === true,
      error: typeof call.response.error === 'string' ? call.response.error : '',
    });
  }
  slack.calls.length = 0;
  for (const post of slack.responseUrlPosts) {
    responseLog.push({ channel: urlChannel.get(post.id) ?? '', at: post.at, status: post.status });
    urlChannel.delete(post.id);
  }
  slack.responseUrlPosts.length = 0;
}

/** Keeps only the latest edit of each message: the stand-in would otherwise hold every version. */
function trimUpdates(): void {
  for (const message of slack.messages()) {
    if (message.updates.length > 1) message.updates.splice(0, message.updates.length - 1);
  }
}

function scanRequestMessages(): void {
  const messages = slack.messages();
  for (; scannedMessages < messages.length; scannedMessages += 1) {
    const message = messages[scannedMessages]!;
    if (message.threadTs !== null || message.via !== 'chat.postMessage') continue;
    const match = /\br[a-z2-7]{12}\b/.exec(JSON.stringify(message.blocks));
    if (match !== null) requestMessages.push({ channel: message.channel, ts: message.ts, requestId: match[0] });
  }
}

setInterval(compact, 250).unref();
setInterval(trimUpdates, 2000).unref();

serve(
  {
    apiUrl: () => slack.apiUrl,
    /** One registered response_url address per context (channel, user, clicked message). */
    responseUrls(contexts: ResponseUrlContext[]) {
      return contexts.map((context) => {
        const url = slack.responseUrl(context);
        urlChannel.set(url.slice(url.lastIndexOf('/') + 1), context.channel ?? '');
        return url;
      });
    },
    /** Top-level request messages posted so far (from index `from` of that list). */
    requestMessages(from = 0) {
      scanRequestMessages();
      return requestMessages.slice(from);
    },
    requestMessageCount() {
      scanRequestMessages();
      return requestMessages.length;
    },
    /** Web API calls and response_url posts recorded since the last reset. */
    calls() {
      compact();
      return { calls: log, responses: responseLog };
    },
    callCount() {
      return log.length + slack.calls.length + responseLog.length + slack.responseUrlPosts.length;
    },
    reset() {
      compact();
      log.length = 0;
      responseLog.length = 0;
    },
    usage,
  },
  () => slack.close(),
);
