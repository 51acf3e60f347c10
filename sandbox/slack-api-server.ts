/**
 * A stand-in for Slack's Web API and for the response_url endpoints Slack hands out with slash commands and
 * interactions. It is a real HTTP server on 127.0.0.1 (ephemeral port), so the bot's own @slack/web-api
 * WebClient (via Bolt's `clientOptions.slackApiUrl`) and Bolt's `respond()` (plain fetch to response_url)
 * talk to it exactly as they would talk to Slack.
 *
 * What it models:
 *  - POST /api/<method> with application/x-www-form-urlencoded (what WebClient sends; `blocks`, `attachments`
 *    and `metadata` arrive JSON-encoded and are parsed back) or application/json; query-string args too.
 *  - token from `Authorization: Bearer` or a `token` form field; none -> not_authed, wrong -> invalid_auth.
 *  - unknown method -> unknown_method (HTTP 200, like every Slack API error except 429).
 *  - every message-bearing call is checked with blockKitProblems(); problems -> invalid_blocks + errors[].
 *  - failNext(method, ...) makes the next call(s) of that method fail (queued, in order). The pseudo method
 *    'response_url' applies to response_url posts. clearFailures(method) drops what is still queued.
 *  - 429s carry a Retry-After header; @slack/web-api pauses its queue for that many seconds and retries.
 *  - with `appToken`, Socket Mode: apps.connections.open (app token only) answers a ws:// URL on this
 *    server, whose WebSocket side is `socketMode` (socket-mode-server.ts). A token of the other kind
 *    gets not_allowed_token_type, as from Slack.
 *
 * Every /api request, including rejected ones, is appended to `calls`. subscribe() reports every message
 * posted, edited or deleted and every ephemeral shown, as it happens (the sandbox page's live view).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { blockKitProblems } from './block-kit-limits.js';
import { listen } from './listen.js';
import { API_APP_ID } from './slack-requests.js';
import { createSocketModeStandIn, type SocketModeStandIn } from './socket-mode-server.js';

export interface SlackCall {
  method: string;
  /** Arguments as received (form fields or JSON), `blocks`/`attachments`/`metadata` parsed back; `token` removed. */
  args: Record<string, unknown>;
  token: string | null;
  at: number;
  /** The JSON body the stand-in answered with. */
  response: Record<string, unknown>;
  /** HTTP status the stand-in answered with (200, or 429 for rate limits). */
  status: number;
}

export interface PostedMessage {
  channel: string;
  ts: string;
  threadTs: string | null;
  /** Original content; the current content is the last entry of `updates`, if any (see currentContent()). */
  text: string;
  blocks: unknown[];
  updates: Array<{ text: string; blocks: unknown[]; at: number }>;
  /** How the message was posted. */
  via: 'chat.postMessage' | 'response_url';
  /** Message metadata posted with it (chat.postMessage `metadata`), as Slack stores it. */
  metadata: MessageMetadata | null;
  /** The app whose token posted it (the bot's own, or one of `otherApps`): Slack's `bot_id` and `app_id` on it. */
  postedBy: AppIdentity;
  /** Set when a response_url post with delete_original removed it. */
  deleted: boolean;
  /** ms epoch when it was posted. */
  at: number;
}

export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export interface EphemeralMessage {
  channel: string;
  user: string;
  /** Its own message ts (Slack gives ephemerals one too); a button on it reports this ts. */
  ts: string;
  /** Current content: a replace_original from a click on it replaces text and blocks in place. */
  text: string;
  blocks: unknown[];
  at: number;
  via: 'chat.postEphemeral' | 'response_url';
  /** True for a response_url post with replace_original: true that did not target a known channel message. */
  replaceOriginal: boolean;
  /** The response_url id for via === 'response_url'. */
  responseUrlId: string | null;
  /** Set when a delete_original from a click on it removed it. */
  deleted: boolean;
}

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
  at: number;
  /** HTTP status the stand-in answered with (200 accepted, 400 rejected, 404 unknown url, 429 rate limited). */
  status: number;
  response: Record<string, unknown>;
}

