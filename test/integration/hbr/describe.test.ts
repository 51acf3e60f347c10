/**
 * describeTask and describeBackupClients against the HBR stand-in over real HTTP.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type HbrStandIn, makeInstanceId, startHbrStandIn } from '../../../sandbox/hbr-api-server.js';
import { KNOWN_CLIENT_STATUSES } from '../../../src/domain/client-status.js';
import { accessKeyCredential, HbrClient } from '../../../src/hbr/client.js';
import { explainApiFailure } from '../../../src/slack/messages/failure-words.js';
import { clientStatusSentence } from '../../../src/slack/messages/hbr-sentences.js';
import { hbrFailure } from '../../support/hbr-failure.js';

const AK = 'LTAI5tTestKeyId0002';
const SECRET = 'hbr-stand-in-secret-0002';

let hbr: HbrStandIn;
let hbrClient: HbrClient;

/** Installs on these instances and returns the task ID (there must be one). */
async function installTask(ids: string[]): Promise<string> {
  const [submission] = await hbrClient.installBackupClients(ids);
  if (!submission?.taskId) throw new Error('expected a task');
  return submission.taskId;
}

beforeEach(async () => {
  hbr = await startHbrStandIn({ accessKeyId: AK, accessKeySecret: SECRET });
  hbrClient = new HbrClient({
    defaultRegion: 'cn-shanghai',
    endpoint: hbr.url,
    credential: accessKeyCredential(AK, SECRET),
    retry: { retries: 3, minTimeoutMs: 5, maxTimeoutMs: 20 },
  });
});

afterEach(async () => {
  await hbr.close();
});

