/**
 * Proves the signature checker the HBR stand-in uses. The expected canonical strings below were
 * written by hand from the steps in shared/hbr-api.md, and the expected signatures were computed
 * independently (Python hashlib/hmac), so neither depends on the code under test.
 */
import { describe, expect, it } from 'vitest';

import {
  type Acs3Request,
  acs3CanonicalRequest,
  acs3Signature,
  acs3StringToSign,
  canonicalizeParams,
  parseAcs3Authorization,
  percentEncode,
  sha256Hex,
  signAcs3,
  signV2,
  v2Signature,
  v2StringToSign,
  verifyAcs3,
  verifyV2,
} from '../../sandbox/alibaba-signature.js';

const SECRET = 'test-secret';
const secretFor = (id: string): string | undefined => (id === 'testid' ? SECRET : undefined);

// --- a DescribeBackupClients request, signed by hand ---------------------------------------------
const BODY = 'InstanceIds=%5B%22i-bp1abcdefgh%22%5D';
const BODY_HASH = '36b0870270c39fe0192a309223217df82c13d9051f1012e3a58b85183bf4bb0a';
const SIGNED_HEADERS = [
  'host',
  'x-acs-action',
  'x-acs-content-sha256',
  'x-acs-date',
  'x-acs-signature-nonce',
  'x-acs-version',
  'content-type',
];
const EXPECTED_CANONICAL_REQUEST =
  'POST\n' +
  '/\n' +
  'ClientType=ECS_CLIENT&Note=it%27s%20%28a%29%20%2Atest%2A%21&PageNumber=1&PageSize=99\n' +
  'host:hbr.cn-hangzhou.aliyuncs.com\n' +
  'x-acs-action:DescribeBackupClients\n' +
  `x-acs-content-sha256:${BODY_HASH}\n` +
  'x-acs-date:2024-05-01T08:00:00Z\n' +
  'x-acs-signature-nonce:5f3c8a0e-nonce\n' +
  'x-acs-version:2017-09-08\n' +
  'content-type:application/x-www-form-urlencoded\n' +
  '\n' +
  'host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version;content-type\n' +
  BODY_HASH;
const EXPECTED_STRING_TO_SIGN = 'ACS3-HMAC-SHA256\n4c37d64a73d5b14220934d960dce1636cff6f31a068fa5400638a2e456cc2cda';
const EXPECTED_SIGNATURE = '90f97179cf496aa1e9183e9d08b2e15ae227f0b4a667b1a322e12560d3b352a0';

function handSignedRequest(overrides: Partial<Acs3Request> = {}): Acs3Request {
  return {
    method: 'POST',
    path: '/',
    query: { PageSize: '99', ClientType: 'ECS_CLIENT', PageNumber: '1', Note: "it's (a) *test*!" },
    headers: {
      host: 'hbr.cn-hangzhou.aliyuncs.com',
      'x-acs-action': 'DescribeBackupClients',
      'x-acs-content-sha256': BODY_HASH,
      'x-acs-date': '2024-05-01T08:00:00Z',
      // Extra spaces: canonical headers use the trimmed value.
      'x-acs-signature-nonce': '  5f3c8a0e-nonce ',
      'x-acs-version': '2017-09-08',
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'not signed',
      authorization: `ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=${SIGNED_HEADERS.join(';')},Signature=${EXPECTED_SIGNATURE}`,
    },
    body: BODY,
    ...overrides,
  };
}