/** Optional knowledge about the interaction a response_url belongs to. */
export interface ResponseUrlContext {
  /** Channel of the slash command / interaction; ephemerals via this url are recorded with it. */
  channel?: string;
  /** User who invoked the command / clicked; ephemerals via this url are recorded for them. */
  user?: string;
  /**
   * ts of the channel message that carried the clicked button. With it, replace_original / delete_original
   * posts are applied to that PostedMessage (as an update / deletion) instead of being recorded as ephemerals.
   */
  messageTs?: string;
  /**
   * ts of the ephemeral message that carried the clicked button (for that user). With it, replace_original
   * replaces that ephemeral's content in place and delete_original removes it.
   */
  ephemeralTs?: string;
}

/** What subscribe() reports: the message or ephemeral as it is now, after the change. */
export type SlackStandInEvent =
  | { type: 'message'; message: PostedMessage }
  | { type: 'ephemeral'; ephemeral: EphemeralMessage };

/** Who an app's bot is, as Slack shows it on the messages it posts. */
export interface AppIdentity {
  botId: string;
  appId: string;
  botUserId: string;
}

/** Another app installed in the workspace: its bot token may post too, as itself. */
export interface OtherApp extends AppIdentity {
  token: string;
}

export interface SlackStandInOptions {
  botToken: string;
  botUserId?: string;
  /** bot_id returned by auth.test (default 'B0HBRBOT01'). */
  botId?: string;
  teamId?: string;
  usergroups?: Record<string, string[]>;
  /** App-level token `xapp-…`: turns Socket Mode on (apps.connections.open and its WebSocket server). */
  appToken?: string;
  /** Other apps in the workspace: messages they post carry their own bot_id and app_id. */
  otherApps?: OtherApp[];
}

export type SlackFailure = { error: string } | { status: 429; retryAfterSeconds: number };

export interface SlackStandIn {
  apiUrl: string;
  /** The Socket Mode side; null unless started with `appToken`. */
  socketMode: SocketModeStandIn | null;
  calls: SlackCall[];
  callsOf(method: string): SlackCall[];
  messages(): PostedMessage[];
  message(channel: string, ts: string): PostedMessage | undefined;
  /** The `message` object Slack puts in interaction payloads for a channel message (current content). */
  messagePayload(channel: string, ts: string): Record<string, unknown> | undefined;
  threadReplies(channel: string, threadTs: string): PostedMessage[];
  ephemerals(user?: string): EphemeralMessage[];
  responseUrl(context?: ResponseUrlContext): string;
  responseUrlPosts: ResponseUrlPost[];
  failNext(method: string, failure: SlackFailure): void;
  clearFailures(method: string): void;
  setUsergroup(id: string, users: string[]): void;
  /** Calls `listener` after every change to a message or ephemeral; returns the unsubscribe function. */
  subscribe(listener: (event: SlackStandInEvent) => void): () => void;
  close(): Promise<void>;
}

/** Current (latest) content of a posted message: its last update, or the original. */
export function currentContent(message: PostedMessage): { text: string; blocks: unknown[] } {
  const last = message.updates[message.updates.length - 1];
  return last ? { text: last.text, blocks: last.blocks } : { text: message.text, blocks: message.blocks };
}

const TEAM_DOMAIN = 'hbr-test';
const JSON_ENCODED_FIELDS = new Set(['blocks', 'attachments', 'metadata']);
/** Methods that take the app-level token instead of the bot token. */
const APP_TOKEN_METHODS = new Set(['apps.connections.open']);
const MESSAGE_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral']);

type Json = Record<string, unknown>;

interface MethodContext {
  args: Json;
  token: string;
}

interface HandlerResult {
  status: number;
  body: Json;
  headers?: Record<string, string>;
}

class BadRequest extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function stringArg(args: Json, key: string): string | undefined {
  const value = args[key];
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function send(res: ServerResponse, result: HandlerResult): void {
  const payload = JSON.stringify(result.body);
  res.writeHead(result.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...result.headers,
  });
  res.end(payload);
}

