/**
 * The environment, read once and validated with zod. Every problem is reported in one message at
 * start, and no secret value ever appears in that message or in the redacted view used for logs.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { HBR_REGIONS, isHbrRegion } from './domain/regions.js';
import { StartupError } from './startup-error.js';

export interface Config {
  slack: {
    botToken: string;
    /** Required in HTTP mode; unused in Socket Mode. */
    signingSecret: string | null;
    /** Socket Mode when set. */
    appToken: string | null;
    apiUrl: string;
    port: number;
  };
  /** Where Redis is: one node, a Sentinel set or a Cluster (redis/connections.ts builds every connection from it). */
  redis: RedisTarget;
  queuePrefix: string;
  hbr: {
    defaultRegion: string;
    /** Full URL overriding every regional endpoint (tests, sandbox, private endpoints). */
    endpoint: string | null;
  };
  /** Pre-flight: look the instances up in ECS after posting a request and show the approver what it found. */
  preflight: {
    /** HBR_PREFLIGHT (default true). */
    enabled: boolean;
    /** ECS_ENDPOINT: full URL overriding every regional ECS endpoint (https://ecs.<region>.aliyuncs.com). */
    ecsEndpoint: string | null;
    /** HBR_PREFLIGHT_TAGS: the ECS tag keys shown with each instance (default none). */
    tagKeys: string[];
  };
  access: {
    approvers: string[];
    /** Who may request: `*` (anyone in an allowed channel) or user and user group IDs. */
    requesters: AccessList;
    /** Where the commands work: `*` (any channel) or channel IDs. */
    allowedChannels: AccessList;
    allowSelfApproval: boolean;
    /** When set, every request is posted here instead of the channel it was typed in. */
    approvalChannel: string | null;
    /** How long a process trusts a user group's members it looked up (0: asks Slack every time). */
    userGroupCacheMs: number;
  };
  approvalTtlMs: number;
  maxInstances: number;
  poll: {
    firstDelayMs: number;
    intervalMs: number;
    taskTimeoutMs: number;
  };
  /** How often the sweep repairs what jobs gave up on (see jobs/sweep.ts). */
  sweepIntervalMs: number;
  /** Progress edits a minute, all processes together (slack/edit-budget.ts). */
  progressEditsPerMinute: number;
  /** HBR and ECS calls each user's commands may cost a minute, all processes together. */
  commandsPerUserPerMinute: number;
  logLevel: string;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
  metricsToken: string | null;
  /** OPS_PORT / OPS_HOST: /readyz and /metrics on a listener of their own; port null: on PORT. */
  ops: { port: number | null; host: string | null };
  /** Most audit events kept in the Redis stream (older ones are trimmed). */
  auditMaxLength: number;
}

/** A Redis node or sentinel as `host:port`. */
export interface RedisNode {
  host: string;
  port: number;
}

/**
 * The Redis the bot uses, by topology. The data nodes' credentials and TLS are the same in every
 * mode; in single-node mode the URL's own credentials and REDIS_USERNAME/REDIS_PASSWORD are merged
 * (`url` keeps neither, so it can be logged).
 */
export type RedisTarget =
  | { mode: 'single'; url: string; username: string | null; password: string | null }
  | {
      mode: 'sentinel';
      sentinels: RedisNode[];
      /** The name the sentinels monitor the primary under (REDIS_SENTINEL_NAME). */
      name: string;
      sentinelPassword: string | null;
      username: string | null;
      password: string | null;
      /** TLS to the data nodes and to the sentinels. */
      tls: boolean;
    }
  | { mode: 'cluster'; nodes: RedisNode[]; username: string | null; password: string | null; tls: boolean };

/** `*`: anyone, or any channel (an explicit choice: an empty list is a configuration error); otherwise these IDs. */
export type AccessList = '*' | string[];

export class ConfigError extends StartupError {
  override name = 'ConfigError';