describe('shared primitives', () => {
  it("percent-encodes like encodeURIComponent plus ! ' ( ) *", () => {
    expect(percentEncode('a b!\'()*~-._/[]"')).toBe('a%20b%21%27%28%29%2A~-._%2F%5B%5D%22');
    expect(percentEncode('é')).toBe('%C3%A9');
  });

  it('canonicalizes parameters sorted by key', () => {
    expect(canonicalizeParams({ b: '2', a: 'x y', C: '' })).toBe('C=&a=x%20y&b=2');
  });

  it('hashes the body', () => {
    expect(sha256Hex(BODY)).toBe(BODY_HASH);
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('ACS3-HMAC-SHA256', () => {
  it('builds the canonical request, string to sign and signature of the documented steps', () => {
    const request = handSignedRequest();
    const canonical = acs3CanonicalRequest(request, SIGNED_HEADERS, BODY_HASH);
    expect(canonical).toBe(EXPECTED_CANONICAL_REQUEST);
    expect(acs3StringToSign(canonical)).toBe(EXPECTED_STRING_TO_SIGN);
    expect(acs3Signature(SECRET, EXPECTED_STRING_TO_SIGN)).toBe(EXPECTED_SIGNATURE);
  });

  it('parses the Authorization header', () => {
    expect(
      parseAcs3Authorization('ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-date,Signature=ab12'),
    ).toEqual({
      algorithm: 'ACS3-HMAC-SHA256',
      accessKeyId: 'AK',
      signedHeaders: ['host', 'x-acs-date'],
      signature: 'ab12',
    });
    expect(parseAcs3Authorization('ACS3-HMAC-SHA256 Credential=AK')).toBeNull();
    expect(parseAcs3Authorization('garbage')).toBeNull();
  });

  it('accepts the hand-signed request', () => {
    expect(verifyAcs3(handSignedRequest(), secretFor)).toEqual({ ok: true, accessKeyId: 'testid' });
  });

  it('refuses a changed query value, header value or method', () => {
    const base = handSignedRequest();
    for (const tampered of [
      handSignedRequest({ query: { ...base.query, PageNumber: '2' } }),
      handSignedRequest({ headers: { ...base.headers, 'x-acs-date': '2024-05-01T08:00:01Z' } }),
      handSignedRequest({ method: 'GET' }),
      handSignedRequest({ path: '/v2' }),
    ]) {
      expect(verifyAcs3(tampered, secretFor)).toMatchObject({
        ok: false,
        code: 'SignatureDoesNotMatch',
        httpStatus: 400,
      });
    }
  });

  it('refuses a body that does not match x-acs-content-sha256', () => {
    const check = verifyAcs3(handSignedRequest({ body: 'InstanceIds=%5B%5D' }), secretFor);
    expect(check).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('refuses a signature made with another secret', () => {
    const check = verifyAcs3(handSignedRequest(), () => 'another-secret');
    expect(check).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch', accessKeyId: 'testid' });
  });

  it('answers InvalidAccessKeyId.NotFound (404) for an unknown key', () => {
    expect(verifyAcs3(handSignedRequest(), () => undefined)).toMatchObject({
      ok: false,
      code: 'InvalidAccessKeyId.NotFound',
      httpStatus: 404,
    });
  });

  it('refuses a signed header missing from the request, and required headers left unsigned', () => {
    const base = handSignedRequest();
    const { 'content-type': _dropped, ...withoutContentType } = base.headers;
    expect(verifyAcs3(handSignedRequest({ headers: withoutContentType }), secretFor)).toMatchObject({
      ok: false,
      code: 'SignatureDoesNotMatch',
    });

    const unsigned = handSignedRequest({
      headers: {
        ...base.headers,
        authorization: `ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-date,Signature=${EXPECTED_SIGNATURE}`,
      },
    });
    expect(verifyAcs3(unsigned, secretFor)).toMatchObject({ ok: false, code: 'IncompleteSignature' });
  });

  it('refuses a missing or foreign Authorization header', () => {
    const base = handSignedRequest();
    const { authorization: _gone, ...noAuth } = base.headers;
    expect(verifyAcs3(handSignedRequest({ headers: noAuth }), secretFor)).toMatchObject({
      ok: false,
      code: 'MissingSignature',
    });
    const foreign = handSignedRequest({
      headers: { ...base.headers, authorization: 'AWS4-HMAC-SHA256 Credential=testid,SignedHeaders=host,Signature=00' },
    });
    expect(verifyAcs3(foreign, secretFor)).toMatchObject({ ok: false, code: 'IncompleteSignature' });
  });

  it('signAcs3 produces requests verifyAcs3 accepts', () => {
    const request: Acs3Request = {
      method: 'POST',
      path: '/',
      query: { InstanceIds: '["i-bp1abcdefgh"]' },
      headers: {
        host: '127.0.0.1:1',
        'x-acs-action': 'InstallBackupClients',
        'x-acs-version': '2017-09-08',
        'x-acs-date': '2024-05-01T08:00:00Z',
      },
      body: '',
    };
    const headers = signAcs3(request, 'testid', SECRET);
    expect(verifyAcs3({ ...request, headers }, secretFor)).toEqual({ ok: true, accessKeyId: 'testid' });
  });
});

describe('v2 HMAC-SHA1', () => {
  const params: Record<string, string> = {
    AccessKeyId: 'testid',
    Action: 'DescribeTask',
    Format: 'json',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
    SignatureVersion: '1.0',
    TaskId: 't-abc(1)',
    Timestamp: '2016-02-23T12:46:24Z',
    Version: '2017-09-08',
  };
  const EXPECTED_V2_STRING_TO_SIGN =
    'POST&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeTask%26Format%3Djson%26SignatureMethod%3DHMAC-SHA1' +
    '%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26TaskId%3Dt-abc%25281%2529' +
    '%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2017-09-08';
  const EXPECTED_V2_SIGNATURE = 'xi0b2Lil1h2MbbwRur/6ZQcBLkw=';
  const v2Secret = (id: string): string | undefined => (id === 'testid' ? 'testsecret' : undefined);

  it('builds the documented string to sign and signature (Signature itself excluded)', () => {
    expect(v2StringToSign('POST', params)).toBe(EXPECTED_V2_STRING_TO_SIGN);
    expect(v2StringToSign('POST', { ...params, Signature: 'ignored' })).toBe(EXPECTED_V2_STRING_TO_SIGN);
    expect(v2Signature('testsecret', EXPECTED_V2_STRING_TO_SIGN)).toBe(EXPECTED_V2_SIGNATURE);
  });

  it('accepts the hand-signed parameters and refuses tampering', () => {
    const signed = { ...params, Signature: EXPECTED_V2_SIGNATURE };
    expect(verifyV2('POST', signed, v2Secret)).toEqual({ ok: true, accessKeyId: 'testid' });
    expect(verifyV2('POST', { ...signed, TaskId: 't-abc(2)' }, v2Secret)).toMatchObject({
      ok: false,
      code: 'SignatureDoesNotMatch',
    });
    expect(verifyV2('GET', signed, v2Secret)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(verifyV2('POST', { ...signed, InstanceIds: '["x"]' }, v2Secret)).toMatchObject({
      ok: false,
      code: 'SignatureDoesNotMatch',
    });
    expect(verifyV2('POST', signed, () => 'other')).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(verifyV2('POST', signed, () => undefined)).toMatchObject({
      ok: false,
      code: 'InvalidAccessKeyId.NotFound',
      httpStatus: 404,
    });
    expect(verifyV2('POST', params, v2Secret)).toMatchObject({ ok: false, code: 'MissingSignature' });
  });

  it('signV2 produces parameters verifyV2 accepts', () => {
    expect(signV2('POST', params, 'testsecret').Signature).toBe(EXPECTED_V2_SIGNATURE);
  });
});
