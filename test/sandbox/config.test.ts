import { describe, expect, it } from 'vitest';
import { loadSandboxConfig, type SandboxSupplied } from '../../sandbox/config.js';
import { ConfigError, loadConfig, sandboxRequested } from '../../src/config.js';

const SUPPLIED: SandboxSupplied = {
  slackBotToken: 'xoxb-sandbox',
  slackSigningSecret: 'sandbox-secret',
  slackApiUrl: 'http://127.0.0.1:40001/api/',
  hbrEndpoint: 'http://127.0.0.1:40002',
  approvers: ['USBLEE0002', 'USBSAM0003'],
  requesters: ['USBDANA001', 'USBLEE0002', 'USBSAM0003'],
  allowedChannels: ['CSBHBROPS1'],
};

const REAL = {
  SLACK_BOT_TOKEN: 'xoxb-1111-real',
  SLACK_SIGNING_SECRET: 'real-secret',
  HBR_APPROVERS: 'U01APPROVER',
  HBR_REQUESTERS: '*',
  HBR_ALLOWED_CHANNELS: '*',
};

describe('sandbox mode', () => {
  it('runs when no Slack variable is set, or when HBR_SANDBOX says so', () => {
    expect(sandboxRequested({})).toBe(true);
    expect(sandboxRequested({ SLACK_BOT_TOKEN: '  ', REDIS_URL: 'redis://r:6379' })).toBe(true);
    expect(sandboxRequested({ HBR_SANDBOX: '1', ...REAL })).toBe(true);
    expect(sandboxRequested({ HBR_SANDBOX: 'true' })).toBe(true);
  });

  it('does not run for a real or partial Slack configuration, or with HBR_SANDBOX=0', () => {
    expect(sandboxRequested(REAL)).toBe(false);
    // A signing secret without a token is a mistake to report, not a reason to start a sandbox.
    expect(sandboxRequested({ SLACK_SIGNING_SECRET: 'x' })).toBe(false);
    expect(sandboxRequested({ SLACK_APP_TOKEN: 'xapp-1' })).toBe(false);
    expect(sandboxRequested({ HBR_SANDBOX: '0' })).toBe(false);
    expect(sandboxRequested({ HBR_SANDBOX: 'false' })).toBe(false);
  });

  it('refuses an HBR_SANDBOX it cannot read, in both modes', () => {
    expect(() => sandboxRequested({ HBR_SANDBOX: 'yes' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...REAL, HBR_SANDBOX: 'maybe' })).toThrow(/HBR_SANDBOX: must be 1, true, 0 or false/);
    expect(loadConfig({ ...REAL, HBR_SANDBOX: '0' }).slack.botToken).toBe(REAL.SLACK_BOT_TOKEN);
  });

  it('supplies Slack, HBR, approvers and short timings, with the page on PORT and the bot on an ephemeral port', () => {
    const { bot, pagePort, ignored } = loadSandboxConfig({}, SUPPLIED);
    expect(pagePort).toBe(3000);
    expect(bot.slack).toEqual({
      botToken: 'xoxb-sandbox',
      signingSecret: 'sandbox-secret',
      appToken: null,
      apiUrl: SUPPLIED.slackApiUrl,
      port: 0,
    });
    expect(bot.hbr).toEqual({ defaultRegion: 'cn-hangzhou', endpoint: SUPPLIED.hbrEndpoint });
    expect(bot.access).toMatchObject({
      approvers: SUPPLIED.approvers,
      requesters: SUPPLIED.requesters,
      allowedChannels: ['CSBHBROPS1'],
      approvalChannel: null,
    });
    expect(bot.poll).toEqual({ firstDelayMs: 3000, intervalMs: 3000, taskTimeoutMs: 60_000 });
    expect(bot.queuePrefix).toBe('hbr-sandbox');
    expect(bot.redis).toEqual({ mode: 'single', url: 'redis://127.0.0.1:6379', username: null, password: null });
    expect(bot.logLevel).toBe('warn');
    expect(ignored).toEqual([]);
  });

  it('reads the rest of the environment like a real start, and never the deployment prefix itself', () => {
    const { bot, pagePort, ignored } = loadSandboxConfig(
      {
        HBR_SANDBOX: '1',
        SLACK_BOT_TOKEN: 'xoxb-real-token',
        HBR_APPROVERS: 'U0SOMEONE',
        HBR_ALLOWED_CHANNELS: 'C0ELSEWHERE',
        PORT: '8080',
        REDIS_URL: 'redis://cache:6380/1',
        HBR_QUEUE_PREFIX: 'prod',
        HBR_REGION: 'cn-shanghai',
        HBR_POLL_INTERVAL_MS: '5000',
        LOG_LEVEL: 'debug',
      },
      SUPPLIED,
    );
    expect(pagePort).toBe(8080);
    expect(bot.slack.botToken).toBe('xoxb-sandbox');
    expect(bot.access.approvers).toEqual(SUPPLIED.approvers);
    expect(bot.access.allowedChannels).toEqual(['CSBHBROPS1']);
    expect(bot).toMatchObject({
      redis: { mode: 'single', url: 'redis://cache:6380/1' },
      queuePrefix: 'prod-sandbox',
      logLevel: 'debug',
    });
    expect(bot.hbr.defaultRegion).toBe('cn-shanghai');
    expect(bot.poll).toEqual({ firstDelayMs: 3000, intervalMs: 5000, taskTimeoutMs: 60_000 });
    expect(ignored).toEqual(['SLACK_BOT_TOKEN', 'HBR_APPROVERS', 'HBR_ALLOWED_CHANNELS']);
  });

  it('validates what it reads with the same messages as a real start', () => {
    expect(() => loadSandboxConfig({ PORT: 'eighty', REDIS_URL: 'http://nope' }, SUPPLIED)).toThrow(ConfigError);
    try {
      loadSandboxConfig({ PORT: 'eighty', REDIS_URL: 'http://nope' }, SUPPLIED);
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.split(':')[0])).toEqual(['PORT', 'REDIS_URL']);
    }
  });
});