  constructor(readonly problems: string[]) {
    super(
      `hbr-bot cannot start: the configuration has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

const SLACK_PRINCIPAL = /^[UWS][A-Z0-9]{2,}$/;
const SLACK_CHANNEL = /^[CGD][A-Z0-9]{2,}$/;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const SANDBOX_FLAG_MESSAGE = 'must be 1, true, 0 or false';

/** Letters, digits, dots, dashes, underscores, and at most one hash tag `{…}` (what Redis Cluster hashes). */
const QUEUE_PREFIX = /^[A-Za-z0-9_.-]*(?:\{[A-Za-z0-9_.-]+\})?[A-Za-z0-9_.-]*$/;
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Whether a key prefix carries a Redis Cluster hash tag, so every key under it hashes to one slot. */
function hasHashTag(prefix: string): boolean {
  return /\{[^{}]+\}/.test(prefix);
}

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

function commaList(value: string | undefined): string[] {
  return [
    ...new Set(
      (value ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    ),
  ];
}

/** `ids` when every one matches `pattern`; otherwise an issue naming those that do not. */
function matching(ids: string[], pattern: RegExp, what: string, ctx: z.RefinementCtx): string[] {
  const bad = ids.filter((id) => !pattern.test(id));
  if (bad.length === 0) return ids;
  ctx.addIssue({
    code: 'custom',
    message: `${bad.map((id) => JSON.stringify(id)).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not ${what}`,
  });
  return z.NEVER;
}

function idList(pattern: RegExp, what: string) {
  return optionalText.transform((value, ctx) => matching(commaList(value), pattern, what, ctx));
}

/**
 * Like idList, or `*` alone for everyone. Who may ask, and where, is a choice to make, not a
 * default: unset or empty is refused with `required`, which says how to open it up on purpose.
 */
function accessList(pattern: RegExp, what: string, required: string) {
  return optionalText.transform((value, ctx): AccessList => {
    const ids = commaList(value);
    if (ids.length === 0) {
      ctx.addIssue({ code: 'custom', message: `required: ${required}` });
      return z.NEVER;
    }
    if (!ids.includes('*')) return matching(ids, pattern, `${what} (or * alone)`, ctx);
    if (ids.length === 1) return '*';
    ctx.addIssue({ code: 'custom', message: '* stands alone: it already means everyone; drop it or the IDs' });
    return z.NEVER;
  });
}

function tcpPort<D extends number | null>(defaultValue: D) {
  return optionalText.transform((value, ctx): number | D => {
    if (value === undefined) return defaultValue;
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `must be a TCP port (0-65535), got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return port;
  });
}

/** A whole number from `least` up (1: positive, 0: zero allowed), with a default. */
function wholeNumber(defaultValue: number, least: 0 | 1 = 1) {
  return optionalText.transform((value, ctx) => {
    if (value === undefined) return defaultValue;
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed) || parsed < least) {
      const what = least === 1 ? 'a positive whole number' : 'a whole number, 0 or more';
      ctx.addIssue({ code: 'custom', message: `must be ${what}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return parsed;
  });
}

/** 127.0.0.0/8, ::1 or localhost: a stand-in or proxy on this host, which nothing on the network sees. */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * An https URL, or http to a loopback host: the Slack token and Alibaba's request signatures never
 * travel in clear text over a network. Problems quote the URL without its user info.
 */
function url(defaultValue: string | null) {
  return optionalText.transform((value, ctx) => {
    if (value === undefined) return defaultValue;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an https:// URL; the value given is not a URL' });
      return z.NEVER;
    }
    if (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopback(parsed.hostname))) return value;
    ctx.addIssue({
      code: 'custom',
      message: `must be an https:// URL (http:// only to a loopback host such as 127.0.0.1, so no token or signature travels in clear text), got ${JSON.stringify(redactUrl(value))}`,
    });
    return z.NEVER;
  });
}

/** `true` or `false`, with a default (`undefined`: unset stays unset, for rules across variables). */
function flag<T extends boolean | undefined>(defaultValue: T) {
  return optionalText.transform((value, ctx): boolean | T => {
    if (value === undefined) return defaultValue;
    if (value === 'true' || value === 'false') return value === 'true';
    ctx.addIssue({ code: 'custom', message: 'must be true or false' });
    return z.NEVER;
  });
}

