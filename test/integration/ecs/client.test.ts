/**
 * EcsClient against the ECS stand-in over real HTTP (real @alicloud/openapi-client, signatures
 * checked), and the agreement between the ECS and HBR stand-ins on one instance script.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EcsStandIn, startEcsStandIn } from '../../../sandbox/ecs-api-server.js';
import { makeInstanceId, SCRIPTED_STATES, startHbrStandIn } from '../../../sandbox/hbr-api-server.js';
import { InstanceScript } from '../../../sandbox/instance-script.js';
import { accessKeyCredential, resolveProductEndpoint } from '../../../src/alibaba/rpc-client.js';
import { combineFacts, instanceReadiness } from '../../../src/domain/preflight.js';
import { EcsClient, type EcsClientOptions } from '../../../src/ecs/client.js';
import { EcsError, toEcsError } from '../../../src/ecs/errors.js';
import { HbrClient } from '../../../src/hbr/client.js';
import { explainApiFailure, explainEcsErrorCode } from '../../../src/slack/messages/failure-words.js';

const AK = 'LTAI5tTestKeyIdEcs01';
const SECRET = 'ecs-stand-in-secret-0001';
const FAST_RETRY = { retries: 2, minTimeoutMs: 5, maxTimeoutMs: 20 };

let ecs: EcsStandIn;

function client(overrides: Partial<EcsClientOptions> = {}): EcsClient {
  return new EcsClient({
    defaultRegion: 'cn-hangzhou',
    endpoint: ecs.url,
    credential: accessKeyCredential(AK, SECRET),
    retry: FAST_RETRY,
    connectTimeoutMs: 2000,
    readTimeoutMs: 2000,
    ...overrides,
  });
}

/** The EcsError a call that must fail rejects with. */
async function failure(promise: Promise<unknown>): Promise<EcsError> {
  const outcome = await promise.then(
    () => new Error('expected the call to fail'),
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(EcsError);
  return outcome as EcsError;
}

beforeEach(async () => {
  ecs = await startEcsStandIn({ accessKeyId: AK, accessKeySecret: SECRET });
});

afterEach(async () => {
  await ecs.close();
});

describe('describeInstances', () => {
  it('describes the instances ECS knows, with RegionId and InstanceIds as a JSON array string', async () => {
    const [web, stopped, missing] = [1, 2, 3].map(makeInstanceId) as [string, string, string];
    ecs.script.set(web, 'running', { name: 'web-01' });
    ecs.script.set(stopped, 'stopped', { osType: 'windows' });
    ecs.script.set(missing, 'missing');

    const instances = await client().describeInstances([web, stopped, missing], 'cn-shanghai');

    expect(instances.map((i) => i.instanceId).sort()).toEqual([web, stopped].sort());
    expect(instances.find((i) => i.instanceId === web)).toEqual({
      instanceId: web,
      instanceName: 'web-01',
      status: 'Running',
      osType: 'linux',
      osName: 'Alibaba Cloud Linux 3.2104 LTS 64 bit',
      instanceType: 'ecs.g7.large',
      tags: [{ key: 'app', value: 'web' }],
    });
    expect(instances.find((i) => i.instanceId === stopped)).toMatchObject({
      status: 'Stopped',
      osType: 'windows',
      instanceName: `web-${stopped.slice(-4)}`,
    });
    const [call] = ecs.callsOf('DescribeInstances');
    expect(call?.params).toMatchObject({
      RegionId: 'cn-shanghai',
      InstanceIds: JSON.stringify([web, stopped, missing]),
      PageSize: '100',
    });
    expect(call?.signature).toBe('ACS3-HMAC-SHA256');
  });

  it('asks for at most 100 IDs per call', async () => {
    const ids = Array.from({ length: 230 }, (_, i) => makeInstanceId(i + 1));
    const instances = await client().describeInstances(ids);
    expect(instances).toHaveLength(230);
    expect(
      ecs.callsOf('DescribeInstances').map((c) => (JSON.parse(c.params.InstanceIds ?? '[]') as string[]).length),
    ).toEqual([100, 100, 30]);
  });

  it('signs with v2 (HMAC-SHA1) too', async () => {
    const [id] = [makeInstanceId(7)] as [string];
    expect(await client({ signatureAlgorithm: 'v2' }).describeInstances([id])).toHaveLength(1);
    expect(ecs.callsOf('DescribeInstances')[0]?.signature).toBe('v2');
  });

  it('finds nothing in another region than the instances live in', async () => {
    await ecs.close();
    ecs = await startEcsStandIn({ accessKeyId: AK, accessKeySecret: SECRET, region: 'cn-hangzhou' });
    expect(await client().describeInstances([makeInstanceId(1)], 'cn-beijing')).toEqual([]);
    expect(await client().describeInstances([makeInstanceId(1)], 'cn-hangzhou')).toHaveLength(1);
  });

  it('refuses malformed IDs and regions before calling', async () => {
    expect((await failure(client().describeInstances(['web-01']))).code).toBe('InvalidInstanceId');
    expect((await failure(client().describeInstances([makeInstanceId(1)], 'Hangzhou'))).code).toBe('InvalidRegion');
    expect(ecs.calls).toHaveLength(0);
  });
});

describe('describeCloudAssistantStatus', () => {
  it('reads the agent of each instance, InstanceId.N, at most 50 per call', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => makeInstanceId(i + 1));
    const [first, second] = ids as [string, string];
    ecs.script.set(second, 'no-cloud-assist');

    const statuses = await client().describeCloudAssistantStatus(ids);

    expect(statuses).toHaveLength(60);
    expect(statuses.find((s) => s.instanceId === first)).toMatchObject({ running: true, version: '2.2.3.857' });
    expect(statuses.find((s) => s.instanceId === second)).toMatchObject({ running: false });
    expect(statuses.find((s) => s.instanceId === first)?.lastHeartbeatTime).toMatch(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/,
    );
    const calls = ecs.callsOf('DescribeCloudAssistantStatus');
    expect(calls).toHaveLength(2);
    expect(calls[0]?.params).toMatchObject({
      RegionId: 'cn-hangzhou',
      'InstanceId.1': first,
      'InstanceId.50': ids[49],
    });
    expect(calls[1]?.params['InstanceId.10']).toBe(ids[59]);
  });
});