function failureResult(failure: SlackFailure): HandlerResult {
  if ('status' in failure) {
    return {
      status: 429,
      body: { ok: false, error: 'ratelimited' },
      headers: { 'retry-after': String(failure.retryAfterSeconds) },
    };
  }
  return { status: 200, body: { ok: false, error: failure.error } };
}

export async function startSlackStandIn(options: SlackStandInOptions): Promise<SlackStandIn> {
  const botUserId = options.botUserId ?? 'U0HBRBOT01';
  const botId = options.botId ?? 'B0HBRBOT01';
  const teamId = options.teamId ?? 'T0HBRTEST1';
  const ownApp: AppIdentity = { botId, appId: API_APP_ID, botUserId };
  const otherApps = options.otherApps ?? [];
  /** The app a bot token belongs to; the bot's own for anything else (checked before a handler runs). */
  const appOf = (token: string): AppIdentity => otherApps.find((app) => app.token === token) ?? ownApp;
  const usergroups = new Map<string, string[]>(Object.entries(options.usergroups ?? {}));
  const calls: SlackCall[] = [];
  const posted: PostedMessage[] = [];
  /** Messages by channel and ts, channel messages by channel, thread replies by channel and parent ts: no scans at 10k messages. */
  const byRef = new Map<string, PostedMessage>();
  const channelMessages = new Map<string, PostedMessage[]>();
  const repliesByThread = new Map<string, PostedMessage[]>();
  const refKey = (channel: string, ts: string) => `${channel}/${ts}`;
  const ephemeral: EphemeralMessage[] = [];
  const responseUrlPosts: ResponseUrlPost[] = [];
  const responseUrls = new Map<string, ResponseUrlContext>();
  const failures = new Map<string, SlackFailure[]>();
  const listeners = new Set<(event: SlackStandInEvent) => void>();
  let lastMicros = 0;
  let urlCounter = 0;
  let baseUrl = '';
  const socketMode =
    options.appToken === undefined ? null : createSocketModeStandIn(() => baseUrl.replace(/^http/, 'ws'), API_APP_ID);

  /** Unique, increasing message timestamps in Slack's 'seconds.micros' form, on the wall clock like Slack's. */
  function nextTs(): string {
    lastMicros = Math.max(lastMicros + 1, Date.now() * 1000);
    return `${Math.floor(lastMicros / 1_000_000)}.${String(lastMicros % 1_000_000).padStart(6, '0')}`;
  }

  function takeFailure(method: string): SlackFailure | undefined {
    const queue = failures.get(method);
    const failure = queue?.shift();
    if (queue && queue.length === 0) failures.delete(method);
    return failure;
  }

  function findMessage(channel: string, ts: string): PostedMessage | undefined {
    return byRef.get(refKey(channel, ts));
  }

  /** A listener's failure never changes what the stand-in answers. */
  function emit(event: SlackStandInEvent): void {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch {
        // ignored on purpose
      }
    }
  }

  function addMessage(
    message: Omit<PostedMessage, 'ts' | 'updates' | 'deleted' | 'at' | 'postedBy'>,
    postedBy: AppIdentity = ownApp,
  ): PostedMessage {
    const added: PostedMessage = { ...message, postedBy, ts: nextTs(), updates: [], deleted: false, at: Date.now() };
    posted.push(added);
    byRef.set(refKey(added.channel, added.ts), added);
    const [index, key] =
      added.threadTs === null
        ? [channelMessages, added.channel]
        : [repliesByThread, refKey(added.channel, added.threadTs)];
    const list = index.get(key);
    if (list === undefined) index.set(key, [added]);
    else list.push(added);
    emit({ type: 'message', message: added });
    return added;
  }

  function updateMessage(message: PostedMessage, content: { text: string; blocks: unknown[] }, at: number): void {
    message.updates.push({ ...content, at });
    emit({ type: 'message', message });
  }

  function addEphemeral(message: Omit<EphemeralMessage, 'ts' | 'deleted'>): string {
    const added: EphemeralMessage = { ...message, ts: nextTs(), deleted: false };
    ephemeral.push(added);
    emit({ type: 'ephemeral', ephemeral: added });
    return added.ts;
  }

  function blocksOf(args: Json): unknown[] {
    return Array.isArray(args.blocks) ? args.blocks : [];
  }

  function textOf(args: Json): string {
    return typeof args.text === 'string' ? args.text : '';
  }

  function messageProblems(args: Json): string[] {
    return blockKitProblems({ text: args.text as string | undefined, blocks: args.blocks as unknown[] | undefined });
  }

  /** A message as the Web API returns it; metadata only when asked for (include_all_metadata). */
  function messageObject(m: PostedMessage, withMetadata = false): Json {
    const { text, blocks } = currentContent(m);
    const { botUserId: user, botId: bot, appId } = m.postedBy;
    const message: Json = { type: 'message', user, bot_id: bot, app_id: appId, team: teamId, ts: m.ts, text };
    if (blocks.length > 0) message.blocks = blocks;
    if (m.threadTs !== null) message.thread_ts = m.threadTs;
    if (withMetadata && m.metadata !== null) message.metadata = m.metadata;
    return message;
  }

  /** One page of a message listing, as Slack pages them: `limit` (at most 1000) and an opaque cursor. */
  function paged(listed: PostedMessage[], args: Json): Json {
    const limit = Math.min(Math.max(Number(stringArg(args, 'limit') ?? 100) || 100, 1), 1000);
    const cursor = stringArg(args, 'cursor');
    const offset =
      cursor === undefined
        ? 0
        : Number(
            Buffer.from(cursor, 'base64')
              .toString('utf8')
              .replace(/^offset:/, ''),
          );
    if (!Number.isInteger(offset) || offset < 0) return { ok: false, error: 'invalid_cursor' };
    const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
    const hasMore = offset + limit < listed.length;
    return {
      ok: true,
      messages: listed.slice(offset, offset + limit).map((m) => messageObject(m, withMetadata)),
      has_more: hasMore,
      response_metadata: { next_cursor: hasMore ? Buffer.from(`offset:${offset + limit}`).toString('base64') : '' },
    };
  }

  /** Slack's rules for chat.postMessage `metadata`: an event_type and an object payload. */
  function metadataArg(args: Json): MessageMetadata | null | 'invalid' {
    const value = args.metadata;
    if (value === undefined) return null;
    if (typeof value !== 'object' || value === null) return 'invalid';
    const { event_type: eventType, event_payload: payload } = value as Json;
    if (typeof eventType !== 'string' || !/^[A-Za-z0-9_]{1,255}$/.test(eventType)) return 'invalid';
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return 'invalid';
    return { event_type: eventType, event_payload: payload as Record<string, unknown> };
  }

  const methods: Record<string, (ctx: MethodContext) => Json> = {
    'auth.test': () => ({
      ok: true,
      url: `https://${TEAM_DOMAIN}.slack.com/`,
      team: 'HBR Test',
      user: 'hbr-bot',
      team_id: teamId,
      user_id: botUserId,
      bot_id: botId,
      app_id: API_APP_ID,
      is_enterprise_install: false,
    }),

    'chat.postMessage': ({ args, token }) => {
      const channel = stringArg(args, 'channel');
      if (!channel) return { ok: false, error: 'channel_not_found' };
      const metadata = metadataArg(args);
      if (metadata === 'invalid') return { ok: false, error: 'invalid_metadata_format' };
      const message = addMessage(
        {
          channel,
          threadTs: stringArg(args, 'thread_ts') ?? null,
          text: textOf(args),
          blocks: blocksOf(args),
          via: 'chat.postMessage',
          metadata,
        },
        appOf(token),
      );
      return { ok: true, channel, ts: message.ts, message: messageObject(message) };
    },

    'chat.update': ({ args }) => {
      const channel = stringArg(args, 'channel');
      const ts = stringArg(args, 'ts');
      if (!channel) return { ok: false, error: 'channel_not_found' };
      const message = ts === undefined ? undefined : findMessage(channel, ts);
      if (!message || message.deleted) return { ok: false, error: 'message_not_found' };
      const previous = currentContent(message);
      // Like Slack: omitted blocks keep the previous blocks; an explicit [] removes them.
      const text = typeof args.text === 'string' ? args.text : previous.text;
      updateMessage(message, { text, blocks: Array.isArray(args.blocks) ? args.blocks : previous.blocks }, Date.now());
      const current = currentContent(message);
      return { ok: true, channel, ts: message.ts, text: current.text, message: messageObject(message) };
    },

    'chat.postEphemeral': ({ args }) => {
      const channel = stringArg(args, 'channel');
      const user = stringArg(args, 'user');
      if (!channel) return { ok: false, error: 'channel_not_found' };
      if (!user) return { ok: false, error: 'user_not_in_channel' };
      const ts = addEphemeral({
        channel,
        user,
        text: textOf(args),
        blocks: blocksOf(args),
        at: Date.now(),
        via: 'chat.postEphemeral',
        replaceOriginal: false,
        responseUrlId: null,
      });
      return { ok: true, message_ts: ts };
    },

    'chat.getPermalink': ({ args }) => {
      const channel = stringArg(args, 'channel');
      const messageTs = stringArg(args, 'message_ts');
      if (!channel) return { ok: false, error: 'channel_not_found' };
      if (!messageTs) return { ok: false, error: 'message_not_found' };
      const known = findMessage(channel, messageTs);
      let permalink = `https://${TEAM_DOMAIN}.slack.com/archives/${channel}/p${messageTs.replace('.', '')}`;
      if (known?.threadTs) permalink += `?thread_ts=${known.threadTs}&cid=${channel}`;
      return { ok: true, channel, permalink };
    },

    // A channel's messages (not thread replies), newest first, between oldest and latest.
    'conversations.history': ({ args }) => {
      const channel = stringArg(args, 'channel');
      if (!channel) return { ok: false, error: 'channel_not_found' };
      const inclusive = args.inclusive === true || args.inclusive === 'true';
      const oldest = Number(stringArg(args, 'oldest') ?? 0);
      const latest = Number(stringArg(args, 'latest') ?? Infinity);
      const inRange = (ts: number) => (inclusive ? ts >= oldest && ts <= latest : ts > oldest && ts < latest);
      const listed = (channelMessages.get(channel) ?? []).filter((m) => !m.deleted && inRange(Number(m.ts))).reverse();
      return paged(listed, args);
    },

    // A thread: its parent, then its replies oldest first.
    'conversations.replies': ({ args }) => {
      const channel = stringArg(args, 'channel');
      const ts = stringArg(args, 'ts');
      if (!channel) return { ok: false, error: 'channel_not_found' };
      const parent = ts === undefined ? undefined : findMessage(channel, ts);
      if (!parent || parent.deleted) return { ok: false, error: 'thread_not_found' };
      return paged(
        [parent, ...(repliesByThread.get(refKey(channel, parent.ts)) ?? [])].filter((m) => !m.deleted),
        args,
      );
    },

    'usergroups.users.list': ({ args }) => {
      const id = stringArg(args, 'usergroup');
      const users = id === undefined ? undefined : usergroups.get(id);
      if (!users) return { ok: false, error: 'no_such_subteam' };
      return { ok: true, users: [...users] };
    },

    ...(socketMode === null ? {} : { 'apps.connections.open': () => ({ ok: true, url: socketMode.url() }) }),
  };

  function parseArgs(req: IncomingMessage, url: URL, raw: string): { args: Json; bodyToken: string | null } {
    const args: Json = {};
    for (const [key, value] of url.searchParams) args[key] = value;
    const type = mediaType(req);
    if (raw.length > 0) {
      if (type === 'application/json') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          throw new BadRequest('invalid_json');
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new BadRequest('invalid_json');
        Object.assign(args, parsed);
      } else if (type === 'application/x-www-form-urlencoded' || type === '') {
        for (const [key, value] of new URLSearchParams(raw)) args[key] = value;
      } else {
        throw new BadRequest('invalid_form_data');
      }
    }
    // WebClient JSON-encodes non-primitive values in form bodies; Slack decodes these fields.
    for (const key of JSON_ENCODED_FIELDS) {
      const value = args[key];
      if (typeof value === 'string') {
        try {
          args[key] = JSON.parse(value);
        } catch {
          throw new BadRequest(key === 'blocks' ? 'invalid_blocks_format' : 'invalid_arguments');
        }
      }
    }
    // JSON bodies may not carry the token (Slack requires the header then); form / query bodies may.
    const bodyToken = type !== 'application/json' && typeof args.token === 'string' ? args.token : null;
    delete args.token;
    return { args, bodyToken };
  }

  function bearer(req: IncomingMessage): string | null {
    const header = req.headers.authorization;
    if (typeof header !== 'string') return null;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match ? match[1]! : null;
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
    const raw = await readBody(req);
    let args: Json = {};
    let token: string | null = bearer(req);
    let result: HandlerResult;
    try {
      const parsed = parseArgs(req, url, raw);
      args = parsed.args;
      token = token ?? parsed.bodyToken;
      result = callMethod(method, args, token);
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      result = { status: 200, body: { ok: false, error: error.code } };
    }
    calls.push({ method, args, token, at: Date.now(), response: result.body, status: result.status });
    send(res, result);
  }

  function callMethod(method: string, args: Json, token: string | null): HandlerResult {
    const failure = takeFailure(method);
    if (failure) return failureResult(failure);
    const handler = methods[method];
    if (!handler) return { status: 200, body: { ok: false, error: 'unknown_method', req_method: method } };
    if (token === null || token === '') return { status: 200, body: { ok: false, error: 'not_authed' } };
    const expected = APP_TOKEN_METHODS.has(method) ? options.appToken : options.botToken;
    const otherAppsBot = !APP_TOKEN_METHODS.has(method) && otherApps.some((app) => app.token === token);
    if (token !== expected && !otherAppsBot) {
      const otherKind = token === options.botToken || token === options.appToken;
      return { status: 200, body: { ok: false, error: otherKind ? 'not_allowed_token_type' : 'invalid_auth' } };
    }
    if (MESSAGE_METHODS.has(method)) {
      const problems = messageProblems(args);
      if (problems.length > 0) {
        return {
          status: 200,
          body: {
            ok: false,
            error: 'invalid_blocks',
            errors: problems,
            response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
          },
        };
      }
    }
    return { status: 200, body: handler({ args, token }) };
  }

  async function handleResponseUrl(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const raw = await readBody(req);
    const at = Date.now();
    let body: Json = {};
    let result: HandlerResult;
    const context = responseUrls.get(id);
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Json;
    } catch {
      result = { status: 400, body: { ok: false, error: 'invalid_payload' } };
      responseUrlPosts.push({ id, body: { raw }, at, status: result.status, response: result.body });
      send(res, result);
      return;
    }
    const failure = context ? takeFailure('response_url') : undefined;
    if (!context) {
      result = { status: 404, body: { ok: false, error: 'no_such_response_url' } };
    } else if (failure) {
      result =
        'status' in failure ? failureResult(failure) : { status: 400, body: { ok: false, error: failure.error } };
    } else {
      const deleting = body.delete_original === true || body.delete_original === 'true';
      // delete_original needs no content; anything else must be a valid message.
      const problems = deleting && body.text === undefined && body.blocks === undefined ? [] : messageProblems(body);
      if (problems.length > 0) {
        result = { status: 400, body: { ok: false, error: 'invalid_blocks', errors: problems } };
      } else {
        applyResponseUrlPost(id, context, body, deleting, at);
        result = { status: 200, body: { ok: true } };
      }
    }
    responseUrlPosts.push({ id, body, at, status: result.status, response: result.body });
    send(res, result);
  }

  function applyResponseUrlPost(
    id: string,
    context: ResponseUrlContext,
    body: Json,
    deleting: boolean,
    at: number,
  ): void {
    const replacing = body.replace_original === true || body.replace_original === 'true';
    const target =
      context.channel !== undefined && context.messageTs !== undefined
        ? findMessage(context.channel, context.messageTs)
        : undefined;
    const ephemeralTarget =
      context.ephemeralTs === undefined
        ? undefined
        : ephemeral.find((e) => e.ts === context.ephemeralTs && e.user === context.user);
    if (deleting) {
      if (target) {
        target.deleted = true;
        emit({ type: 'message', message: target });
      } else if (ephemeralTarget) {
        ephemeralTarget.deleted = true;
        emit({ type: 'ephemeral', ephemeral: ephemeralTarget });
      }
      return;
    }
    if (replacing && target) {
      updateMessage(target, { text: textOf(body), blocks: blocksOf(body) }, at);
      return;
    }
    if (replacing && ephemeralTarget) {
      Object.assign(ephemeralTarget, {
        text: textOf(body),
        blocks: blocksOf(body),
        replaceOriginal: true,
        responseUrlId: id,
      });
      emit({ type: 'ephemeral', ephemeral: ephemeralTarget });
      return;
    }
    if (body.response_type === 'in_channel' && !replacing) {
      addMessage({
        channel: context.channel ?? '',
        threadTs: typeof body.thread_ts === 'string' ? body.thread_ts : null,
        text: textOf(body),
        blocks: blocksOf(body),
        via: 'response_url',
        metadata: null,
      });
      return;
    }
    addEphemeral({
      channel: context.channel ?? '',
      user: context.user ?? '',
      text: textOf(body),
      blocks: blocksOf(body),
      at,
      via: 'response_url',
      replaceOriginal: replacing,
      responseUrlId: id,
    });
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const apiMatch = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    const hookMatch = /^\/hooks\/response\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    let work: Promise<void>;
    if (apiMatch && (req.method === 'POST' || req.method === 'GET')) {
      work = handleApi(req, res, url, apiMatch[1]!);
    } else if (hookMatch && req.method === 'POST') {
      work = handleResponseUrl(req, res, hookMatch[1]!);
    } else {
      send(res, { status: 404, body: { ok: false, error: 'not_found' } });
      return;
    }
    work.catch((error: unknown) => {
      if (!res.headersSent)
        send(res, { status: 500, body: { ok: false, error: 'internal_error', detail: String(error) } });
      else res.destroy();
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (socketMode === null) socket.destroy();
    else socketMode.handleUpgrade(req, socket, head);
  });

  const port = await listen(server);
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    apiUrl: `${baseUrl}/api/`,
    socketMode,
    calls,
    callsOf: (method) => calls.filter((c) => c.method === method),
    messages: () => [...posted],
    message: (channel, ts) => findMessage(channel, ts),
    messagePayload: (channel, ts) => {
      const message = findMessage(channel, ts);
      return message === undefined || message.deleted ? undefined : messageObject(message);
    },
    threadReplies: (channel, threadTs) => [...(repliesByThread.get(refKey(channel, threadTs)) ?? [])],
    ephemerals: (user) => ephemeral.filter((e) => user === undefined || e.user === user),
    responseUrl: (context = {}) => {
      urlCounter += 1;
      const id = `${urlCounter}-${randomBytes(6).toString('hex')}`;
      responseUrls.set(id, { ...context });
      return `${baseUrl}/hooks/response/${id}`;
    },
    responseUrlPosts,
    clearFailures: (method) => {
      failures.delete(method);
    },
    failNext: (method, failure) => {
      const queue = failures.get(method) ?? [];
      queue.push(failure);
      failures.set(method, queue);
    },
    setUsergroup: (id, users) => {
      usergroups.set(id, [...users]);
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        listeners.clear();
        socketMode?.close();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
