/**
 * The sandbox page: a web page that behaves like one Slack channel, on top of the Slack and HBR
 * stand-ins. The browser never talks to the bot directly; this server does what Slack's servers do:
 *
 *  - POST /api/command  a typed `/hbr-…` line → a signed slash-command request to the bot's
 *                       /slack/events, with a response_url from the Slack stand-in; the bot's ack
 *                       body is delivered through that response_url, as Slack shows an ack body.
 *  - POST /api/action   a button click (after its confirm dialog, in the page) → a signed
 *                       block_actions payload carrying the message as the stand-in holds it now.
 *  - GET  /events       server-sent events: a snapshot, then every message posted, edited or deleted,
 *                       every ephemeral for the user watching, and the instance panel when HBR changes.
 *  - GET  /api/state    the same snapshot as JSON; POST /api/instances changes a scripted instance.
 *
 * Ephemerals reach only the user they were meant for: the event stream is opened per user.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../src/config.js';
import { checkoutFile } from './checkout-files.js';
import {
  SANDBOX_BOT_USER_ID,
  SANDBOX_CHANNEL,
  SANDBOX_INSTANCES,
  SANDBOX_USERS,
  type SandboxUser,
  STATE_NOTES,
  sandboxUser,
} from './fixture.js';
import { type HbrStandIn, SCRIPTED_STATES, type ScriptedState } from './hbr-api-server.js';
import { listen } from './listen.js';
import { currentContent, type EphemeralMessage, type PostedMessage, type SlackStandIn } from './slack-api-server.js';
import { sendBlockAction, sendSlashCommand } from './slack-requests.js';

export interface SandboxPageOptions {
  /** 0 = any free port. */
  port: number;
  /** Default 127.0.0.1: the page drives the sandbox, so it is not offered to the network. */
  host?: string;
  slack: SlackStandIn;
  hbr: HbrStandIn;
  /** The bot's Slack request endpoint, e.g. http://127.0.0.1:41234/slack/events; undefined while it starts. */
  botEventsUrl: () => string | undefined;
  signingSecret: string;
  poll: Config['poll'];
  region: string;
  logger: Logger;
  /** The app's slash commands and their hints, for the composer (default: read from manifest.yml). */
  commands?: SlashCommandHint[];
}

