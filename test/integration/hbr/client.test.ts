/**
 * HbrClient against the HBR stand-in over real HTTP: signing, chunking, retries and error
 * classification. No module mocks: the real @alicloud/openapi-client does the HTTP.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { type Logger, pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type HbrFault, type HbrStandIn, makeInstanceId, startHbrStandIn } from '../../../sandbox/hbr-api-server.js';
import { accessKeyCredential, HbrClient, type HbrClientOptions, resolveEndpoint } from '../../../src/hbr/client.js';
import { HbrError } from '../../../src/hbr/errors.js';
import { explainApiFailure } from '../../../src/slack/messages/failure-words.js';
import { hbrFailure } from '../../support/hbr-failure.js';

const AK = 'LTAI5tTestKeyId0001';
const SECRET = 'hbr-stand-in-secret-0001';
const FAST_RETRY = { retries: 3, minTimeoutMs: 5, maxTimeoutMs: 20 };

interface LogLine {
  level: number;
  msg: string;
  action: string;
  region: string;
  requestId: string | null;
  code: string;
  latencyMs: number;
  attempt: number;
  transient?: boolean;
  outcomeUnknown?: boolean;
}

function captureLogger(): { logger: Logger; lines: LogLine[]; raw: string[] } {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write(line: string) {
        raw.push(line);
        lines.push(JSON.parse(line) as LogLine);
      },
    },
  );
  return { logger, lines, raw };
}

/** Runs fn with these environment variables set (undefined = unset), then restores them. */
async function withEnv(vars: Record<string, string | undefined>, fn: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(vars);
  try {
    await fn();
  } finally {
    apply(saved);
  }
}