/** `host:port,host:port,…` (an IPv6 host in brackets: `[::1]:6379`). */
function nodeList(what: string) {
  return optionalText.transform((value, ctx): RedisNode[] | undefined => {
    if (value === undefined) return undefined;
    const entries = value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    const nodes: RedisNode[] = [];
    const bad: string[] = [];
    for (const entry of entries) {
      const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_.-]+)):(\d{1,5})$/.exec(entry);
      const port = Number(match?.[3]);
      if (match === null || port < 1 || port > 65535) bad.push(entry);
      else nodes.push({ host: match[1] ?? match[2] ?? '', port });
    }
    if (bad.length > 0 || nodes.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a comma list of ${what} as host:port${bad.length > 0 ? `; ${bad.map((entry) => JSON.stringify(entry)).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not` : ''}`,
      });
      return z.NEVER;
    }
    return nodes;
  });
}

// Secrets: messages describe the expected form and never echo the value.
function secret(prefix: string | null, what: string) {
  return optionalText.refine((value) => value === undefined || prefix === null || value.startsWith(prefix), {
    message: `must be ${what}${prefix === null ? '' : ` (starting with ${prefix})`}; the value given does not look like one`,
  });
}

const environmentSchema = z.object({
  SLACK_BOT_TOKEN: secret('xoxb-', 'a Slack bot token'),
  SLACK_SIGNING_SECRET: secret(null, 'the Slack signing secret'),
  SLACK_APP_TOKEN: secret('xapp-', 'a Slack app-level token'),
  SLACK_API_URL: url('https://slack.com/api/'),
  PORT: tcpPort(3000),
  OPS_PORT: tcpPort(null),
  OPS_HOST: optionalText.refine((value) => value === undefined || /^[A-Za-z0-9.:-]{1,253}$/.test(value), {
    message: 'must be a host name or IP address to listen on, e.g. 0.0.0.0 or 10.0.0.5',
  }),
  REDIS_URL: optionalText.refine((value) => value === undefined || validRedisUrl(value), {
    message: 'must be a redis:// or rediss:// URL (redis://[user:password@]host:port[/db])',
  }),
  REDIS_SENTINELS: nodeList('sentinels'),
  REDIS_SENTINEL_NAME: optionalText.refine((value) => value === undefined || /^[A-Za-z0-9_.-]{1,128}$/.test(value), {
    message: 'must be the name the sentinels monitor the primary under (letters, digits, dots, dashes, underscores)',
  }),
  REDIS_SENTINEL_PASSWORD: secret(null, 'the password of the sentinels'),
  REDIS_CLUSTER_NODES: nodeList('cluster nodes'),
  REDIS_USERNAME: optionalText.refine((value) => value === undefined || /^\S{1,256}$/.test(value), {
    message: 'must be a Redis ACL user name (no spaces)',
  }),
  REDIS_PASSWORD: secret(null, 'the Redis password'),
  REDIS_TLS: flag(undefined),
  HBR_QUEUE_PREFIX: optionalText
    .refine((value) => value === undefined || (value.length <= 64 && QUEUE_PREFIX.test(value)), {
      message:
        'must be 1-64 letters, digits, dots, dashes or underscores, with at most one hash tag in braces (e.g. hbr or {hbr})',
    })
    .transform((value) => value ?? 'hbr'),
  HBR_REGION: optionalText
    .refine((value) => value === undefined || isHbrRegion(value), {
      message: `must be an HBR region (${HBR_REGIONS.slice(0, 6).join(', ')}, …)`,
    })
    .transform((value) => value ?? 'cn-hangzhou'),
  HBR_ENDPOINT: url(null),
  ECS_ENDPOINT: url(null),
  HBR_PREFLIGHT: flag(true),
  HBR_PREFLIGHT_TAGS: optionalText.transform(commaList),
  HBR_APPROVERS: idList(SLACK_PRINCIPAL, 'a Slack user ID (U…/W…) or user group ID (S…)'),
  HBR_REQUESTERS: accessList(
    SLACK_PRINCIPAL,
    'a Slack user ID (U…/W…) or user group ID (S…)',
    'comma-separated Slack user IDs (U…/W…) or user group IDs (S…) who may request, or * to let anyone in an allowed channel request',
  ),
  HBR_ALLOWED_CHANNELS: accessList(
    SLACK_CHANNEL,
    'a Slack channel ID (C…/G…/D…)',
    'comma-separated Slack channel IDs (C…/G…) where the commands work, or * for any channel the bot is in',
  ),
  HBR_APPROVAL_CHANNEL: optionalText.refine((value) => value === undefined || SLACK_CHANNEL.test(value), {
    message: 'must be a Slack channel ID (C…/G…)',
  }),
  HBR_ALLOW_SELF_APPROVAL: flag(false),
  HBR_USER_GROUP_CACHE_MS: wholeNumber(60_000, 0),
  HBR_APPROVAL_TTL_MS: wholeNumber(86_400_000),
  HBR_MAX_INSTANCES: wholeNumber(200),
  HBR_POLL_FIRST_DELAY_MS: wholeNumber(30_000),
  HBR_POLL_INTERVAL_MS: wholeNumber(30_000),
  HBR_TASK_TIMEOUT_MS: wholeNumber(900_000),
  HBR_SWEEP_INTERVAL_MS: wholeNumber(300_000),
  HBR_PROGRESS_EDITS_PER_MINUTE: wholeNumber(40),
  HBR_COMMANDS_PER_USER_PER_MINUTE: wholeNumber(20),
  METRICS_TOKEN: secret(null, 'a bearer token for /metrics'),
  HBR_AUDIT_MAX_LENGTH: wholeNumber(10_000),
  LOG_LEVEL: optionalText
    .refine((value) => value === undefined || (LOG_LEVELS as readonly string[]).includes(value), {
      message: `must be one of ${LOG_LEVELS.join(', ')}`,
    })
    .transform((value) => value ?? 'info'),
  HBR_SANDBOX: optionalText.refine((value) => value === undefined || sandboxFlag(value) !== null, {
    message: SANDBOX_FLAG_MESSAGE,
  }),
});

type ConfigVariable = keyof typeof environmentSchema.shape;

/** Every variable the bot reads itself (credentials are read by the Alibaba default chain). */
export const CONFIG_VARIABLES = Object.keys(environmentSchema.shape) as ConfigVariable[];

interface VariableReference {
  meaning: string;
  /** The default as the table shows it, for variables whose default is not a value the schema fills in. */
  defaultText?: string;
}

/**
 * What each variable means, for the configuration table (`npm run docs` writes it into the README).
 * Keyed by the schema, so a variable cannot be added without a line here; defaults the schema fills in
 * are read from it, not written twice.
 */
export const CONFIG_REFERENCE: Record<ConfigVariable, VariableReference> = {
  SLACK_BOT_TOKEN: { meaning: 'bot token `xoxb-…`', defaultText: 'required' },
  SLACK_SIGNING_SECRET: { meaning: 'verifies requests in HTTP mode', defaultText: 'required in HTTP mode' },
  SLACK_APP_TOKEN: { meaning: '`xapp-…`; when set, Socket Mode instead of HTTP', defaultText: 'unset' },
  HBR_SANDBOX: {
    meaning:
      '`1`: run the sandbox (Slack and HBR stand-ins, page on `PORT`) whatever else is set (not available in the production image); `0`: never',
    defaultText: 'sandbox when no `SLACK_*` is set and `NODE_ENV` is not `production`',
  },
  SLACK_API_URL: {
    meaning: 'base URL of the Slack Web API: `https://`, or `http://` to a loopback host (a local proxy or stand-in)',
  },
  PORT: {
    meaning:
      'HTTP port; Slack requests at `POST /slack/events`, liveness at `GET /healthz`; also `GET /readyz`, and `GET /metrics` behind `METRICS_TOKEN`, unless `OPS_PORT` is set',
  },
  OPS_PORT: {
    meaning:
      'a port of its own for `GET /readyz` and `GET /metrics` (not reachable from where Slack calls, e.g. kept inside the cluster); they then leave `PORT`',
    defaultText: 'unset: on `PORT`',
  },
  OPS_HOST: { meaning: 'the interface `OPS_PORT` listens on', defaultText: 'every interface' },
  REDIS_URL: {
    meaning:
      'one Redis node for BullMQ and request state, `redis://` or `rediss://` (TLS), user and password allowed; not with `REDIS_SENTINELS` or `REDIS_CLUSTER_NODES` ([topologies](docs/deployment.md#redis))',
    defaultText: `\`${DEFAULT_REDIS_URL}\` when neither \`REDIS_SENTINELS\` nor \`REDIS_CLUSTER_NODES\` is set`,
  },
  REDIS_SENTINELS: {
    meaning: 'Redis Sentinel: the sentinels as `host:port,host:port,…`; the bot follows the primary they name',
    defaultText: 'unset',
  },
  REDIS_SENTINEL_NAME: {
    meaning: 'the name the sentinels monitor the primary under (`sentinel monitor <name> …`)',
    defaultText: 'required with `REDIS_SENTINELS`',
  },
  REDIS_SENTINEL_PASSWORD: {
    meaning: "the sentinels' own password (`requirepass` of the sentinels)",
    defaultText: 'unset',
  },
  REDIS_CLUSTER_NODES: {
    meaning:
      'Redis Cluster: some of its nodes as `host:port,…` (the rest are discovered); requires a hash tag in `HBR_QUEUE_PREFIX`',
    defaultText: 'unset',
  },
  REDIS_USERNAME: {
    meaning: 'ACL user of the Redis data nodes (Sentinel, Cluster; or to complete a `REDIS_URL` that has none)',
    defaultText: 'unset (`default`)',
  },
  REDIS_PASSWORD: {
    meaning:
      "password of the Redis data nodes (Sentinel, Cluster; or to complete a `REDIS_URL` that has none; docker-compose's Redis `requirepass`)",
    defaultText: 'unset',
  },
  REDIS_TLS: {
    meaning:
      '`true`: TLS to the data nodes and the sentinels (Sentinel, Cluster); with `REDIS_URL` the scheme says it (`rediss://`)',
    defaultText: '`false`',
  },
  HBR_QUEUE_PREFIX: {
    meaning:
      'BullMQ/Redis key prefix (isolates deployments and tests); may carry one hash tag, e.g. `{hbr}`, which Redis Cluster requires',
  },
  HBR_REGION: { meaning: 'default region for requests' },
  HBR_ENDPOINT: {
    meaning:
      'full URL overriding the regional endpoint: `https://`, or `http://` to a loopback host, e.g. `http://127.0.0.1:9100`',
    defaultText: '`https://hbr.<region>.aliyuncs.com`',
  },
  HBR_PREFLIGHT: { meaning: '`false` turns the pre-flight off: no ECS look-up, the request message lists bare IDs' },
  HBR_PREFLIGHT_TAGS: {
    meaning:
      'comma list of ECS tag keys the pre-flight shows with each instance (`key=value`, as literal text); tags with other keys are never stored or shown, since anyone who may tag an instance chooses their text',
    defaultText: 'none',
  },
  ECS_ENDPOINT: {
    meaning:
      'full URL overriding the regional ECS endpoint of the pre-flight look-ups (`https://`, or `http://` to a loopback host)',
    defaultText: '`https://ecs.<region>.aliyuncs.com`',
  },
  HBR_APPROVERS: {
    meaning: 'comma list of Slack user IDs (`U…`/`W…`) and user group IDs (`S…`) who may approve',
    defaultText: 'required',
  },
  HBR_REQUESTERS: {
    meaning:
      'who may request and look clients and requests up (same forms), or `*` for anyone in an allowed channel; unset or empty refuses to start',
    defaultText: 'required',
  },
  HBR_ALLOWED_CHANNELS: {
    meaning:
      'comma list of channel IDs where the commands work, or `*` for any channel; unset or empty refuses to start',
    defaultText: 'required',
  },
  HBR_APPROVAL_CHANNEL: {
    meaning: 'post every request in this channel instead; the requester gets its permalink',
    defaultText: 'unset',
  },
  HBR_ALLOW_SELF_APPROVAL: { meaning: '`true` lets a requester approve their own request' },
  HBR_USER_GROUP_CACHE_MS: {
    meaning:
      'how long each process trusts the members of an approver or requester user group it looked up (`usergroups.users.list`): someone removed from a group can still approve for up to this long; `0` asks Slack on every click',
  },
  HBR_APPROVAL_TTL_MS: { meaning: 'a request not decided by then expires' },
  HBR_MAX_INSTANCES: { meaning: 'most instances in one request' },
  HBR_POLL_FIRST_DELAY_MS: { meaning: 'first DescribeTask after the install call' },
  HBR_POLL_INTERVAL_MS: { meaning: 'between later polls' },
  HBR_TASK_TIMEOUT_MS: { meaning: 'give up polling and report a timeout' },
  HBR_PROGRESS_EDITS_PER_MINUTE: {
    meaning:
      'progress-reply edits a minute, all processes together: `chat.update` is a Tier 3 method (~50/min per workspace), and a 429 pauses every Slack call of the bot; ' +
      "a skipped edit is made by a later poll (at a request's end the final reply says it all); decisions, the request message's final state and the final reply are never skipped",
  },
  HBR_COMMANDS_PER_USER_PER_MINUTE: {
    meaning:
      "each person's budget a minute, all processes together, so nobody uses up the account's HBR and ECS API quota: a command costs the HBR and ECS calls it makes the bot make, at least 1 (`/hbr-status` with 200 IDs: its 3 DescribeBackupClients pages; a request: its pre-flight look-ups); past it the bot answers when to try again",
  },
  HBR_SWEEP_INTERVAL_MS: {
    meaning:
      'how often the sweep revives jobs that gave up and posts final replies they could not (one process at a time)',
  },
  LOG_LEVEL: { meaning: 'pino level: `fatal` … `trace`, `silent`' },
  METRICS_TOKEN: {
    meaning:
      'when set, `GET /metrics` requires `Authorization: Bearer <token>`; without it and without `OPS_PORT`, `/metrics` is not served',
    defaultText: 'unset',
  },
  HBR_AUDIT_MAX_LENGTH: { meaning: 'most events kept in the audit stream' },
};