describe('describeTask', () => {
  it('reports a running task with climbing progress, then the completed result', async () => {
    hbr.setPollsToComplete(3);
    const [ok, fails] = [makeInstanceId(1), makeInstanceId(2)];
    hbr.setInstance(fails, 'install-fails');
    const taskId = await installTask([ok, fails]);

    const first = await hbrClient.describeTask(taskId);
    expect(first).toMatchObject({ taskId, phase: 'running', progress: 33, description: 'created', results: [] });
    expect(first.requestId).toBe(hbr.callsOf('DescribeTask')[0]?.requestId);
    expect(typeof first.updatedAt).toBe('number');
    expect(Math.abs((first.updatedAt ?? 0) - Date.now())).toBeLessThan(5000);

    expect(await hbrClient.describeTask(taskId)).toMatchObject({ phase: 'running', progress: 66 });

    const done = await hbrClient.describeTask(taskId);
    expect(done).toMatchObject({ phase: 'completed', progress: 100, description: 'completed' });
    expect(done.results).toEqual([
      { instanceId: ok, clientId: expect.stringMatching(/^c-/) as unknown, clientStatus: 'ACTIVATED', errorCode: '' },
      {
        instanceId: fails,
        clientId: expect.any(String) as unknown,
        clientStatus: 'INSTALL_FAILED',
        errorCode: 'InstallClientFailed',
      },
    ]);
  });

  it('parses every documented clientStatus, and an unknown one raw', async () => {
    const ids = KNOWN_CLIENT_STATUSES.map((_, i) => makeInstanceId(300 + i));
    for (const [i, status] of KNOWN_CLIENT_STATUSES.entries())
      hbr.scriptResult(ids[i]!, status, status.endsWith('FAILED') ? 'SomeFailure' : '');
    const weird = makeInstanceId(399);
    hbr.setInstance(weird, 'unknown-status');

    const report = await hbrClient.describeTask(await installTask([...ids, weird]));

    expect(report.phase).toBe('completed');
    expect(report.results.map((r) => r.clientStatus)).toEqual([...KNOWN_CLIENT_STATUSES, 'WEIRD_NEW_STATUS']);
    expect(report.results.find((r) => r.clientStatus === 'UPGRADE_FAILED')?.errorCode).toBe('SomeFailure');
    for (const result of report.results.slice(0, KNOWN_CLIENT_STATUSES.length)) {
      expect(clientStatusSentence(result.clientStatus)).not.toMatch(/does not know/);
    }
    expect(clientStatusSentence(report.results.at(-1)!.clientStatus)).toMatch(
      /"WEIRD_NEW_STATUS", which hbr-bot does not know/,
    );
  });

  it('reports uninstall results as NOT_INSTALLED or UNINSTALL_FAILED', async () => {
    const [gone, stuck] = [makeInstanceId(1), makeInstanceId(2)];
    hbr.setInstance(stuck, 'uninstall-fails');
    await hbrClient.describeTask(await installTask([gone, stuck]));
    expect((await hbrClient.describeBackupClients([gone, stuck])).map((c) => c.status)).toEqual([
      'ACTIVATED',
      'ACTIVATED',
    ]);

    const [submission] = await hbrClient.uninstallBackupClients([gone, stuck]);
    const report = await hbrClient.describeTask(submission!.taskId!);
    expect(report.results.map((r) => [r.instanceId, r.clientStatus, r.errorCode])).toEqual([
      [gone, 'NOT_INSTALLED', ''],
      [stuck, 'UNINSTALL_FAILED', 'UninstallClientFailed'],
    ]);
    expect((await hbrClient.describeBackupClients([gone, stuck])).map((c) => c.instanceId)).toEqual([stuck]);
  });

  it('Progress -1 means failed, whatever the Description says', async () => {
    const taskId = await installTask([makeInstanceId(1)]);
    hbr.finishTask(taskId, 'failed');
    expect(await hbrClient.describeTask(taskId)).toMatchObject({
      phase: 'failed',
      progress: -1,
      description: 'completed',
      results: [],
    });
  });

  it.each(['expired', 'cancelled'] as const)('Description %s gives that phase', async (outcome) => {
    hbr.setPollsToComplete(Infinity);
    const taskId = await installTask([makeInstanceId(1)]);
    expect((await hbrClient.describeTask(taskId)).phase).toBe('running');
    hbr.finishTask(taskId, outcome);
    expect(await hbrClient.describeTask(taskId)).toMatchObject({ phase: outcome, description: outcome, results: [] });
  });

  it('a task that never completes keeps reporting running below 100', async () => {
    hbr.setPollsToComplete(Infinity);
    const taskId = await installTask([makeInstanceId(1)]);
    const progress: number[] = [];
    for (let i = 0; i < 25; i += 1) {
      const report = await hbrClient.describeTask(taskId);
      expect(report.phase).toBe('running');
      progress.push(report.progress);
    }
    expect(progress[0]).toBeGreaterThan(0);
    expect(Math.max(...progress)).toBe(99);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('a 200 answer with Success:false is an error, not a report', async () => {
    const taskId = await installTask([makeInstanceId(1)]);
    hbr.injectFaults('DescribeTask', { kind: 'success-false', code: 'Hbr.TaskNotReady' });
    const err = await hbrFailure(hbrClient.describeTask(taskId));
    expect(err).toMatchObject({ code: 'Hbr.TaskNotReady', action: 'DescribeTask', transient: false });
    expect(hbr.callsOf('DescribeTask')).toHaveLength(1);
  });

  it('a Result that is not JSON is a permanent MalformedResult, not retried', async () => {
    const taskId = await installTask([makeInstanceId(1)]);
    hbr.injectFaults('DescribeTask', { kind: 'malformed-result' });
    const err = await hbrFailure(hbrClient.describeTask(taskId));
    expect(err).toMatchObject({ code: 'MalformedResult', transient: false, action: 'DescribeTask' });
    expect(err.requestId).toBe(hbr.callsOf('DescribeTask')[0]?.requestId);
    expect(hbr.callsOf('DescribeTask')).toHaveLength(1);
    // The next poll is fine again.
    expect((await hbrClient.describeTask(taskId)).phase).toBe('completed');
  });

  it('an unknown TaskId is a permanent InvalidTaskId.NotFound', async () => {
    const err = await hbrFailure(hbrClient.describeTask('t-doesnotexist0000000'));
    expect(err).toMatchObject({ code: 'InvalidTaskId.NotFound', httpStatus: 404, transient: false });
    expect(explainApiFailure(err)).toMatch(/region/);
  });
});

describe('describeBackupClients', () => {
  it('pages through 150 clients: ClientType in the query, InstanceIds in the form body', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => makeInstanceId(1000 + i));
    for (const id of ids) hbr.seedClient(id);
    hbr.seedClient(makeInstanceId(5000)); // not asked for

    const clients = await hbrClient.describeBackupClients(ids);

    expect(clients).toHaveLength(150);
    expect(clients.map((c) => c.instanceId)).toEqual(ids);
    const calls = hbr.callsOf('DescribeBackupClients');
    expect(calls.map((c) => [c.query.PageNumber, c.query.PageSize, c.query.ClientType])).toEqual([
      ['1', '99', 'ECS_CLIENT'],
      ['2', '99', 'ECS_CLIENT'],
    ]);
    for (const call of calls) {
      expect(call.form.InstanceIds).toBe(JSON.stringify(ids));
      expect(call.query.InstanceIds).toBeUndefined();
    }
  });

  it('follows TotalCount when the service serves smaller pages than asked', async () => {
    const small = await startHbrStandIn({ accessKeyId: AK, accessKeySecret: SECRET, maxPageSize: 40 });
    try {
      const ids = Array.from({ length: 150 }, (_, i) => makeInstanceId(2000 + i));
      for (const id of ids) small.seedClient(id);
      const viaSmall = new HbrClient({
        defaultRegion: 'cn-shanghai',
        endpoint: small.url,
        credential: accessKeyCredential(AK, SECRET),
      });
      expect(await viaSmall.describeBackupClients(ids)).toHaveLength(150);
      expect(small.callsOf('DescribeBackupClients')).toHaveLength(4);
    } finally {
      await small.close();
    }
  });

  it('stops at a page that adds nothing new, and past ten pages fails with a clear error', async () => {
    const ids = Array.from({ length: 3 }, (_, i) => makeInstanceId(3000 + i));
    for (const paging of ['stuck', 'endless'] as const) {
      const odd = await startHbrStandIn({ accessKeyId: AK, accessKeySecret: SECRET, backupClientPaging: paging });
      try {
        for (const id of ids) odd.seedClient(id);
        const viaOdd = new HbrClient({
          defaultRegion: 'cn-shanghai',
          endpoint: odd.url,
          credential: accessKeyCredential(AK, SECRET),
        });
        if (paging === 'stuck') {
          // Page 2 repeats page 1 while TotalCount claims a million more: two calls, the three clients.
          expect((await viaOdd.describeBackupClients(ids)).map((c) => c.instanceId)).toEqual(ids);
          expect(odd.callsOf('DescribeBackupClients')).toHaveLength(2);
        } else {
          const err = await hbrFailure(viaOdd.describeBackupClients(ids));
          expect(err).toMatchObject({ code: 'TooManyPages', transient: false });
          expect(odd.callsOf('DescribeBackupClients')).toHaveLength(10);
          expect(explainApiFailure(err)).toMatch(
            /HBR kept listing more pages of DescribeBackupClients than the bot follows/,
          );
        }
      } finally {
        await odd.close();
      }
    }
  });

  it('maps the client fields, with LastHeartBeatTime in ms', async () => {
    const id = makeInstanceId(1);
    const clientId = hbr.seedClient(id, {
      instanceName: 'web-01',
      status: 'ACTIVATED',
      clientVersion: '2.10.0',
      maxClientVersion: '2.14.0',
      lastHeartBeatTime: 1_700_000_000,
    });
    expect(await hbrClient.describeBackupClients([id])).toEqual([
      {
        clientId,
        instanceId: id,
        instanceName: 'web-01',
        status: 'ACTIVATED',
        clientVersion: '2.10.0',
        maxClientVersion: '2.14.0',
        lastHeartBeatTime: 1_700_000_000_000,
      },
    ]);
  });

  it('lists the clients an install created, and none for an empty answer', async () => {
    const ids = [makeInstanceId(1), makeInstanceId(2)];
    hbr.setInstance(ids[1]!, 'install-fails');
    expect(await hbrClient.describeBackupClients(ids)).toEqual([]);
    await hbrClient.describeTask(await installTask(ids));
    const clients = await hbrClient.describeBackupClients(ids);
    expect(clients.map((c) => [c.instanceId, c.status])).toEqual([[ids[0], 'ACTIVATED']]);
    expect(clients[0]?.lastHeartBeatTime).toBeGreaterThan(Date.now() - 60_000);
  });

  it('an empty list asks for every ECS client of the region (no InstanceIds sent)', async () => {
    for (let i = 0; i < 3; i += 1) hbr.seedClient(makeInstanceId(i));
    expect(await hbrClient.describeBackupClients([])).toHaveLength(3);
    const [call] = hbr.callsOf('DescribeBackupClients');
    expect(call?.params.InstanceIds).toBeUndefined();
  });

  it('retries a transient failure in the middle of paging', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => makeInstanceId(3000 + i));
    for (const id of ids) hbr.seedClient(id);
    hbr.injectFaults('DescribeBackupClients', { kind: 'slow', delayMs: 0 }, { kind: 'unavailable-503' });
    expect(await hbrClient.describeBackupClients(ids)).toHaveLength(120);
    expect(hbr.callsOf('DescribeBackupClients').map((c) => [c.query.PageNumber, c.code])).toEqual([
      ['1', '200'],
      ['2', 'ServiceUnavailable'],
      ['2', '200'],
    ]);
  });
});