/** A local port nothing listens on (connections are refused at once). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let hbr: HbrStandIn;

function client(overrides: Partial<HbrClientOptions> = {}): HbrClient {
  return new HbrClient({
    defaultRegion: 'cn-hangzhou',
    endpoint: hbr.url,
    credential: accessKeyCredential(AK, SECRET),
    retry: FAST_RETRY,
    connectTimeoutMs: 2000,
    readTimeoutMs: 2000,
    ...overrides,
  });
}

beforeEach(async () => {
  hbr = await startHbrStandIn({ accessKeyId: AK, accessKeySecret: SECRET });
});

afterEach(async () => {
  await hbr.close();
});

describe('installBackupClients', () => {
  it('returns the TaskId and one status per instance', async () => {
    const [ok, stopped, noAgent, missing] = [1, 2, 3, 4].map(makeInstanceId) as [string, string, string, string];
    hbr.setInstance(stopped, 'stopped');
    hbr.setInstance(noAgent, 'no-cloud-assist');
    hbr.setInstance(missing, 'missing');

    const submissions = await client().installBackupClients([ok, stopped, noAgent, missing]);

    expect(submissions).toHaveLength(1);
    const [submission] = submissions as [(typeof submissions)[number]];
    expect(submission.taskId).toMatch(/^t-[a-z0-9]+$/);
    expect(hbr.taskIds()).toEqual([submission.taskId]);
    expect(submission.instanceIds).toEqual([ok, stopped, noAgent, missing]);
    expect(submission.statuses).toEqual([
      { instanceId: ok, valid: true, errorCode: '' },
      { instanceId: stopped, valid: false, errorCode: 'InstanceNotRunning' },
      { instanceId: noAgent, valid: false, errorCode: 'CloudAssistNotRunningOnInstance' },
      { instanceId: missing, valid: false, errorCode: 'InstanceNotExists' },
    ]);

    const [call] = hbr.callsOf('InstallBackupClients');
    expect(call).toMatchObject({
      ok: true,
      code: '200',
      signature: 'ACS3-HMAC-SHA256',
      accessKeyId: AK,
      host: new URL(hbr.url).host,
    });
    expect(submission.requestId).toBe(call?.requestId);
    expect(submission.requestId).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(call?.query.InstanceIds).toBe(JSON.stringify([ok, stopped, noAgent, missing]));
  });

  it('has no TaskId when no instance is valid', async () => {
    const ids = [makeInstanceId(10), makeInstanceId(11)];
    for (const id of ids) hbr.setInstance(id, 'stopped');
    const [submission] = await client().installBackupClients(ids);
    expect(submission?.taskId).toBeNull();
    expect(submission?.statuses.every((s) => !s.valid && s.errorCode === 'InstanceNotRunning')).toBe(true);
    expect(hbr.taskIds()).toEqual([]);
  });

  it('splits 45 IDs into three sequential calls of 20, 20 and 5, each InstanceIds a JSON array string', async () => {
    const ids = Array.from({ length: 45 }, (_, i) => makeInstanceId(100 + i));
    const submissions = await client().installBackupClients(ids);

    const calls = hbr.callsOf('InstallBackupClients');
    expect(calls).toHaveLength(3);
    const sent = calls.map((c) => JSON.parse(c.params.InstanceIds ?? 'null') as unknown);
    expect(sent.map((s) => (s as string[]).length)).toEqual([20, 20, 5]);
    expect(sent.flat()).toEqual(ids);
    calls.forEach((c, i) => {
      expect(c.params.InstanceIds).toBe(JSON.stringify(ids.slice(i * 20, i * 20 + 20)));
      expect(Object.keys(c.params).filter((k) => k.startsWith('InstanceIds.'))).toEqual([]);
    });
    // Sequential: each call arrived after the previous one was answered.
    expect(calls[0]!.at).toBeLessThanOrEqual(calls[1]!.at);
    expect(submissions.map((s) => s.instanceIds.length)).toEqual([20, 20, 5]);
    expect(new Set(submissions.map((s) => s.taskId)).size).toBe(3);
  });

  it('makes no call for an empty list, and refuses malformed instance IDs before calling', async () => {
    expect(await client().installBackupClients([])).toEqual([]);
    const err = await hbrFailure(client().installBackupClients([makeInstanceId(1), 'i-UPPER', 'web-01']));
    expect(err).toMatchObject({ code: 'InvalidInstanceId', transient: false });
    expect(explainApiFailure(err)).toContain('"i-UPPER"');
    expect(hbr.calls).toHaveLength(0);
  });

  it('reports the submissions accepted before a later chunk fails', async () => {
    const ids = Array.from({ length: 25 }, (_, i) => makeInstanceId(200 + i));
    // A zero-delay 'slow' fault is a normal answer: it lets the second call take the failure.
    hbr.injectFaults('InstallBackupClients', { kind: 'slow', delayMs: 0 }, { kind: 'forbidden-ram' });
    const err = await hbrFailure(client().installBackupClients(ids));
    expect(err.code).toBe('Forbidden.RAM');
    expect(err.submittedBeforeFailure).toHaveLength(1);
    expect(err.submittedBeforeFailure[0]?.taskId).toBe(hbr.taskIds()[0]);
  });

  it('uninstall has the same shape', async () => {
    const id = makeInstanceId(7);
    hbr.seedClient(id);
    const [submission] = await client().uninstallBackupClients([id]);
    expect(submission).toMatchObject({ instanceIds: [id], statuses: [{ instanceId: id, valid: true, errorCode: '' }] });
    expect(submission?.taskId).toMatch(/^t-/);
    expect(hbr.callsOf('UninstallBackupClients')).toHaveLength(1);
  });
});

describe('authentication', () => {
  it('a wrong secret fails with SignatureDoesNotMatch, permanent, after one call', async () => {
    const err = await hbrFailure(
      client({ credential: accessKeyCredential(AK, 'not-the-secret') }).installBackupClients([makeInstanceId(1)]),
    );
    expect(err).toMatchObject({
      code: 'SignatureDoesNotMatch',
      httpStatus: 400,
      transient: false,
      action: 'InstallBackupClients',
    });
    expect(err.requestId).toBe(hbr.calls[0]?.requestId);
    expect(explainApiFailure(err)).toMatch(/secret/);
    expect(`${err.message} ${explainApiFailure(err)}`).not.toContain('not-the-secret');
    expect(hbr.calls).toHaveLength(1);
  });

  it('an unknown AccessKey ID fails with InvalidAccessKeyId.NotFound (404)', async () => {
    const err = await hbrFailure(
      client({ credential: accessKeyCredential('LTAI5tSomeoneElse', SECRET) }).describeTask('t-x'),
    );
    expect(err).toMatchObject({ code: 'InvalidAccessKeyId.NotFound', httpStatus: 404, transient: false });
    expect(hbr.calls).toHaveLength(1);
  });

  it('v2 (HMAC-SHA1) signatures are verified too, including form-body parameters', async () => {
    const v2 = client({ signatureAlgorithm: 'v2' });
    const ids = [makeInstanceId(1), makeInstanceId(2)];
    const [submission] = await v2.installBackupClients(ids);
    const report = await v2.describeTask(submission!.taskId!);
    expect(report.phase).toBe('completed');
    const clients = await v2.describeBackupClients(ids);
    expect(clients.map((c) => c.instanceId).sort()).toEqual(ids);
    expect(hbr.calls.map((c) => [c.signature, c.ok])).toEqual([
      ['v2', true],
      ['v2', true],
      ['v2', true],
    ]);
    expect(hbr.callsOf('DescribeBackupClients')[0]?.form.InstanceIds).toBe(JSON.stringify(ids));

    const wrong = client({ signatureAlgorithm: 'v2', credential: accessKeyCredential(AK, 'wrong') });
    expect(await hbrFailure(wrong.describeTask(submission!.taskId!))).toMatchObject({
      code: 'SignatureDoesNotMatch',
      transient: false,
    });
  });

  it('uses the default credential chain (environment variables) when no credential is given', async () => {
    await withEnv(
      {
        ALIBABA_CLOUD_ACCESS_KEY_ID: AK,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET,
        ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
      },
      async () => {
        const viaChain = new HbrClient({ defaultRegion: 'cn-hangzhou', endpoint: hbr.url, retry: FAST_RETRY });
        const [submission] = await viaChain.installBackupClients([makeInstanceId(1)]);
        expect(submission?.taskId).toMatch(/^t-/);
        expect(hbr.calls[0]).toMatchObject({ accessKeyId: AK, ok: true });
      },
    );
  });

  it('without credentials the default chain fails with a permanent InvalidCredentials, and recovers once they appear', async () => {
    // The chain always ends with the credentials-URI provider, which fetches even without a URI
    // (https://undefined/): point it at a closed local port so the walk fails fast without DNS.
    const nothing = {
      ALIBABA_CLOUD_ACCESS_KEY_ID: undefined,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: undefined,
      ALIBABA_CLOUD_SECURITY_TOKEN: undefined,
      ALIBABA_CLOUD_ROLE_ARN: undefined,
      ALIBABA_CLOUD_OIDC_PROVIDER_ARN: undefined,
      ALIBABA_CLOUD_OIDC_TOKEN_FILE: undefined,
      ALIBABA_CLOUD_CREDENTIALS_URI: `http://127.0.0.1:${await closedPort()}/credentials`,
      ALIBABA_CLOUD_ECS_METADATA: undefined,
      ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
      ALIBABA_CLOUD_CREDENTIALS_FILE: '/nonexistent/hbr-bot-test/credentials',
      ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    };
    await withEnv(nothing, async () => {
      const viaChain = new HbrClient({ defaultRegion: 'cn-hangzhou', endpoint: hbr.url, retry: FAST_RETRY });
      const err = await hbrFailure(viaChain.describeTask('t-x'));
      expect(err).toMatchObject({ code: 'InvalidCredentials', transient: false });
      expect(explainApiFailure(err)).toMatch(/ALIBABA_CLOUD_ACCESS_KEY_ID/);
      expect(hbr.calls).toHaveLength(0);
      // The library's chain sticks to the last provider it tried; the client starts a fresh chain.
      await withEnv({ ALIBABA_CLOUD_ACCESS_KEY_ID: AK, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET }, async () => {
        const [submission] = await viaChain.installBackupClients([makeInstanceId(1)]);
        expect(submission?.taskId).toMatch(/^t-/);
      });
    });
  });

  it('a clock more than 15 minutes off fails with InvalidTimeStamp.Expired, permanent', async () => {
    const skewed = await startHbrStandIn({ accessKeyId: AK, accessKeySecret: SECRET, clockOffsetMs: 20 * 60 * 1000 });
    try {
      const err = await hbrFailure(client({ endpoint: skewed.url }).describeTask('t-x'));
      expect(err).toMatchObject({ code: 'InvalidTimeStamp.Expired', transient: false });
      expect(explainApiFailure(err)).toMatch(/clock/);
      expect(skewed.calls).toHaveLength(1);
    } finally {
      await skewed.close();
    }
  });
});

describe('retries', () => {
  it('throttling then success is retried: two calls recorded', async () => {
    const { logger, lines } = captureLogger();
    hbr.injectFaults('InstallBackupClients', { kind: 'throttling' });
    const [submission] = await client({ logger }).installBackupClients([makeInstanceId(1)]);
    expect(submission?.taskId).toMatch(/^t-/);
    expect(hbr.callsOf('InstallBackupClients').map((c) => c.code)).toEqual(['Throttling.User', '200']);
    expect(lines.map((l) => [l.code, l.attempt])).toEqual([
      ['Throttling.User', 1],
      ['200', 2],
    ]);
  });

  // DescribeTask only reads: every transient failure is worth another try.
  it.each<[HbrFault, string]>([
    [{ kind: 'unavailable-503' }, 'ServiceUnavailable'],
    [{ kind: 'internal-500' }, 'InternalError'],
    [{ kind: 'html-502' }, 'BadGateway'],
    [{ kind: 'reset' }, 'NetworkError'],
    [{ kind: 'slow', delayMs: 5000 }, 'Timeout'],
  ])('DescribeTask: %o is transient (%s) and retried', async (fault, code) => {
    const [submission] = await client().installBackupClients([makeInstanceId(1)]);
    const { logger, lines } = captureLogger();
    hbr.injectFaults('DescribeTask', fault);
    const started = Date.now();
    const report = await client({ logger, readTimeoutMs: 250 }).describeTask(submission!.taskId!);
    expect(report.phase).toBe('completed');
    expect(hbr.callsOf('DescribeTask')).toHaveLength(2);
    expect(lines.map((l) => l.code)).toEqual([code, '200']);
    expect(lines[0]?.transient).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  // Install and uninstall start a task and HBR takes no idempotency token: re-sent only when the
  // failure proves HBR did not act.
  it('InstallBackupClients: a 503 is a refusal, retried: one task', async () => {
    hbr.injectFaults('InstallBackupClients', { kind: 'unavailable-503' });
    const [submission] = await client().installBackupClients([makeInstanceId(1)]);
    expect(submission?.taskId).toMatch(/^t-/);
    expect(hbr.callsOf('InstallBackupClients').map((c) => c.code)).toEqual(['ServiceUnavailable', '200']);
    expect(hbr.tasks()).toHaveLength(1);
  });

  it.each<[HbrFault, string, number]>([
    [{ kind: 'internal-500' }, 'InternalError', 0],
    [{ kind: 'html-502' }, 'BadGateway', 0],
    [{ kind: 'reset' }, 'NetworkError', 0],
    // The stand-in, like HBR, starts the task before its late answer.
    [{ kind: 'slow', delayMs: 5000 }, 'Timeout', 1],
  ])(
    'InstallBackupClients: %o leaves the outcome unknown (%s): asked once, never again',
    async (fault, code, tasks) => {
      const { logger, lines } = captureLogger();
      hbr.injectFaults('InstallBackupClients', fault);
      const err = await hbrFailure(client({ logger, readTimeoutMs: 250 }).installBackupClients([makeInstanceId(1)]));
      expect(err).toMatchObject({ code, transient: true, outcomeUnknown: true });
      expect(hbr.callsOf('InstallBackupClients')).toHaveLength(1);
      expect(lines.map((l) => [l.code, l.outcomeUnknown])).toEqual([[code, true]]);
      expect(hbr.tasks()).toHaveLength(tasks);
      expect(hbr.callsOf('InstallBackupClients').filter((c) => c.ok)).toHaveLength(tasks);
    },
  );

  it('UninstallBackupClients: a connection reset is not re-sent either', async () => {
    const id = makeInstanceId(7);
    hbr.seedClient(id);
    hbr.injectFaults('UninstallBackupClients', { kind: 'reset' });
    const err = await hbrFailure(client().uninstallBackupClients([id]));
    expect(err).toMatchObject({ code: 'NetworkError', outcomeUnknown: true });
    expect(hbr.callsOf('UninstallBackupClients')).toHaveLength(1);
  });

  it('gives up after the configured retries with the last transient error', async () => {
    hbr.injectFaults('DescribeTask', { kind: 'throttling' }, { kind: 'throttling' }, { kind: 'throttling' });
    const err = await hbrFailure(
      client({ retry: { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 5 } }).describeTask('t-x'),
    );
    expect(err).toMatchObject({ code: 'Throttling.User', transient: true, httpStatus: 400 });
    expect(hbr.callsOf('DescribeTask')).toHaveLength(3);
    expect(hbr.pendingFaults('DescribeTask')).toBe(0);
  });

  it('describeTask can override the retry count per call', async () => {
    hbr.injectFaults('DescribeTask', { kind: 'internal-500' }, { kind: 'internal-500' });
    const err = await hbrFailure(client().describeTask('t-x', undefined, { retries: 1 }));
    expect(err).toMatchObject({ code: 'InternalError', httpStatus: 500, transient: true });
    expect(hbr.callsOf('DescribeTask')).toHaveLength(2);
  });

  it('forbidden-ram is permanent: one call, and the explanation names the permission', async () => {
    hbr.injectFaults('InstallBackupClients', { kind: 'forbidden-ram' });
    const err = await hbrFailure(client().installBackupClients([makeInstanceId(1)]));
    expect(err).toMatchObject({ code: 'Forbidden.RAM', httpStatus: 403, transient: false });
    expect(explainApiFailure(err)).toBe(
      "the AccessKey's RAM user lacks permission hbr:InstallBackupClients — grant it (see README: RAM permissions)",
    );
    expect(hbr.callsOf('InstallBackupClients')).toHaveLength(1);
  });

  it('a whole-call CloudAssistNotRunningOnInstance is permanent', async () => {
    hbr.injectFaults('InstallBackupClients', { kind: 'cloud-assist-error' });
    const err = await hbrFailure(client().installBackupClients([makeInstanceId(1)]));
    expect(err).toMatchObject({ code: 'CloudAssistNotRunningOnInstance', transient: false });
    expect(explainApiFailure(err)).toMatch(/Cloud Assistant/);
    expect(hbr.callsOf('InstallBackupClients')).toHaveLength(1);
  });

  it('a 200 answer with Success:false is an HbrError with the answer Code', async () => {
    hbr.injectFaults('InstallBackupClients', { kind: 'success-false', code: 'OperationDenied.InvalidState' });
    const err = await hbrFailure(client().installBackupClients([makeInstanceId(1)]));
    expect(err).toMatchObject({ code: 'OperationDenied.InvalidState', httpStatus: 200, transient: false });
    expect(err.requestId).toBe(hbr.calls[0]?.requestId);
    expect(hbr.calls).toHaveLength(1);
  });

  it('a refused connection is a transient NetworkError that reached nobody: retried, installs too', async () => {
    const port = await closedPort();
    const unreachable = (logger: Logger) =>
      client({ endpoint: `http://127.0.0.1:${port}`, logger, retry: { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 5 } });
    for (const call of [
      (c: HbrClient) => c.describeTask('t-x'),
      (c: HbrClient) => c.installBackupClients([makeInstanceId(1)]),
    ]) {
      const { logger, lines } = captureLogger();
      const err = await hbrFailure(call(unreachable(logger)));
      expect(err).toMatchObject({
        code: 'NetworkError',
        transient: true,
        outcomeUnknown: false,
        httpStatus: null,
        requestId: null,
      });
      expect(lines.map((l) => [l.code, l.attempt])).toEqual([
        ['NetworkError', 1],
        ['NetworkError', 2],
        ['NetworkError', 3],
      ]);
    }
  });
});

describe('logging, regions and endpoints', () => {
  it('logs one line per call with action, region, RequestId, code, latency and attempt, and no secret', async () => {
    const { logger, lines, raw } = captureLogger();
    const [submission] = await client({ logger }).installBackupClients([makeInstanceId(1)], 'cn-beijing');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      action: 'InstallBackupClients',
      region: 'cn-beijing',
      requestId: submission?.requestId,
      code: '200',
      attempt: 1,
    });
    expect(typeof lines[0]?.latencyMs).toBe('number');
    await hbrFailure(client({ logger, credential: accessKeyCredential(AK, 'wrong-secret-xyz') }).describeTask('t-x'));
    expect(raw.join('')).not.toMatch(/hbr-stand-in-secret-0001|wrong-secret-xyz/);
  });

  it('resolves regional endpoints and overrides', () => {
    expect(resolveEndpoint('cn-hangzhou')).toEqual({ host: 'hbr.cn-hangzhou.aliyuncs.com', protocol: 'HTTPS' });
    expect(resolveEndpoint('ap-southeast-1', 'http://127.0.0.1:9100')).toEqual({
      host: '127.0.0.1:9100',
      protocol: 'HTTP',
    });
    expect(resolveEndpoint('cn-beijing', 'https://hbr-vpc.cn-beijing.aliyuncs.com/')).toEqual({
      host: 'hbr-vpc.cn-beijing.aliyuncs.com',
      protocol: 'HTTPS',
    });
    expect(resolveEndpoint('cn-beijing', 'hbr.example.internal:8443')).toEqual({
      host: 'hbr.example.internal:8443',
      protocol: 'HTTPS',
    });
    expect(() => resolveEndpoint('cn-beijing', 'ftp://x')).toThrow(/http/);
    expect(() => resolveEndpoint('cn-beijing', 'http://x/some/path')).toThrow(/path/);
    // An override with user info is refused without quoting it: the error reaches logs and Slack.
    const withUserInfo = () => resolveEndpoint('cn-beijing', 'https://admin:hunter2-secret@hbr.example.internal');
    expect(withUserInfo).toThrow(/must be scheme:\/\/host\[:port\] with no path, query or user info/);
    expect(withUserInfo).not.toThrow(/hunter2-secret|admin/);
  });

  it('refuses a malformed region', async () => {
    expect(
      () =>
        new HbrClient({ defaultRegion: 'Hangzhou', endpoint: hbr.url, credential: accessKeyCredential(AK, SECRET) }),
    ).toThrow(HbrError);
    const err = await hbrFailure(client().describeTask('t-x', 'cn-hangzhou.evil.com/'));
    expect(err).toMatchObject({ code: 'InvalidRegion', transient: false });
    expect(hbr.calls).toHaveLength(0);
  });
});