/** Variables read by others than the bot's schema, shown in the same table. */
export const EXTERNAL_VARIABLES: readonly { name: string; meaning: string; defaultText: string }[] = [
  {
    name: '`ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET` / `_SECURITY_TOKEN` and the rest of the default chain',
    meaning: 'credentials, read by `@alicloud/credentials`',
    defaultText: 'default chain',
  },
];

/** The default of every variable the schema fills one in for, as a string (from parsing an empty environment). */
export function schemaDefaults(): Partial<Record<ConfigVariable, string>> {
  const defaults: Partial<Record<ConfigVariable, string>> = {};
  for (const name of CONFIG_VARIABLES) {
    const parsed = environmentSchema.shape[name].safeParse(undefined);
    if (
      parsed.success &&
      parsed.data !== undefined &&
      parsed.data !== null &&
      !(Array.isArray(parsed.data) && parsed.data.length === 0)
    )
      defaults[name] = String(parsed.data);
  }
  return defaults;
}

export function isBlank(value: string | undefined): boolean {
  return value === undefined || value.trim() === '';
}

/** Rules across variables, checked on the raw environment so they are reported alongside field errors. */
function missingVariables(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  if (isBlank(env.SLACK_BOT_TOKEN))
    problems.push('SLACK_BOT_TOKEN: required: the bot token (xoxb-…) from "OAuth & Permissions"');
  if (isBlank(env.SLACK_APP_TOKEN) && isBlank(env.SLACK_SIGNING_SECRET)) {
    problems.push(
      'SLACK_SIGNING_SECRET: required in HTTP mode (from "Basic Information"); or set SLACK_APP_TOKEN for Socket Mode',
    );
  }
  if (!isBlank(env.OPS_HOST) && isBlank(env.OPS_PORT))
    problems.push('OPS_HOST: only means something with OPS_PORT, the port /readyz and /metrics then listen on');
  if (!isBlank(env.OPS_PORT) && env.OPS_PORT?.trim() !== '0' && env.OPS_PORT?.trim() === (env.PORT?.trim() || '3000'))
    problems.push('OPS_PORT: must differ from PORT: it is a listener of its own for /readyz and /metrics');
  if (isBlank(env.HBR_APPROVERS)) {
    problems.push(
      'HBR_APPROVERS: required: comma-separated Slack user IDs (U…/W…) or user group IDs (S…) who may approve installs',
    );
  }

  return problems;
}