describe('failures', () => {
  it('explains a missing RAM permission as optional, without retrying', async () => {
    ecs.injectFaults('DescribeInstances', { kind: 'forbidden-ram' });
    const err = await failure(client().describeInstances([makeInstanceId(1)]));
    expect(err).toMatchObject({
      code: 'Forbidden.RAM',
      httpStatus: 403,
      transient: false,
      product: 'ECS',
      action: 'DescribeInstances',
    });
    expect(err.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(explainApiFailure(err)).toBe(
      "the AccessKey's RAM identity lacks ecs:DescribeInstances (optional; see README)",
    );
    expect(ecs.callsOf('DescribeInstances')).toHaveLength(1);
  });

  it('retries throttling and 5xx, then answers', async () => {
    ecs.injectFaults('DescribeInstances', { kind: 'throttling' }, { kind: 'unavailable-503' });
    expect(await client().describeInstances([makeInstanceId(1)])).toHaveLength(1);
    expect(ecs.callsOf('DescribeInstances').map((c) => c.code)).toEqual([
      'Throttling.User',
      'ServiceUnavailable',
      '200',
    ]);
  });

  it('gives up on persistent throttling after its retries, in words', async () => {
    ecs.injectFaults('DescribeInstances', ...Array.from({ length: 3 }, () => ({ kind: 'throttling' as const })));
    const err = await failure(client().describeInstances([makeInstanceId(1)]));
    expect(err).toMatchObject({ code: 'Throttling.User', transient: true });
    expect(explainApiFailure(err)).toBe('ECS is throttling this account — wait a minute and request again');
  });

  it('refuses a wrong secret with SignatureDoesNotMatch, worded for ECS', async () => {
    const err = await failure(
      client({ credential: accessKeyCredential(AK, 'not-the-secret') }).describeInstances([makeInstanceId(1)]),
    );
    expect(err.code).toBe('SignatureDoesNotMatch');
    expect(explainApiFailure(err)).toMatch(/^ECS rejected the request signature/);
  });

  it('classifies network failures like HBR does', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(toEcsError('DescribeInstances', refused)).toMatchObject({
      code: 'NetworkError',
      transient: true,
      product: 'ECS',
    });
    expect(explainEcsErrorCode('NetworkError', 'DescribeInstances')).toMatch(/could not reach the ECS endpoint/);
  });

  it('answers with the ECS version only', async () => {
    const hbr = await startHbrStandIn({ accessKeyId: AK, accessKeySecret: SECRET });
    try {
      // The HBR client's version at the ECS stand-in, and the ECS client's at the HBR stand-in.
      const wrongForEcs = new HbrClient({
        defaultRegion: 'cn-hangzhou',
        endpoint: ecs.url,
        credential: accessKeyCredential(AK, SECRET),
        retry: FAST_RETRY,
      });
      await expect(
        wrongForEcs.callAction('DescribeInstances', { query: { RegionId: 'cn-hangzhou' } }),
      ).rejects.toMatchObject({ code: 'InvalidVersion' });
      const wrongForHbr = client({ endpoint: hbr.url });
      expect((await failure(wrongForHbr.describeInstances([makeInstanceId(1)]))).code).toBe('InvalidVersion');
    } finally {
      await hbr.close();
    }
  });

  it('resolves the regional endpoint, or the override', () => {
    expect(resolveProductEndpoint('ecs', 'ECS', 'cn-hangzhou')).toEqual({
      host: 'ecs.cn-hangzhou.aliyuncs.com',
      protocol: 'HTTPS',
    });
    expect(resolveProductEndpoint('ecs', 'ECS', 'cn-beijing', 'http://127.0.0.1:9200')).toEqual({
      host: '127.0.0.1:9200',
      protocol: 'HTTP',
    });
    expect(() => resolveProductEndpoint('ecs', 'ECS', 'cn-beijing', 'http://x/path')).toThrow(/ECS endpoint/);
    expect(() => new EcsClient({ defaultRegion: 'cn-hangzhou', endpoint: 'ftp://ecs' })).toThrow(
      /ECS endpoint "ftp:\/\/ecs" must be http/,
    );
  });
});

