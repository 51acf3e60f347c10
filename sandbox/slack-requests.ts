/**
 * Sends requests to the bot's HTTP endpoint the way Slack does: form-encoded bodies signed with the app's
 * signing secret (X-Slack-Signature = 'v0=' + hex HMAC-SHA256 of `v0:${timestamp}:${rawBody}`, plus
 * X-Slack-Request-Timestamp). Bolt's HTTPReceiver answers 401 when the signature does not match or the
 * timestamp is more than 5 minutes old.
 *
 * Note: Bolt only parses a form body when Content-Type is exactly 'application/x-www-form-urlencoded'
 * (no charset parameter), which is what Slack sends and what these helpers send.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

export function slackSignature(signingSecret: string, timestamp: number, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

export interface SendOptions {
  signingSecret: string;
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  /** Overrides the computed X-Slack-Signature (to forge one). */
  signature?: string;
  /** Extra / overriding headers. */
  headers?: Record<string, string>;
  /** Sets X-Slack-Retry-Num and X-Slack-Retry-Reason ('http_timeout'). */
  retryNum?: number;
}

export interface BotResponse {
  status: number;
  body: string;
  json: unknown | null;
  latencyMs: number;
}

export interface SlashCommandFields {
  /** Default '/hbr-install'. */
  command?: string;
  text: string;
  user_id: string;
  user_name?: string;
  channel_id: string;
  channel_name?: string;
  team_id?: string;
  response_url: string;
  trigger_id?: string;
}

export interface BlockActionFields {
  action_id: string;
  value: string;
  block_id?: string;
  user_id: string;
  channel_id: string;
  message_ts: string;
  response_url: string;
  team_id?: string;
  /** Overrides the `message` object of the payload (e.g. the stand-in's current copy of that message). */
  message?: Record<string, unknown>;
  /** Button label reported in the action (default: the action_id). */
  text?: string;
  /** Default: the user id in lower case. */
  user_name?: string;
  /** The button sat on an ephemeral message: Slack then sends no `message` object. */
  is_ephemeral?: boolean;
}

const DEFAULT_TEAM_ID = 'T0HBRTEST1';
const TEAM_DOMAIN = 'hbr-test';
export const API_APP_ID = 'A0HBRBOT01';
/** The deprecated verification token Slack still puts in payloads; Bolt ignores it. */
const VERIFICATION_TOKEN = 'hbr-test-verification-token';

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function triggerId(): string {
  return `${Date.now()}.${Math.floor(Math.random() * 1e12)}.${randomBytes(16).toString('hex')}`;
}

function actionTs(): string {
  const micros = Math.round(performance.timeOrigin * 1000 + performance.now() * 1000);
  return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
}

/**
 * The headers Slack sends with a request: content type, timestamp and the v0 signature over both.
 * @public The bench loads it by path (bench/lib/load.ts), where knip cannot follow.
 */
export function slackRequestHeaders(
  signingSecret: string,
  rawBody: string,
  contentType: string,
  timestamp: number = nowSeconds(),
): Record<string, string> {
  return {
    'Content-Type': contentType,
    'X-Slack-Request-Timestamp': String(timestamp),
    'X-Slack-Signature': slackSignature(signingSecret, timestamp, rawBody),
  };
}

export async function sendSignedRaw(
  botUrl: string,
  rawBody: string,
  contentType: string,
  options: SendOptions,
): Promise<BotResponse> {
  const headers: Record<string, string> = {
    ...slackRequestHeaders(options.signingSecret, rawBody, contentType, options.timestamp),
    'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
  };
  if (options.signature !== undefined) headers['X-Slack-Signature'] = options.signature;
  if (options.retryNum !== undefined) {
    headers['X-Slack-Retry-Num'] = String(options.retryNum);
    headers['X-Slack-Retry-Reason'] = 'http_timeout';
  }
  Object.assign(headers, options.headers);
  const started = performance.now();
  const response = await fetch(botUrl, { method: 'POST', headers, body: rawBody, redirect: 'manual' });
  const body = await response.text();
  const latencyMs = performance.now() - started;
  let json: unknown | null = null;
  if (body.length > 0) {
    try {
      json = JSON.parse(body);
    } catch {
      json = null;
    }
  }
  return { status: response.status, body, json, latencyMs };
}

/** The fields Slack sends for a slash command: form-encoded over HTTP, a JSON payload in Socket Mode. */
export function slashCommandPayload(fields: SlashCommandFields): Record<string, string> {
  const teamId = fields.team_id ?? DEFAULT_TEAM_ID;
  return {
    token: VERIFICATION_TOKEN,
    team_id: teamId,
    team_domain: TEAM_DOMAIN,
    channel_id: fields.channel_id,
    channel_name: fields.channel_name ?? 'hbr-ops',
    user_id: fields.user_id,
    user_name: fields.user_name ?? fields.user_id.toLowerCase(),
    command: fields.command ?? '/hbr-install',
    text: fields.text,
    api_app_id: API_APP_ID,
    is_enterprise_install: 'false',
    response_url: fields.response_url,
    trigger_id: fields.trigger_id ?? triggerId(),
  };
}

/** The form body Slack posts for a slash command. */
export function slashCommandBody(fields: SlashCommandFields): string {
  return new URLSearchParams(slashCommandPayload(fields)).toString();
}

export function sendSlashCommand(
  botUrl: string,
  fields: SlashCommandFields,
  options: SendOptions,
): Promise<BotResponse> {
  return sendSignedRaw(botUrl, slashCommandBody(fields), FORM_CONTENT_TYPE, options);
}

/** A block_actions payload for one button click, shaped like the ones Slack sends. */
export function blockActionPayload(action: BlockActionFields): Record<string, unknown> {
  const teamId = action.team_id ?? DEFAULT_TEAM_ID;
  const blockId = action.block_id ?? 'actions';
  const userName = action.user_name ?? action.user_id.toLowerCase();
  const ephemeral = action.is_ephemeral === true;
  const payload: Record<string, unknown> = {
    type: 'block_actions',
    user: { id: action.user_id, username: userName, name: userName, team_id: teamId },
    api_app_id: API_APP_ID,
    token: VERIFICATION_TOKEN,
    container: {
      type: 'message',
      message_ts: action.message_ts,
      channel_id: action.channel_id,
      is_ephemeral: ephemeral,
    },
    trigger_id: triggerId(),
    team: { id: teamId, domain: TEAM_DOMAIN },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: action.channel_id, name: 'hbr-ops' },
    message: action.message ?? { type: 'message', ts: action.message_ts, text: '', blocks: [] },
    state: { values: {} },
    response_url: action.response_url,
    actions: [
      {
        type: 'button',
        action_id: action.action_id,
        block_id: blockId,
        text: { type: 'plain_text', text: action.text ?? action.action_id, emoji: true },
        value: action.value,
        action_ts: actionTs(),
      },
    ],
  };
  if (ephemeral) delete payload.message;
  return payload;
}

export function sendBlockAction(botUrl: string, action: BlockActionFields, options: SendOptions): Promise<BotResponse> {
  const rawBody = new URLSearchParams({ payload: JSON.stringify(blockActionPayload(action)) }).toString();
  return sendSignedRaw(botUrl, rawBody, FORM_CONTENT_TYPE, options);
}
