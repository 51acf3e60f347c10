import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactedConfig } from '../../src/config.js';

const VALID = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-secretpart',
  SLACK_SIGNING_SECRET: 'signing-secret-value-123',
  HBR_APPROVERS: 'U01APPROVER, S01GROUP',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(VALID);
    expect(config.slack).toMatchObject({ apiUrl: 'https://slack.com/api/', port: 3000, appToken: null });
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.queuePrefix).toBe('hbr');
    expect(config.hbr).toEqual({ defaultRegion: 'cn-hangzhou', endpoint: null });
    expect(config.access).toEqual({
      approvers: ['U01APPROVER', 'S01GROUP'],
      requesters: [],
      allowedChannels: [],
      allowSelfApproval: false,
      approvalChannel: null,
    });
    expect(config.approvalTtlMs).toBe(86_400_000);
    expect(config.maxInstances).toBe(200);
    expect(config.poll).toEqual({ firstDelayMs: 30_000, intervalMs: 30_000, taskTimeoutMs: 900_000 });
    expect(config.logLevel).toBe('info');
  });

  it('reads every variable of the contract', () => {
    const config = loadConfig({
      ...VALID,
      SLACK_APP_TOKEN: 'xapp-1-abc',
      SLACK_API_URL: 'http://127.0.0.1:9000/api/',
      PORT: '8080',
      REDIS_URL: 'redis://:pw@redis:6379/2',
      HBR_QUEUE_PREFIX: 'prod-hbr',
      HBR_REGION: 'cn-shanghai',
      HBR_ENDPOINT: 'http://127.0.0.1:9100',
      HBR_REQUESTERS: 'U01REQ',
      HBR_ALLOWED_CHANNELS: 'C01OPS,G01PRIV',
      HBR_APPROVAL_CHANNEL: 'C01APPROVALS',
      HBR_ALLOW_SELF_APPROVAL: 'true',
      HBR_APPROVAL_TTL_MS: '60000',
      HBR_MAX_INSTANCES: '50',
      HBR_POLL_FIRST_DELAY_MS: '60000',
      HBR_POLL_INTERVAL_MS: '15000',
      HBR_TASK_TIMEOUT_MS: '600000',
      LOG_LEVEL: 'debug',
      METRICS_TOKEN: 'metrics-token',
      HBR_AUDIT_MAX_LENGTH: '500',
    });
    expect(config).toMatchObject({ metricsToken: 'metrics-token', auditMaxLength: 500 });
    expect(config.slack).toMatchObject({ appToken: 'xapp-1-abc', apiUrl: 'http://127.0.0.1:9000/api/', port: 8080 });
    expect(config.hbr).toEqual({ defaultRegion: 'cn-shanghai', endpoint: 'http://127.0.0.1:9100' });
    expect(config.access).toEqual({
      approvers: ['U01APPROVER', 'S01GROUP'],
      requesters: ['U01REQ'],
      allowedChannels: ['C01OPS', 'G01PRIV'],
      allowSelfApproval: true,
      approvalChannel: 'C01APPROVALS',
    });
    expect(config).toMatchObject({
      queuePrefix: 'prod-hbr',
      approvalTtlMs: 60_000,
      maxInstances: 50,
      logLevel: 'debug',
    });
    expect(config.poll).toEqual({ firstDelayMs: 60_000, intervalMs: 15_000, taskTimeoutMs: 600_000 });
  });

  it('names every missing or invalid variable in one error', () => {
    const problems = problemsOf({
      SLACK_BOT_TOKEN: 'not-a-token',
      PORT: 'eighty',
      HBR_REGION: 'mars-1',
      HBR_APPROVERS: 'alice',
      HBR_POLL_INTERVAL_MS: '-5',
      HBR_ALLOW_SELF_APPROVAL: 'yes',
      HBR_ENDPOINT: 'ftp://x',
      LOG_LEVEL: 'loud',
    });
    const named = problems.map((p) => p.split(':')[0]);
    expect(named).toEqual(
      expect.arrayContaining([
        'SLACK_BOT_TOKEN',
        'SLACK_SIGNING_SECRET',
        'PORT',
        'HBR_REGION',
        'HBR_APPROVERS',
        'HBR_POLL_INTERVAL_MS',
        'HBR_ALLOW_SELF_APPROVAL',
        'HBR_ENDPOINT',
        'LOG_LEVEL',
      ]),
    );
    expect(problemsOf({})).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SLACK_BOT_TOKEN: required/),
        expect.stringMatching(/^HBR_APPROVERS: required/),
      ]),
    );
  });

  it('Socket Mode needs no signing secret', () => {
    expect(problemsOf({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', HBR_APPROVERS: 'U1AB' })).toEqual([]);
  });

  it('never puts a secret in an error or in the redacted view', () => {
    const secrets = {
      SLACK_BOT_TOKEN: 'xoxp-user-token-SECRET1',
      SLACK_SIGNING_SECRET: 'SECRET2',
      SLACK_APP_TOKEN: 'bad-SECRET3',
    };
    const message = (() => {
      try {
        loadConfig({ ...secrets, HBR_APPROVERS: 'U1AB' });
      } catch (error) {
        return String((error as Error).message);
      }
      return '';
    })();
    expect(message).toContain('SLACK_BOT_TOKEN');
    expect(message).not.toMatch(/SECRET\d/);

    const config = loadConfig({ ...VALID, SLACK_APP_TOKEN: 'xapp-SECRET4', REDIS_URL: 'redis://:SECRET5@redis:6379' });
    const view = JSON.stringify(redactedConfig(config));
    for (const value of [VALID.SLACK_BOT_TOKEN, VALID.SLACK_SIGNING_SECRET, 'SECRET4', 'SECRET5'])
      expect(view).not.toContain(value);
    expect(view).toContain('(set)');
  });
});
