import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactedConfig } from '../../src/config.js';

const VALID = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-secretpart',
  SLACK_SIGNING_SECRET: 'signing-secret-value-123',
  HBR_APPROVERS: 'U01APPROVER, S01GROUP',
  HBR_REQUESTERS: '*',
  HBR_ALLOWED_CHANNELS: '*',
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
    expect(config.redis).toEqual({ mode: 'single', url: 'redis://127.0.0.1:6379', username: null, password: null });
    expect(config.queuePrefix).toBe('hbr');
    expect(config.hbr).toEqual({ defaultRegion: 'cn-hangzhou', endpoint: null });
    expect(config.access).toEqual({
      approvers: ['U01APPROVER', 'S01GROUP'],
      requesters: '*',
      allowedChannels: '*',
      allowSelfApproval: false,
      approvalChannel: null,
      userGroupCacheMs: 60_000,
    });
    expect(config.approvalTtlMs).toBe(86_400_000);
    expect(config.maxInstances).toBe(200);
    expect(config.poll).toEqual({ firstDelayMs: 30_000, intervalMs: 30_000, taskTimeoutMs: 900_000 });
    expect(config.logLevel).toBe('info');
    expect(config.ops).toEqual({ port: null, host: null });
  });

  it('puts /readyz and /metrics on OPS_PORT (and OPS_HOST) when asked, never on PORT itself', () => {
    expect(loadConfig({ ...VALID, OPS_PORT: '9090', OPS_HOST: '10.0.0.5' }).ops).toEqual({
      port: 9090,
      host: '10.0.0.5',
    });
    expect(problemsOf({ ...VALID, OPS_PORT: '3000' })).toEqual([
      'OPS_PORT: must differ from PORT: it is a listener of its own for /readyz and /metrics',
    ]);
    expect(problemsOf({ ...VALID, OPS_HOST: '0.0.0.0' })).toEqual([
      'OPS_HOST: only means something with OPS_PORT, the port /readyz and /metrics then listen on',
    ]);
    expect(problemsOf({ ...VALID, OPS_PORT: 'ops', OPS_HOST: 'http://x' }).map((p) => p.split(':')[0])).toEqual([
      'OPS_PORT',
      'OPS_HOST',
    ]);
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
      HBR_USER_GROUP_CACHE_MS: '0',
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
      userGroupCacheMs: 0,
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
    expect(
      problemsOf({
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_APP_TOKEN: 'xapp-1',
        HBR_APPROVERS: 'U1AB',
        HBR_REQUESTERS: '*',
        HBR_ALLOWED_CHANNELS: '*',
      }),
    ).toEqual([]);
  });

  it('is never open by default: who may request and where is a choice, * making it anyone or anywhere', () => {
    const { HBR_REQUESTERS: _requesters, HBR_ALLOWED_CHANNELS: _channels, ...unchosen } = VALID;
    for (const env of [unchosen, { ...unchosen, HBR_REQUESTERS: ' ', HBR_ALLOWED_CHANNELS: ',' }]) {
      expect(problemsOf(env)).toEqual([
        expect.stringMatching(/^HBR_REQUESTERS: required: .*or \* to let anyone in an allowed channel request$/),
        expect.stringMatching(/^HBR_ALLOWED_CHANNELS: required: .*or \* for any channel the bot is in$/),
      ]);
    }
    expect(problemsOf({ ...VALID, HBR_REQUESTERS: '*, U01REQ', HBR_ALLOWED_CHANNELS: 'C01OPS,all' })).toEqual([
      'HBR_REQUESTERS: * stands alone: it already means everyone; drop it or the IDs',
      'HBR_ALLOWED_CHANNELS: "all" is not a Slack channel ID (C…/G…/D…) (or * alone)',
    ]);
    expect(
      loadConfig({ ...VALID, HBR_REQUESTERS: 'U01REQ,S01GROUP', HBR_ALLOWED_CHANNELS: 'C01OPS' }).access,
    ).toMatchObject({ requesters: ['U01REQ', 'S01GROUP'], allowedChannels: ['C01OPS'] });
  });

  it('takes http:// for Slack, HBR and ECS only to a loopback host, so no token travels in clear text', () => {
    for (const name of ['SLACK_API_URL', 'HBR_ENDPOINT', 'ECS_ENDPOINT']) {
      for (const plain of [
        'http://slack.example/api/',
        'http://10.0.0.8:9100',
        'http://128.0.0.1',
        'http://localhost.example',
      ])
        expect(problemsOf({ ...VALID, [name]: plain }), `${name}=${plain}`).toEqual([
          expect.stringMatching(new RegExp(`^${name}: must be an https:// URL \\(http:// only to a loopback host`)),
        ]);
      for (const loopback of [
        'http://127.0.0.1:9100',
        'http://127.8.8.8',
        'http://localhost:3001',
        'http://[::1]:9200',
        'https://proxy.example',
      ])
        expect(problemsOf({ ...VALID, [name]: loopback }), `${name}=${loopback}`).toEqual([]);
    }
  });

  it('never logs or quotes the user info of a URL', () => {
    const config = loadConfig({
      ...VALID,
      SLACK_API_URL: 'https://proxyuser:SECRET6@proxy.example/api/',
      HBR_ENDPOINT: 'https://hbruser:SECRET7@hbr.example.internal',
      ECS_ENDPOINT: 'https://ecsuser:SECRET8@ecs.example.internal',
      REDIS_URL: 'redis://default:SECRET9@redis:6379',
    });
    const view = JSON.stringify(redactedConfig(config));
    for (const secret of ['SECRET6', 'SECRET7', 'SECRET8', 'SECRET9', 'proxyuser', 'hbruser', 'ecsuser'])
      expect(view).not.toContain(secret);
    expect(view).toContain('https://redacted@proxy.example/api/');
    expect(view).toContain('"url":"redis://redis:6379"');
    const refused = problemsOf({ ...VALID, HBR_ENDPOINT: 'http://hbruser:SECRET10@hbr.example.internal' });
    expect(refused.join('\n')).toContain('http://redacted@hbr.example.internal');
    expect(refused.join('\n')).not.toContain('SECRET10');
  });

  it('never puts a secret in an error or in the redacted view', () => {
    const secrets = {
      SLACK_BOT_TOKEN: 'xoxp-user-token-SECRET1',
      SLACK_SIGNING_SECRET: 'SECRET2',
      SLACK_APP_TOKEN: 'bad-SECRET3',
    };
    const message = (() => {
      try {
        loadConfig({ ...secrets, HBR_APPROVERS: 'U1AB', HBR_REQUESTERS: '*', HBR_ALLOWED_CHANNELS: '*' });
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

describe('the Redis topology', () => {
  it('reads one node from REDIS_URL, its credentials kept apart from the URL, completed by REDIS_USERNAME/REDIS_PASSWORD', () => {
    expect(loadConfig({ ...VALID, REDIS_URL: 'rediss://bot:s%40cret@cache:6380/2' }).redis).toEqual({
      mode: 'single',
      url: 'rediss://cache:6380/2',
      username: 'bot',
      password: 's@cret',
    });
    expect(
      loadConfig({ ...VALID, REDIS_URL: 'redis://cache:6379', REDIS_USERNAME: 'bot', REDIS_PASSWORD: 'pw' }).redis,
    ).toEqual({ mode: 'single', url: 'redis://cache:6379', username: 'bot', password: 'pw' });
    // docker-compose passes REDIS_PASSWORD from .env and puts the same one in REDIS_URL.
    expect(loadConfig({ ...VALID, REDIS_URL: 'redis://:pw@redis:6379', REDIS_PASSWORD: 'pw' }).redis).toMatchObject({
      password: 'pw',
    });
    expect(loadConfig({ ...VALID, REDIS_PASSWORD: 'pw' }).redis).toEqual({
      mode: 'single',
      url: 'redis://127.0.0.1:6379',
      username: null,
      password: 'pw',
    });
  });

  it('reads a Sentinel set and a Cluster, with the data nodes’ credentials and TLS', () => {
    expect(
      loadConfig({
        ...VALID,
        REDIS_SENTINELS: 's1:26379, s2:26379,[::1]:26380',
        REDIS_SENTINEL_NAME: 'mymaster',
        REDIS_SENTINEL_PASSWORD: 'spw',
        REDIS_PASSWORD: 'pw',
        REDIS_TLS: 'true',
      }).redis,
    ).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'mymaster',
      sentinelPassword: 'spw',
      username: null,
      password: 'pw',
      tls: true,
    });
    const cluster = loadConfig({
      ...VALID,
      REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7000',
      REDIS_USERNAME: 'hbr',
      HBR_QUEUE_PREFIX: '{hbr}',
    });
    expect(cluster.redis).toEqual({
      mode: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7000 },
      ],
      username: 'hbr',
      password: null,
      tls: false,
    });
    expect(cluster.queuePrefix).toBe('{hbr}');
  });

  it('accepts a hash tag in HBR_QUEUE_PREFIX in every mode, and nothing else new', () => {
    for (const prefix of ['{hbr}', 'prod{hbr}', '{hbr}-sandbox', 'a.b_c-d'])
      expect(loadConfig({ ...VALID, HBR_QUEUE_PREFIX: prefix }).queuePrefix).toBe(prefix);
    for (const prefix of ['{}', '{a}{b}', 'hbr}', '{hbr', 'a b', 'x:y', `{${'a'.repeat(64)}}`])
      expect(problemsOf({ ...VALID, HBR_QUEUE_PREFIX: prefix }), prefix).toEqual([
        expect.stringMatching(/^HBR_QUEUE_PREFIX: .*hash tag/),
      ]);
  });

  it('refuses a Cluster without a hash tag in the prefix, saying why', () => {
    const problems = problemsOf({ ...VALID, REDIS_CLUSTER_NODES: '127.0.0.1:7000', HBR_QUEUE_PREFIX: 'prod' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^HBR_QUEUE_PREFIX: .*REDIS_CLUSTER_NODES.*HBR_QUEUE_PREFIX=\{prod\}.*one slot/);
    expect(problemsOf({ ...VALID, REDIS_CLUSTER_NODES: '127.0.0.1:7000' })[0]).toContain('HBR_QUEUE_PREFIX={hbr}');
  });

  it('refuses conflicting and incomplete combinations in one message naming the variables', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [
        { REDIS_URL: 'redis://a:6379', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm' },
        /^REDIS_URL, REDIS_SENTINELS: /,
      ],
      [
        { REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'c:7000', HBR_QUEUE_PREFIX: '{h}' },
        /^REDIS_URL, REDIS_CLUSTER_NODES: /,
      ],
      [
        {
          REDIS_SENTINELS: 's:26379',
          REDIS_SENTINEL_NAME: 'm',
          REDIS_CLUSTER_NODES: 'c:7000',
          HBR_QUEUE_PREFIX: '{h}',
        },
        /^REDIS_SENTINELS, REDIS_CLUSTER_NODES: /,
      ],
      [{ REDIS_SENTINELS: 's:26379' }, /^REDIS_SENTINEL_NAME: required with REDIS_SENTINELS/],
      [{ REDIS_SENTINEL_NAME: 'm' }, /^REDIS_SENTINEL_NAME: applies only with REDIS_SENTINELS/],
      [{ REDIS_SENTINEL_PASSWORD: 'x' }, /^REDIS_SENTINEL_PASSWORD: applies only with REDIS_SENTINELS/],
      [{ REDIS_URL: 'redis://:a@r:6379', REDIS_PASSWORD: 'b' }, /^REDIS_PASSWORD, REDIS_URL: .*differ/],
      [{ REDIS_URL: 'redis://u1@r:6379', REDIS_USERNAME: 'u2' }, /^REDIS_USERNAME, REDIS_URL: .*differ/],
      [{ REDIS_URL: 'redis://r:6379', REDIS_TLS: 'true' }, /^REDIS_TLS, REDIS_URL: .*rediss:\/\//],
      [{ REDIS_TLS: 'true' }, /^REDIS_TLS: /],
      [{ REDIS_SENTINELS: 's1,s2:x', REDIS_SENTINEL_NAME: 'm' }, /^REDIS_SENTINELS: .*host:port.*"s1", "s2:x"/],
      [{ REDIS_CLUSTER_NODES: 'c:70000', HBR_QUEUE_PREFIX: '{h}' }, /^REDIS_CLUSTER_NODES: .*"c:70000"/],
      [{ REDIS_URL: 'redis://' }, /^REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/],
      [{ REDIS_TLS: 'yes' }, /^REDIS_TLS: must be true or false/],
    ];
    for (const [env, expected] of cases) {
      const problems = problemsOf({ ...VALID, ...env });
      expect(problems, JSON.stringify(env)).toHaveLength(1);
      expect(problems[0], JSON.stringify(env)).toMatch(expected);
    }
    // Every problem at once, field errors beside the combination's.
    const problems = problemsOf({ ...VALID, PORT: 'x', REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'c:1' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['PORT']);
  });

  it('never shows a Redis password in the logged configuration', () => {
    const views = [
      { REDIS_URL: 'redis://u:SECRET1@r:6379' },
      { REDIS_PASSWORD: 'SECRET1' },
      {
        REDIS_SENTINELS: 's:26379',
        REDIS_SENTINEL_NAME: 'm',
        REDIS_SENTINEL_PASSWORD: 'SECRET2',
        REDIS_PASSWORD: 'SECRET1',
      },
      { REDIS_CLUSTER_NODES: 'c:7000', HBR_QUEUE_PREFIX: '{h}', REDIS_PASSWORD: 'SECRET1' },
    ].map((env) => JSON.stringify(redactedConfig(loadConfig({ ...VALID, ...env }))));
    for (const view of views) {
      expect(view).not.toMatch(/SECRET\d/);
      expect(view).toContain('"password":"(set)"');
    }
  });
});