export interface SandboxPage {
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface SlashCommandHint {
  command: string;
  description: string;
  usageHint: string;
}

/** Views sent to the page: what Slack's client would know about a message. */
export interface MessageView {
  channel: string;
  ts: string;
  threadTs: string | null;
  text: string;
  blocks: unknown[];
  at: number;
  editedAt: number | null;
  deleted: boolean;
}

export interface EphemeralView {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  at: number;
  deleted: boolean;
}

export interface InstanceView {
  id: string;
  name: string;
  state: ScriptedState;
  note: string;
  /** The HBR backup client on it, once an install completed. */
  client: { status: string; version: string } | null;
  /** The latest HBR task that held it. */
  task: { taskId: string; kind: string; progress: number; outcome: string | null } | null;
}

export interface InstancesView {
  region: string;
  poll: Config['poll'];
  states: Array<{ state: ScriptedState; note: string }>;
  instances: InstanceView[];
}

const PAGE_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/render.js': { file: 'render.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const MAX_BODY_BYTES = 64 * 1024;
const HEARTBEAT_MS = 15_000;
/** HBR changes at every call; the panel is pushed at most this often. */
const INSTANCES_PUSH_MS = 150;
const COMMAND_PATTERN = /^(\/[A-Za-z0-9_-]+)(?:\s+([\s\S]*))?$/;
/** Commands this app may have: forwarded even when the manifest does not list them (yet). */
const APP_COMMAND_PATTERN = /^\/hbr-[a-z0-9_-]+$/;
const INSTANCE_ID = /^i-[a-z0-9]{8,30}$/;
const FALLBACK_COMMANDS: SlashCommandHint[] = [
  {
    command: '/hbr-install',
    description: 'Request the HBR backup client on ECS instances',
    usageHint: 'i-bp1abc… i-bp1def… [--region cn-shanghai] | help',
  },
];

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function unquote(value: string): string {
  const trimmed = value.trim();
  return /^(["']).*\1$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
}

/** The slash commands manifest.yml declares, with their hints (a small reader for that one list). */
export function manifestCommands(manifest: string): SlashCommandHint[] {
  const hints: SlashCommandHint[] = [];
  for (const entry of manifest.split(/^\s*-\s*command:/m).slice(1)) {
    const command = /^\s*(\/\S+)/.exec(entry)?.[1];
    if (command === undefined) continue;
    const field = (name: string) => unquote(new RegExp(`^\\s*${name}:\\s*(.*)$`, 'm').exec(entry)?.[1] ?? '');
    hints.push({ command, description: field('description'), usageHint: field('usage_hint') });
  }
  return hints;
}

async function readManifestCommands(): Promise<SlashCommandHint[]> {
  try {
    const found = manifestCommands(await readFile(checkoutFile('manifest.yml'), 'utf8'));
    return found.length > 0 ? found : FALLBACK_COMMANDS;
  } catch {
    return FALLBACK_COMMANDS;
  }
}

function messageView(message: PostedMessage): MessageView {
  const { text, blocks } = currentContent(message);
  const last = message.updates[message.updates.length - 1];
  return {
    channel: message.channel,
    ts: message.ts,
    threadTs: message.threadTs,
    text,
    blocks,
    at: message.at,
    editedAt: last?.at ?? null,
    deleted: message.deleted,
  };
}

function ephemeralView(e: EphemeralMessage): EphemeralView {
  return { channel: e.channel, ts: e.ts, text: e.text, blocks: e.blocks, at: e.at, deleted: e.deleted };
}

function instancesView(hbr: HbrStandIn, region: string, poll: Config['poll']): InstancesView {
  const names = new Map(SANDBOX_INSTANCES.map((i) => [i.id, i.name]));
  const tasks = hbr.tasks();
  const clients = new Map(hbr.clients().map((c) => [c.instanceId, c]));
  // The scripted ones first, then any other ID someone requested.
  const ids = [
    ...new Set([
      ...SANDBOX_INSTANCES.map((i) => i.id),
      ...hbr.instances().map((i) => i.instanceId),
      ...tasks.flatMap((t) => t.instanceIds),
    ]),
  ];
  return {
    region,
    poll,
    states: SCRIPTED_STATES.map((state) => ({ state, note: STATE_NOTES[state] })),
    instances: ids.map((id) => {
      const state = hbr.script.stateOf(id);
      const client = clients.get(id);
      const task = tasks.filter((t) => t.instanceIds.includes(id)).pop();
      return {
        id,
        name: names.get(id) ?? '(unscripted)',
        state,
        note: STATE_NOTES[state],
        client: client === undefined ? null : { status: client.status, version: client.clientVersion },
        task:
          task === undefined
            ? null
            : { taskId: task.taskId, kind: task.kind, progress: task.progress, outcome: task.outcome },
      };
    }),
  };
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'too_large', 'request body too large'));
        return;
      }
      try {
        const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        resolve(parsed as Record<string, unknown>);
      } catch {
        reject(new HttpError(400, 'invalid_json', 'the body must be a JSON object'));
      }
    });
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') throw new HttpError(400, 'invalid_arguments', `${name} is required`);
  return value;
}

function knownUser(id: string | null): SandboxUser {
  const user = id === null ? undefined : sandboxUser(id);
  if (user === undefined) throw new HttpError(400, 'unknown_user', 'user must be one of the sandbox users');
  return user;
}

interface ButtonFound {
  blockId: string;
  actionId: string;
  value: string;
  text: string;
}

/** The button as the message holds it now (the page's copy may be stale), found by block and action id. */
export function findButton(blocks: unknown[], blockId: string, actionId: string): ButtonFound | undefined {
  for (const [index, raw] of blocks.entries()) {
    const block = raw as { block_id?: unknown; elements?: unknown; accessory?: unknown };
    const id = typeof block.block_id === 'string' ? block.block_id : `b${index}`;
    if (id !== blockId) continue;
    const elements = [
      ...(Array.isArray(block.elements) ? block.elements : []),
      ...(block.accessory === undefined ? [] : [block.accessory]),
    ];
    for (const rawElement of elements) {
      const element = rawElement as { type?: unknown; action_id?: unknown; value?: unknown; text?: { text?: unknown } };
      if (element.type === 'button' && element.action_id === actionId) {
        return {
          blockId: id,
          actionId,
          value: typeof element.value === 'string' ? element.value : '',
          text: typeof element.text?.text === 'string' ? element.text.text : actionId,
        };
      }
    }
  }
  return undefined;
}

interface Subscriber {
  res: ServerResponse;
  user: string;
}

