/**
 * The HBR stand-in itself, driven by hand-made (hand-signed) HTTP requests and by the client's
 * lower layer (HbrClient.callAction), so its refusals are proven independently of the typed client.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { percentEncode, signAcs3, signV2 } from '../../sandbox/alibaba-signature.js';
import { type HbrStandIn, makeInstanceId, startHbrStandIn } from '../../sandbox/hbr-api-server.js';
import { accessKeyCredential, HbrClient } from '../../src/hbr/client.js';
import { explainApiFailure } from '../../src/slack/messages/failure-words.js';
import { hbrFailure } from '../support/hbr-failure.js';

const AK = 'LTAI5tTestKeyId0003';
const SECRET = 'hbr-stand-in-secret-0003';
const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

let hbr: HbrStandIn;

beforeEach(async () => {
  hbr = await startHbrStandIn({ accessKeyId: AK, accessKeySecret: SECRET });
});

afterEach(async () => {
  await hbr.close();
});

// --- raw HTTP helpers --------------------------------------------------------------------------

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: Record<string, unknown> | null;
}

interface RawRequest {
  method?: string;
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
}

function encodeParams(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
}

function send(request: RawRequest): Promise<RawResponse> {
  const url = new URL(hbr.url);
  const query = encodeParams(request.query ?? {});
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: request.method ?? 'POST',
        path: `${request.path ?? '/'}${query ? `?${query}` : ''}`,
        headers: request.headers ?? {},
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | null = null;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = null;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(request.body ?? '');
  });
}

interface SignedOptions {
  form?: Record<string, string>;
  date?: string;
  nonce?: string;
  version?: string;
  secret?: string;
}

/** An ACS3-HMAC-SHA256 request signed with the test's own signer. */
function signedAcs3(action: string, query: Record<string, string>, options: SignedOptions = {}): RawRequest {
  const body = options.form ? encodeParams(options.form) : '';
  const headers: Record<string, string> = {
    host: new URL(hbr.url).host,
    'x-acs-action': action,
    'x-acs-version': options.version ?? '2017-09-08',
    'x-acs-date': options.date ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'x-acs-signature-nonce': options.nonce ?? randomUUID(),
    ...(options.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
  };
  const signed = signAcs3({ method: 'POST', path: '/', query, headers, body }, AK, options.secret ?? SECRET);
  return { query, headers: signed, body };
}

function lowerLayer(): HbrClient {
  return new HbrClient({
    defaultRegion: 'cn-hangzhou',
    endpoint: hbr.url,
    credential: accessKeyCredential(AK, SECRET),
    retry: { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 5 },
  });
}

function expectAlibabaError(res: RawResponse, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.json).toMatchObject({ Code: code, HostId: new URL(hbr.url).host });
  expect(res.json?.RequestId).toMatch(UUID);
  expect(typeof res.json?.Message).toBe('string');
  expect(res.json?.Recommend).toContain(encodeURIComponent(code));
}

// --- tests -------------------------------------------------------------------------------------

describe('a hand-signed request', () => {
  it('is accepted (ACS3) and answered like HBR', async () => {
    const id = makeInstanceId(1);
    const res = await send(signedAcs3('InstallBackupClients', { InstanceIds: JSON.stringify([id]) }));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      Code: '200',
      Message: 'successful',
      Success: true,
      TaskId: hbr.taskIds()[0],
      InstanceStatuses: [{ InstanceId: id, ValidInstance: true, ErrorCode: '' }],
    });
    expect(res.json?.RequestId).toMatch(UUID);
    expect(hbr.calls[0]).toMatchObject({ signature: 'ACS3-HMAC-SHA256', ok: true, code: '200', httpStatus: 200 });
  });

  it('is accepted (v2, signature in the query)', async () => {
    const params = signV2(
      'POST',
      {
        Action: 'DescribeBackupClients',
        Version: '2017-09-08',
        Format: 'JSON',
        AccessKeyId: AK,
        SignatureMethod: 'HMAC-SHA1',
        SignatureVersion: '1.0',
        SignatureNonce: randomUUID(),
        Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        ClientType: 'ECS_CLIENT',
      },
      SECRET,
    );
    const res = await send({ query: params, headers: { host: new URL(hbr.url).host } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ Success: true, TotalCount: 0, Clients: [] });
    expect(hbr.calls[0]).toMatchObject({ signature: 'v2', action: 'DescribeBackupClients', accessKeyId: AK });
  });
});

