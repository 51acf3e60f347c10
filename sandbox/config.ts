/**
 * The sandbox's configuration: the environment's own variables, validated like a real deployment's,
 * plus what the stand-ins supply in place of a Slack app and an AccessKey.
 */
import { type Config, isBlank, loadConfig, SLACK_VARIABLES } from '../src/config.js';

/** The sandbox's own timings: the whole flow fits in well under a minute. */
export const SANDBOX_DEFAULTS = {
  pollFirstDelayMs: 3000,
  pollIntervalMs: 3000,
  taskTimeoutMs: 60_000,
  /** The sandbox prints one line; the bot's logs only when something goes wrong. */
  logLevel: 'warn',
  /** The scripted instances carry an `app` tag: shown, as the allowlist of a deployment would. */
  preflightTags: 'app',
  /** Appended to HBR_QUEUE_PREFIX (default `hbr`), so a real deployment's keys are never touched. */
  prefixSuffix: '-sandbox',
} as const;

/** What the sandbox's stand-ins supply in place of a Slack app and an AccessKey. */
export interface SandboxSupplied {
  slackBotToken: string;
  slackSigningSecret: string;
  slackApiUrl: string;
  hbrEndpoint: string;
  /** The ECS stand-in; without one the sandbox turns the pre-flight off (it never calls the real ECS). */
  ecsEndpoint?: string;
  approvers: readonly string[];
  requesters: readonly string[];
  /** The sandbox's channels: the page's one channel. */
  allowedChannels: readonly string[];
}

export interface SandboxConfig {
  /** The bot's configuration: Slack and HBR are the stand-ins; its HTTP receiver takes an ephemeral port. */
  bot: Config;
  /** Where the sandbox page listens: PORT (default 3000). */
  pagePort: number;
  /** Variables set in the environment that the sandbox replaces with its own values. */
  ignored: string[];
}

/** Variables the sandbox supplies itself (Slack, the HBR and ECS endpoints, who may do what); the rest it reads from `env`. */
const SANDBOX_SUPPLIED_VARIABLES = [
  ...SLACK_VARIABLES,
  'SLACK_API_URL',
  'HBR_ENDPOINT',
  'ECS_ENDPOINT',
  'HBR_APPROVERS',
  'HBR_REQUESTERS',
  'HBR_ALLOWED_CHANNELS',
  'HBR_APPROVAL_CHANNEL',
] as const;

export function loadSandboxConfig(env: NodeJS.ProcessEnv, supplied: SandboxSupplied): SandboxConfig {
  const passed: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !isBlank(value) && !(SANDBOX_SUPPLIED_VARIABLES as readonly string[]).includes(name))
      passed[name] = value;
  }
  const config = loadConfig({
    HBR_POLL_FIRST_DELAY_MS: String(SANDBOX_DEFAULTS.pollFirstDelayMs),
    HBR_POLL_INTERVAL_MS: String(SANDBOX_DEFAULTS.pollIntervalMs),
    HBR_TASK_TIMEOUT_MS: String(SANDBOX_DEFAULTS.taskTimeoutMs),
    LOG_LEVEL: SANDBOX_DEFAULTS.logLevel,
    HBR_PREFLIGHT_TAGS: SANDBOX_DEFAULTS.preflightTags,
    ...passed,
    HBR_QUEUE_PREFIX: `${isBlank(env.HBR_QUEUE_PREFIX) ? 'hbr' : (env.HBR_QUEUE_PREFIX ?? '').trim()}${SANDBOX_DEFAULTS.prefixSuffix}`,
    SLACK_BOT_TOKEN: supplied.slackBotToken,
    SLACK_SIGNING_SECRET: supplied.slackSigningSecret,
    SLACK_API_URL: supplied.slackApiUrl,
    HBR_ENDPOINT: supplied.hbrEndpoint,
    ...(supplied.ecsEndpoint === undefined ? { HBR_PREFLIGHT: 'false' } : { ECS_ENDPOINT: supplied.ecsEndpoint }),
    HBR_APPROVERS: supplied.approvers.join(','),
    HBR_REQUESTERS: supplied.requesters.join(','),
    HBR_ALLOWED_CHANNELS: supplied.allowedChannels.join(','),
  });
  return {
    bot: { ...config, slack: { ...config.slack, port: 0 } },
    pagePort: config.slack.port,
    ignored: SANDBOX_SUPPLIED_VARIABLES.filter((name) => !isBlank(env[name])),
  };
}