function validRedisUrl(value: string): boolean {
  if (!/^rediss?:\/\//.test(value)) return false;
  try {
    return new URL(value).hostname !== '';
  } catch {
    return false;
  }
}

type ParsedEnvironment = z.infer<typeof environmentSchema>;

const TOPOLOGIES =
  'set one of REDIS_URL (one node), REDIS_SENTINELS with REDIS_SENTINEL_NAME (Sentinel) or REDIS_CLUSTER_NODES (Cluster)';

/**
 * The Redis topology from the variables, or the problems of their combination (each naming the
 * variables involved). Run on the parsed values, so a malformed value is reported once, by its field.
 */
function redisTarget(e: ParsedEnvironment): { target: RedisTarget | null; problems: string[] } {
  const problems: string[] = [];
  const url = e.REDIS_URL;
  const sentinels = e.REDIS_SENTINELS;
  const cluster = e.REDIS_CLUSTER_NODES;
  const chosen = [
    ...(url === undefined ? [] : ['REDIS_URL']),
    ...(sentinels === undefined ? [] : ['REDIS_SENTINELS']),
    ...(cluster === undefined ? [] : ['REDIS_CLUSTER_NODES']),
  ];
  if (chosen.length > 1) problems.push(`${chosen.join(', ')}: ${TOPOLOGIES}, not several`);
  if (sentinels !== undefined && e.REDIS_SENTINEL_NAME === undefined)
    problems.push(
      'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS: the name the sentinels monitor the primary under',
    );
  if (sentinels === undefined) {
    for (const name of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD'] as const)
      if (e[name] !== undefined) problems.push(`${name}: applies only with REDIS_SENTINELS, which is not set`);
  }
  if (cluster !== undefined && !hasHashTag(e.HBR_QUEUE_PREFIX)) {
    problems.push(
      `HBR_QUEUE_PREFIX: Redis Cluster (REDIS_CLUSTER_NODES) needs a hash tag in the prefix, e.g. HBR_QUEUE_PREFIX={${e.HBR_QUEUE_PREFIX}}: ` +
        "BullMQ and the bot's Lua scripts and transactions touch several keys at once, and a Cluster runs those only when every key hashes to one slot; " +
        'the part in braces is what Redis hashes',
    );
  }
  const username = e.REDIS_USERNAME ?? null;
  const password = e.REDIS_PASSWORD ?? null;
  if (url !== undefined) {
    const parsed = new URL(url);
    const tlsByScheme = parsed.protocol === 'rediss:';
    if (e.REDIS_TLS !== undefined && e.REDIS_TLS !== tlsByScheme)
      problems.push(
        `REDIS_TLS, REDIS_URL: with REDIS_URL the scheme chooses TLS (rediss:// with, redis:// without); REDIS_TLS=${e.REDIS_TLS} contradicts it`,
      );
    const urlUser = decodeURIComponent(parsed.username);
    const urlPassword = decodeURIComponent(parsed.password);
    if (urlPassword !== '' && password !== null && urlPassword !== password)
      problems.push('REDIS_PASSWORD, REDIS_URL: both give a Redis password and they differ; keep one');
    if (urlUser !== '' && username !== null && urlUser !== username)
      problems.push('REDIS_USERNAME, REDIS_URL: both give a Redis user and they differ; keep one');
    parsed.username = '';
    parsed.password = '';
    if (problems.length > 0) return { target: null, problems };
    return {
      target: {
        mode: 'single',
        url: parsed.toString(),
        username: urlUser === '' ? username : urlUser,
        password: urlPassword === '' ? password : urlPassword,
      },
      problems,
    };
  }
  if (problems.length > 0) return { target: null, problems };
  const tls = e.REDIS_TLS ?? false;
  if (sentinels !== undefined) {
    return {
      target: {
        mode: 'sentinel',
        sentinels,
        name: e.REDIS_SENTINEL_NAME ?? '',
        sentinelPassword: e.REDIS_SENTINEL_PASSWORD ?? null,
        username,
        password,
        tls,
      },
      problems,
    };
  }
  if (cluster !== undefined) return { target: { mode: 'cluster', nodes: cluster, username, password, tls }, problems };
  if (tls)
    problems.push(
      `REDIS_TLS: with the default Redis (${DEFAULT_REDIS_URL}) set REDIS_URL=rediss://… instead, or REDIS_SENTINELS / REDIS_CLUSTER_NODES`,
    );
  return { target: { mode: 'single', url: DEFAULT_REDIS_URL, username, password }, problems };
}

/** Reads and validates `env`; throws ConfigError naming every problem. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const result = environmentSchema.safeParse(env);
  const redis = result.success ? redisTarget(result.data) : { target: null, problems: [] };
  const problems = [
    ...missingVariables(env),
    ...(result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`)),
    ...redis.problems,
  ];
  if (!result.success || redis.target === null || problems.length > 0) throw new ConfigError([...new Set(problems)]);
  const e = result.data;
  return {
    slack: {
      botToken: e.SLACK_BOT_TOKEN ?? '',
      signingSecret: e.SLACK_SIGNING_SECRET ?? null,
      appToken: e.SLACK_APP_TOKEN ?? null,
      apiUrl: e.SLACK_API_URL ?? 'https://slack.com/api/',
      port: e.PORT,
    },
    redis: redis.target,
    queuePrefix: e.HBR_QUEUE_PREFIX,
    hbr: { defaultRegion: e.HBR_REGION, endpoint: e.HBR_ENDPOINT },
    preflight: { enabled: e.HBR_PREFLIGHT, ecsEndpoint: e.ECS_ENDPOINT, tagKeys: e.HBR_PREFLIGHT_TAGS },
    access: {
      approvers: e.HBR_APPROVERS,
      requesters: e.HBR_REQUESTERS,
      allowedChannels: e.HBR_ALLOWED_CHANNELS,
      allowSelfApproval: e.HBR_ALLOW_SELF_APPROVAL,
      approvalChannel: e.HBR_APPROVAL_CHANNEL ?? null,
      userGroupCacheMs: e.HBR_USER_GROUP_CACHE_MS,
    },
    approvalTtlMs: e.HBR_APPROVAL_TTL_MS,
    maxInstances: e.HBR_MAX_INSTANCES,
    poll: {
      firstDelayMs: e.HBR_POLL_FIRST_DELAY_MS,
      intervalMs: e.HBR_POLL_INTERVAL_MS,
      taskTimeoutMs: e.HBR_TASK_TIMEOUT_MS,
    },
    sweepIntervalMs: e.HBR_SWEEP_INTERVAL_MS,
    progressEditsPerMinute: e.HBR_PROGRESS_EDITS_PER_MINUTE,
    commandsPerUserPerMinute: e.HBR_COMMANDS_PER_USER_PER_MINUTE,
    logLevel: e.LOG_LEVEL,
    metricsToken: e.METRICS_TOKEN ?? null,
    ops: { port: e.OPS_PORT, host: e.OPS_HOST ?? null },
    auditMaxLength: e.HBR_AUDIT_MAX_LENGTH,
  };
}

function presence(value: string | null): string {
  return value === null || value === '' ? '(unset)' : '(set)';
}

/** The configuration as it may be logged: secrets replaced by whether they are set, URLs without user info. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const optionalUrl = (value: string | null) => (value === null ? null : redactUrl(value));
  return {
    ...config,
    slack: {
      ...config.slack,
      botToken: presence(config.slack.botToken),
      signingSecret: presence(config.slack.signingSecret),
      appToken: presence(config.slack.appToken),
      apiUrl: redactUrl(config.slack.apiUrl),
    },
    hbr: { ...config.hbr, endpoint: optionalUrl(config.hbr.endpoint) },
    preflight: { ...config.preflight, ecsEndpoint: optionalUrl(config.preflight.ecsEndpoint) },
    metricsToken: presence(config.metricsToken),
    redis: redactedRedisTarget(config.redis),
  };
}

/** The Redis target as it may be logged: passwords replaced by whether they are set. */
function redactedRedisTarget(target: RedisTarget): Record<string, unknown> {
  const redacted: Record<string, unknown> = {
    ...target,
    password: presence(target.password),
  };
  if (target.mode === 'single') redacted.url = redactUrl(target.url);
  if (target.mode === 'sentinel') redacted.sentinelPassword = presence(target.sentinelPassword);
  return redacted;
}

/** Where Redis is, in a few words for messages ("redis://host:6379", "Sentinel set …"); no password. */
export function describeRedisTarget(target: RedisTarget): string {
  const list = (nodes: readonly RedisNode[]) =>
    nodes
      .map((node) => (node.host.includes(':') ? `[${node.host}]:${node.port}` : `${node.host}:${node.port}`))
      .join(',');
  switch (target.mode) {
    case 'single':
      return redactUrl(target.url);
    case 'sentinel':
      return `the primary of Sentinel set "${target.name}" (sentinels ${list(target.sentinels)})`;
    case 'cluster':
      return `Redis Cluster at ${list(target.nodes)}`;
  }
}

/**
 * A URL as it may be logged or put in an error: any user info (`user:password@`, as in
 * redis://:secret@host or a proxy's credentials) replaced, the rest kept readable.
 */
export function redactUrl(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.username === '' && parsed.password === '') return value;
    parsed.username = 'redacted';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** The Slack variables: with none of them set on a developer machine, `npm start` opens the sandbox. */
export const SLACK_VARIABLES = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'] as const;

function sandboxFlag(value: string): boolean | null {
  const flag = value.trim().toLowerCase();
  if (flag === '1' || flag === 'true') return true;
  if (flag === '0' || flag === 'false') return false;
  return null;
}

/**
 * The one switch for the sandbox. HBR_SANDBOX=1 (or true) forces it and HBR_SANDBOX=0 (or false)
 * forbids it. Otherwise it runs only on a developer machine with no Slack variable set at all, as on
 * a fresh clone: with NODE_ENV=production, a secret store that failed to inject the Slack variables
 * gets the ordinary configuration error, and a partial Slack configuration is a mistake to report.
 */
export function sandboxRequested(env: NodeJS.ProcessEnv): boolean {
  const raw = env.HBR_SANDBOX;
  if (!isBlank(raw)) {
    const flag = sandboxFlag(raw ?? '');
    if (flag === null) throw new ConfigError([`HBR_SANDBOX: ${SANDBOX_FLAG_MESSAGE}`]);
    return flag;
  }
  if (env.NODE_ENV?.trim() === 'production') return false;
  return SLACK_VARIABLES.every((name) => isBlank(env[name]));
}
