/**
 * The environment, read once and validated with zod. Every problem is reported in one message at
 * start, and no secret value ever appears in that message or in the redacted view used for logs.
 */
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
  redisUrl: string;
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
  };
  access: {
    approvers: string[];
    requesters: string[];
    allowedChannels: string[];
    allowSelfApproval: boolean;
    /** When set, every request is posted here instead of the channel it was typed in. */
    approvalChannel: string | null;
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
  logLevel: string;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
  metricsToken: string | null;
  /** Most audit events kept in the Redis stream (older ones are trimmed). */
  auditMaxLength: number;
}

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

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

function idList(pattern: RegExp, what: string) {
  return optionalText.transform((value, ctx) => {
    const ids = (value ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== '');
    const bad = ids.filter((id) => !pattern.test(id));
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `${bad.map((id) => JSON.stringify(id)).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not ${what}`,
      });
      return z.NEVER;
    }
    return [...new Set(ids)];
  });
}

function positiveInt(defaultValue: number) {
  return optionalText.transform((value, ctx) => {
    if (value === undefined) return defaultValue;
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed) || parsed <= 0) {
      ctx.addIssue({ code: 'custom', message: `must be a positive whole number, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return parsed;
  });
}

function url(defaultValue: string | null) {
  return optionalText.transform((value, ctx) => {
    if (value === undefined) return defaultValue;
    try {
      const parsed = new URL(value);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
      return value;
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be an http(s) URL, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
  });
}

/** `true` or `false`, with a default. */
function flag(defaultValue: boolean) {
  return optionalText.transform((value, ctx) => {
    if (value === undefined) return defaultValue;
    if (value === 'true' || value === 'false') return value === 'true';
    ctx.addIssue({ code: 'custom', message: 'must be true or false' });
    return z.NEVER;
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
  PORT: optionalText.transform((value, ctx) => {
    if (value === undefined) return 3000;
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `must be a TCP port (0-65535), got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return port;
  }),
  REDIS_URL: optionalText
    .refine((value) => value === undefined || /^rediss?:\/\//.test(value), {
      message: 'must be a redis:// or rediss:// URL',
    })
    .transform((value) => value ?? 'redis://127.0.0.1:6379'),
  HBR_QUEUE_PREFIX: optionalText
    .refine((value) => value === undefined || /^[A-Za-z0-9_.-]{1,64}$/.test(value), {
      message: 'must be 1-64 letters, digits, dots, dashes or underscores',
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
  HBR_APPROVERS: idList(SLACK_PRINCIPAL, 'a Slack user ID (U…/W…) or user group ID (S…)'),
  HBR_REQUESTERS: idList(SLACK_PRINCIPAL, 'a Slack user ID (U…/W…) or user group ID (S…)'),
  HBR_ALLOWED_CHANNELS: idList(SLACK_CHANNEL, 'a Slack channel ID (C…/G…/D…)'),
  HBR_APPROVAL_CHANNEL: optionalText.refine((value) => value === undefined || SLACK_CHANNEL.test(value), {
    message: 'must be a Slack channel ID (C…/G…)',
  }),
  HBR_ALLOW_SELF_APPROVAL: flag(false),
  HBR_APPROVAL_TTL_MS: positiveInt(86_400_000),
  HBR_MAX_INSTANCES: positiveInt(200),
  HBR_POLL_FIRST_DELAY_MS: positiveInt(30_000),
  HBR_POLL_INTERVAL_MS: positiveInt(30_000),
  HBR_TASK_TIMEOUT_MS: positiveInt(900_000),
  HBR_SWEEP_INTERVAL_MS: positiveInt(300_000),
  HBR_PROGRESS_EDITS_PER_MINUTE: positiveInt(40),
  METRICS_TOKEN: secret(null, 'a bearer token for /metrics'),
  HBR_AUDIT_MAX_LENGTH: positiveInt(10_000),
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
  SLACK_API_URL: { meaning: 'base URL of the Slack Web API' },
  PORT: { meaning: 'HTTP port; Slack requests at `POST /slack/events`, `GET /healthz`' },
  REDIS_URL: { meaning: 'Redis for BullMQ and request state' },
  HBR_QUEUE_PREFIX: { meaning: 'BullMQ/Redis key prefix (isolates deployments and tests)' },
  HBR_REGION: { meaning: 'default region for requests' },
  HBR_ENDPOINT: {
    meaning: 'full URL overriding the regional endpoint, e.g. `http://127.0.0.1:9100`',
    defaultText: '`https://hbr.<region>.aliyuncs.com`',
  },
  HBR_PREFLIGHT: { meaning: '`false` turns the pre-flight off: no ECS look-up, the request message lists bare IDs' },
  ECS_ENDPOINT: {
    meaning: 'full URL overriding the regional ECS endpoint of the pre-flight look-ups',
    defaultText: '`https://ecs.<region>.aliyuncs.com`',
  },
  HBR_APPROVERS: {
    meaning: 'comma list of Slack user IDs (`U…`/`W…`) and user group IDs (`S…`) who may approve',
    defaultText: 'required',
  },
  HBR_REQUESTERS: {
    meaning: 'who may request (same forms); empty = anyone in an allowed channel',
    defaultText: 'empty',
  },
  HBR_ALLOWED_CHANNELS: { meaning: 'channel IDs where the command works; empty = any', defaultText: 'empty' },
  HBR_APPROVAL_CHANNEL: {
    meaning: 'post every request in this channel instead; the requester gets its permalink',
    defaultText: 'unset',
  },
  HBR_ALLOW_SELF_APPROVAL: { meaning: '`true` lets a requester approve their own request' },
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
  HBR_SWEEP_INTERVAL_MS: {
    meaning:
      'how often the sweep revives jobs that gave up and posts final replies they could not (one process at a time)',
  },
  LOG_LEVEL: { meaning: 'pino level: `fatal` … `trace`, `silent`' },
  METRICS_TOKEN: { meaning: 'when set, `GET /metrics` requires `Authorization: Bearer <token>`', defaultText: 'unset' },
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
  if (isBlank(env.HBR_APPROVERS)) {
    problems.push(
      'HBR_APPROVERS: required: comma-separated Slack user IDs (U…/W…) or user group IDs (S…) who may approve installs',
    );
  }
  return problems;
}

/** Reads and validates `env`; throws ConfigError naming every problem. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const result = environmentSchema.safeParse(env);
  const problems = [
    ...missingVariables(env),
    ...(result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`)),
  ];
  if (!result.success || problems.length > 0) throw new ConfigError([...new Set(problems)]);
  const e = result.data;
  return {
    slack: {
      botToken: e.SLACK_BOT_TOKEN ?? '',
      signingSecret: e.SLACK_SIGNING_SECRET ?? null,
      appToken: e.SLACK_APP_TOKEN ?? null,
      apiUrl: e.SLACK_API_URL ?? 'https://slack.com/api/',
      port: e.PORT,
    },
    redisUrl: e.REDIS_URL,
    queuePrefix: e.HBR_QUEUE_PREFIX,
    hbr: { defaultRegion: e.HBR_REGION, endpoint: e.HBR_ENDPOINT },
    preflight: { enabled: e.HBR_PREFLIGHT, ecsEndpoint: e.ECS_ENDPOINT },
    access: {
      approvers: e.HBR_APPROVERS,
      requesters: e.HBR_REQUESTERS,
      allowedChannels: e.HBR_ALLOWED_CHANNELS,
      allowSelfApproval: e.HBR_ALLOW_SELF_APPROVAL,
      approvalChannel: e.HBR_APPROVAL_CHANNEL ?? null,
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
    logLevel: e.LOG_LEVEL,
    metricsToken: e.METRICS_TOKEN ?? null,
    auditMaxLength: e.HBR_AUDIT_MAX_LENGTH,
  };
}

function presence(value: string | null): string {
  return value === null || value === '' ? '(unset)' : '(set)';
}

/** The configuration as it may be logged: secrets replaced by whether they are set. */
export function redactedConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    slack: {
      ...config.slack,
      botToken: presence(config.slack.botToken),
      signingSecret: presence(config.slack.signingSecret),
      appToken: presence(config.slack.appToken),
    },
    metricsToken: presence(config.metricsToken),
    redisUrl: redactUrlPassword(config.redisUrl),
  };
}

/** A Redis URL may carry a password (redis://:secret@host): keep the rest readable. */
export function redactUrlPassword(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.password !== '') parsed.password = 'redacted';
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