describe('InstanceIds validation', () => {
  it('refuses 21 IDs with InvalidParameter (raw and through the client lower layer)', async () => {
    const ids = Array.from({ length: 21 }, (_, i) => makeInstanceId(i));
    expectAlibabaError(
      await send(signedAcs3('InstallBackupClients', { InstanceIds: JSON.stringify(ids) })),
      400,
      'InvalidParameter',
    );

    const err = await hbrFailure(
      lowerLayer().callAction('InstallBackupClients', { query: { InstanceIds: JSON.stringify(ids) } }),
    );
    expect(err).toMatchObject({ code: 'InvalidParameter', httpStatus: 400, transient: false });
    expect(hbr.callsOf('InstallBackupClients').map((c) => c.code)).toEqual(['InvalidParameter', 'InvalidParameter']);
    expect(hbr.taskIds()).toEqual([]);
  });

  it('refuses the flattened InstanceIds.1= form with InvalidParameter', async () => {
    const [a, b] = [makeInstanceId(1), makeInstanceId(2)];
    expectAlibabaError(
      await send(signedAcs3('InstallBackupClients', { 'InstanceIds.1': a, 'InstanceIds.2': b })),
      400,
      'InvalidParameter',
    );

    const err = await hbrFailure(
      lowerLayer().callAction('UninstallBackupClients', { query: { 'InstanceIds.1': a, 'InstanceIds.2': b } }),
    );
    expect(err).toMatchObject({ code: 'InvalidParameter', transient: false });
    expect(explainApiFailure(err)).toMatch(/bot bug/);
    expect(hbr.callsOf('UninstallBackupClients')).toHaveLength(1);
  });

  it.each([
    ['a comma list', 'i-bp000000000000000001,i-bp000000000000000002', 'InvalidParameter'],
    ['a JSON array of numbers', '[1,2]', 'InvalidParameter'],
    ['an empty JSON array', '[]', 'InvalidParameter'],
    ['a JSON object', '{"InstanceIds":["i-bp000000000000000001"]}', 'InvalidParameter'],
  ])('refuses %s', async (_label, value, code) => {
    expectAlibabaError(await send(signedAcs3('InstallBackupClients', { InstanceIds: value })), 400, code);
  });

  it('answers MissingParameter without InstanceIds', async () => {
    expectAlibabaError(await send(signedAcs3('InstallBackupClients', {})), 400, 'MissingParameter');
  });
});