describe('the ECS stand-in', () => {
  it('refuses InstanceIds.N for DescribeInstances and a JSON list for DescribeCloudAssistantStatus', async () => {
    const c = client();
    const id = makeInstanceId(1);
    await expect(
      c.callAction('DescribeInstances', { query: { RegionId: 'cn-hangzhou', 'InstanceIds.1': id } }),
    ).rejects.toMatchObject({ code: 'InvalidParameter' });
    await expect(
      c.callAction('DescribeCloudAssistantStatus', {
        query: { RegionId: 'cn-hangzhou', InstanceIds: JSON.stringify([id]) },
      }),
    ).rejects.toMatchObject({
      code: 'InvalidParameter',
    });
    await expect(
      c.callAction('DescribeInstances', { query: { InstanceIds: JSON.stringify([id]) } }),
    ).rejects.toMatchObject({ code: 'MissingParameter' });
    await expect(c.callAction('RunCommand', { query: { RegionId: 'cn-hangzhou' } })).rejects.toMatchObject({
      code: 'InvalidAction.NotFound',
    });
  });

  it('agrees with the HBR stand-in on one script: the instances HBR refuses are the ones the pre-flight flags', async () => {
    const script = new InstanceScript();
    const hbr = await startHbrStandIn({ accessKeyId: AK, accessKeySecret: SECRET, script });
    const shared = await startEcsStandIn({ accessKeyId: AK, accessKeySecret: SECRET, script });
    try {
      const ids = SCRIPTED_STATES.map((state, i) => {
        const id = makeInstanceId(100 + i);
        hbr.setInstance(id, state);
        return id;
      });
      const hbrClient = new HbrClient({
        defaultRegion: 'cn-hangzhou',
        endpoint: hbr.url,
        credential: accessKeyCredential(AK, SECRET),
        retry: FAST_RETRY,
      });
      const ecsClient = client({ endpoint: shared.url });
      const [submission] = await hbrClient.installBackupClients(ids);
      const instances = await ecsClient.describeInstances(ids);
      const agents = await ecsClient.describeCloudAssistantStatus(instances.map((i) => i.instanceId));
      const facts = combineFacts(ids, instances, agents, []);
      const flagged = facts.filter((f) => instanceReadiness(f).level === 'refused').map((f) => f.instanceId);
      const refused = submission?.statuses.filter((s) => !s.valid).map((s) => s.instanceId);
      expect(flagged).toEqual(refused);
      expect(flagged).toHaveLength(3);
      // The name HBR reports for a backup client is the ECS name.
      const [first] = ids as [string];
      hbr.seedClient(first);
      const [seeded] = await hbrClient.describeBackupClients([first]);
      expect(seeded?.instanceName).toBe(instances.find((i) => i.instanceId === first)?.instanceName);
      expect(seeded?.instanceName).toBe(`web-${first.slice(-4)}`);
    } finally {
      await Promise.all([hbr.close(), shared.close()]);
    }
  });
});