export async function startSandboxPage(options: SandboxPageOptions): Promise<SandboxPage> {
  const { slack, hbr, logger } = options;
  const files = new Map<string, Buffer>();
  for (const [path, { file }] of Object.entries(PAGE_FILES))
    files.set(path, await readFile(checkoutFile(`sandbox/page/${file}`)));
  const commands = options.commands ?? (await readManifestCommands());
  const subscribers = new Set<Subscriber>();

  const instances = () => instancesView(hbr, options.region, options.poll);

  function snapshot(user: string) {
    return {
      workspace: 'HBR Sandbox',
      channel: SANDBOX_CHANNEL,
      bot: { id: SANDBOX_BOT_USER_ID, name: 'hbr-bot' },
      users: SANDBOX_USERS,
      user,
      commands,
      messages: slack.messages().map(messageView),
      ephemerals: slack.ephemerals(user).map(ephemeralView),
      instances: instances(),
    };
  }

  function push(subscriber: Subscriber, event: string, data: unknown): void {
    if (!subscriber.res.writableEnded) subscriber.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  const unsubscribeSlack = slack.subscribe((event) => {
    for (const subscriber of subscribers) {
      if (event.type === 'message') push(subscriber, 'message', messageView(event.message));
      else if (event.ephemeral.user === subscriber.user) push(subscriber, 'ephemeral', ephemeralView(event.ephemeral));
    }
  });
  let instancesTimer: NodeJS.Timeout | undefined;
  const unsubscribeHbr = hbr.subscribe(() => {
    instancesTimer ??= setTimeout(() => {
      instancesTimer = undefined;
      const view = instances();
      for (const subscriber of subscribers) push(subscriber, 'instances', view);
    }, INSTANCES_PUSH_MS);
  });
  const heartbeat = setInterval(() => {
    for (const subscriber of subscribers) if (!subscriber.res.writableEnded) subscriber.res.write(': ping\n\n');
  }, HEARTBEAT_MS);

  function openEvents(req: IncomingMessage, res: ServerResponse, url: URL): void {
    // An unknown user (a stale bookmark) watches as the first one; the snapshot says who.
    const user = sandboxUser(url.searchParams.get('user') ?? '') ?? SANDBOX_USERS[0]!;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    const subscriber: Subscriber = { res, user: user.id };
    res.write('retry: 1000\n\n');
    push(subscriber, 'snapshot', snapshot(user.id));
    subscribers.add(subscriber);
    req.on('close', () => subscribers.delete(subscriber));
  }

  function eventsUrl(): string {
    const url = options.botEventsUrl();
    if (url === undefined) throw new HttpError(503, 'starting', 'hbr-bot is still starting: try again in a moment');
    return url;
  }

  async function command(body: Record<string, unknown>): Promise<unknown> {
    const user = knownUser(stringField(body, 'user'));
    const line = stringField(body, 'text').trim();
    const match = COMMAND_PATTERN.exec(line);
    // Refusals Slack itself makes, before any app hears of it: answered as notes, not as HTTP errors.
    if (match === null) {
      return {
        ok: false,
        error: 'hbr-bot only listens to slash commands here: type one starting with /, e.g. /hbr-install i-…',
      };
    }
    const name = match[1]!.toLowerCase();
    if (!APP_COMMAND_PATTERN.test(name) && !commands.some((c) => c.command === name)) {
      return {
        ok: false,
        error: `${name} is not a valid command. In Slack, all messages that start with the "/" character are interpreted as commands.`,
      };
    }
    const responseUrl = slack.responseUrl({ channel: SANDBOX_CHANNEL.id, user: user.id });
    const answer = await sendSlashCommand(
      eventsUrl(),
      {
        command: name,
        text: match[2] ?? '',
        user_id: user.id,
        user_name: user.name,
        channel_id: SANDBOX_CHANNEL.id,
        channel_name: SANDBOX_CHANNEL.name,
        response_url: responseUrl,
      },
      { signingSecret: options.signingSecret },
    );
    if (answer.status !== 200) {
      // What Slack tells the user when the app does not acknowledge a command.
      return {
        ok: false,
        error: `${name} failed with the error "dispatch_failed" (hbr-bot answered HTTP ${answer.status})`,
      };
    }
    // An ack with a body is shown like a response_url post: ephemeral unless response_type says otherwise.
    const json = answer.json as Record<string, unknown> | null;
    if (json !== null && typeof json === 'object' && (json.text !== undefined || json.blocks !== undefined)) {
      const delivered = await fetch(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: answer.body,
      });
      if (!delivered.ok)
        return { ok: false, error: `Slack refused hbr-bot's answer to ${name}: ${await delivered.text()}` };
    }
    return { ok: true };
  }

  async function action(body: Record<string, unknown>): Promise<unknown> {
    const user = knownUser(stringField(body, 'user'));
    const ts = stringField(body, 'ts');
    const ephemeral = body.ephemeral === true;
    const channel = ephemeral ? SANDBOX_CHANNEL.id : stringField(body, 'channel');
    const source = ephemeral ? slack.ephemerals(user.id).find((e) => e.ts === ts) : slack.message(channel, ts);
    if (source === undefined || source.deleted) throw new HttpError(404, 'message_not_found', 'that message is gone');
    const blocks = ephemeral ? source.blocks : currentContent(source as PostedMessage).blocks;
    const button = findButton(blocks, stringField(body, 'blockId'), stringField(body, 'actionId'));
    if (button === undefined) throw new HttpError(409, 'button_gone', 'that button is no longer on the message');
    const answer = await sendBlockAction(
      eventsUrl(),
      {
        action_id: button.actionId,
        block_id: button.blockId,
        value: button.value,
        text: button.text,
        user_id: user.id,
        user_name: user.name,
        channel_id: channel,
        message_ts: ts,
        is_ephemeral: ephemeral,
        ...(ephemeral ? {} : { message: slack.messagePayload(channel, ts) }),
        response_url: slack.responseUrl(
          ephemeral ? { channel, user: user.id, ephemeralTs: ts } : { channel, user: user.id, messageTs: ts },
        ),
      },
      { signingSecret: options.signingSecret },
    );
    return answer.status === 200
      ? { ok: true }
      : { ok: false, error: `hbr-bot did not take the click (HTTP ${answer.status})` };
  }

  function setInstance(body: Record<string, unknown>): unknown {
    const id = stringField(body, 'instanceId');
    const state = stringField(body, 'state') as ScriptedState;
    if (!INSTANCE_ID.test(id)) throw new HttpError(400, 'invalid_instance', 'not an ECS instance ID');
    if (!SCRIPTED_STATES.includes(state))
      throw new HttpError(400, 'invalid_state', `state must be one of ${SCRIPTED_STATES.join(', ')}`);
    hbr.setInstance(id, state);
    return instances();
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const page = PAGE_FILES[url.pathname];
    if (req.method === 'GET' && page !== undefined) {
      const content = files.get(url.pathname)!;
      res.writeHead(200, {
        'content-type': page.type,
        'content-length': content.length,
        'cache-control': 'no-cache',
        ...SECURITY_HEADERS,
      });
      res.end(content);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/events') return openEvents(req, res, url);
    if (req.method === 'GET' && url.pathname === '/api/state')
      return sendJson(res, 200, snapshot(knownUser(url.searchParams.get('user')).id));
    if (req.method === 'GET' && url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    const handlers: Record<string, (body: Record<string, unknown>) => unknown> = {
      '/api/command': command,
      '/api/action': action,
      '/api/instances': setInstance,
    };
    const handler = handlers[url.pathname];
    if (req.method !== 'POST' || handler === undefined) throw new HttpError(404, 'not_found', 'no such page');
    // Only this page may drive the sandbox: a cross-site form cannot send JSON, nor forge Origin.
    const origin = req.headers.origin;
    if (origin !== undefined && new URL(origin).host !== req.headers.host)
      throw new HttpError(403, 'cross_origin', 'cross-origin request refused');
    if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
      throw new HttpError(415, 'json_only', 'send application/json');
    sendJson(res, 200, await handler(await readJson(req)));
  }

  const server: Server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        sendJson(res, error.status, { ok: false, error: error.code, message: error.message });
        return;
      }
      logger.error({ err: error, path: req.url }, 'sandbox page request failed');
      sendJson(res, 500, {
        ok: false,
        error: 'internal_error',
        message: error instanceof Error ? error.message : String(error),
      });
    });
  });

  const port = await listen(server, options.port, options.host ?? '127.0.0.1');

  return {
    port,
    url: `http://localhost:${port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        unsubscribeSlack();
        unsubscribeHbr();
        clearInterval(heartbeat);
        clearTimeout(instancesTimer);
        for (const subscriber of subscribers) subscriber.res.end();
        subscribers.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