describe('envelope checks', () => {
  it('refuses a timestamp more than 15 minutes old, and a malformed one', async () => {
    const old = new Date(Date.now() - 16 * 60 * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expectAlibabaError(
      await send(signedAcs3('DescribeTask', { TaskId: 't-x' }, { date: old })),
      400,
      'InvalidTimeStamp.Expired',
    );
    expectAlibabaError(
      await send(signedAcs3('DescribeTask', { TaskId: 't-x' }, { date: 'yesterday' })),
      400,
      'InvalidTimeStamp.Format',
    );
  });

  it('refuses a replayed signature nonce', async () => {
    const request = signedAcs3('DescribeBackupClients', { ClientType: 'ECS_CLIENT' });
    expect((await send(request)).status).toBe(200);
    expectAlibabaError(await send(request), 400, 'SignatureNonceUsed');
  });

  it('refuses a body changed after signing', async () => {
    const request = signedAcs3(
      'DescribeBackupClients',
      { ClientType: 'ECS_CLIENT' },
      { form: { InstanceIds: '["i-bp000000000000000001"]' } },
    );
    expectAlibabaError(await send({ ...request, body: 'InstanceIds=%5B%5D' }), 400, 'SignatureDoesNotMatch');
  });

  it('refuses a request signed with another secret, and one with no signature at all', async () => {
    expectAlibabaError(
      await send(signedAcs3('DescribeTask', { TaskId: 't-x' }, { secret: 'nope' })),
      400,
      'SignatureDoesNotMatch',
    );
    expectAlibabaError(
      await send({
        query: { TaskId: 't-x' },
        headers: { 'x-acs-action': 'DescribeTask', 'x-acs-version': '2017-09-08' },
      }),
      400,
      'MissingSignature',
    );
    expect(hbr.calls.at(-1)?.signature).toBe('none');
  });

  it('checks the API version and the action', async () => {
    expectAlibabaError(
      await send(signedAcs3('DescribeTask', { TaskId: 't-x' }, { version: '2020-01-01' })),
      400,
      'InvalidVersion',
    );
    expectAlibabaError(await send(signedAcs3('DescribeClients', {})), 404, 'InvalidAction.NotFound');
  });

  it('records every request, refused ones included', async () => {
    await send(signedAcs3('DescribeTask', { TaskId: 't-x' }, { secret: 'nope' }));
    await send(signedAcs3('DescribeTask', { TaskId: 't-x' }));
    expect(hbr.calls.map((c) => [c.action, c.ok, c.code, c.httpStatus])).toEqual([
      ['DescribeTask', false, 'SignatureDoesNotMatch', 400],
      ['DescribeTask', false, 'InvalidTaskId.NotFound', 404],
    ]);
    expect(hbr.calls[1]?.params).toEqual({ TaskId: 't-x' });
  });
});

describe('DescribeBackupClients parameters', () => {
  it('requires ClientType=ECS_CLIENT', async () => {
    expectAlibabaError(await send(signedAcs3('DescribeBackupClients', {})), 400, 'MissingParameter');
    expectAlibabaError(
      await send(signedAcs3('DescribeBackupClients', { ClientType: 'SAP_HANA_CLIENT' })),
      400,
      'InvalidParameter',
    );
  });

  it('wants InstanceIds in the form body, not the query', async () => {
    const ids = JSON.stringify([makeInstanceId(1)]);
    const err = await hbrFailure(
      lowerLayer().callAction('DescribeBackupClients', { query: { ClientType: 'ECS_CLIENT', InstanceIds: ids } }),
    );
    expect(err).toMatchObject({ code: 'InvalidParameter', transient: false });
    const ok = await lowerLayer().callAction('DescribeBackupClients', {
      query: { ClientType: 'ECS_CLIENT' },
      body: { InstanceIds: ids },
    });
    expect(ok).toMatchObject({ Success: true, TotalCount: 0 });
  });

  it('refuses PageSize outside 1..99', async () => {
    expectAlibabaError(
      await send(signedAcs3('DescribeBackupClients', { ClientType: 'ECS_CLIENT', PageSize: '100' })),
      400,
      'InvalidParameter',
    );
    expectAlibabaError(
      await send(signedAcs3('DescribeBackupClients', { ClientType: 'ECS_CLIENT', PageSize: '0' })),
      400,
      'InvalidParameter',
    );
  });
});

describe('faults and lifecycle', () => {
  it('serves an HTML 502 page with content-type text/html', async () => {
    hbr.injectFaults('DescribeTask', { kind: 'html-502' });
    const res = await send(signedAcs3('DescribeTask', { TaskId: 't-x' }));
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toBe('text/html');
    expect(res.text).toContain('<h1>502 Bad Gateway</h1>');
    expect(hbr.calls[0]).toMatchObject({ code: 'BadGateway', httpStatus: 502, ok: false });
  });

  it('close() does not wait for a slow answer', async () => {
    hbr.injectFaults('DescribeTask', { kind: 'slow', delayMs: 60_000 });
    const pending = send(signedAcs3('DescribeTask', { TaskId: 't-x' })).catch((err: unknown) => err);
    await expect.poll(() => hbr.calls.length).toBe(1);
    const started = Date.now();
    await hbr.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
    await hbr.close(); // closing twice is harmless (afterEach closes it once more)
  });
});
