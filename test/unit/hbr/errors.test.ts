import { describe, expect, it } from 'vitest';
import { KNOWN_CLIENT_STATUSES } from '../../../src/domain/client-status.js';
import {
  HbrError,
  isOutcomeUnknownCode,
  isTransientCode,
  sanitizeDetail,
  toHbrError,
} from '../../../src/hbr/errors.js';
import { explainApiFailure, explainHbrErrorCode } from '../../../src/slack/messages/failure-words.js';
import { clientStatusSentence, instanceErrorSentence } from '../../../src/slack/messages/hbr-sentences.js';

/** The shape @alicloud/openapi-client 0.4.15 throws for an HBR error answer. */
function libraryResponseError(status: number, body: Record<string, unknown>): Error {
  const data = { ...body, statusCode: status };
  return Object.assign(
    new Error(`${String(body.Code)}: code: ${status}, ${String(body.Message)} request id: ${String(body.RequestId)}`),
    {
      code: `${String(body.Code)}`,
      data,
      statusCode: status,
    },
  );
}

describe('isTransientCode and isOutcomeUnknownCode', () => {
  it.each([
    // Refusals: worth another try, and HBR said it did not act.
    ['Throttling', 400, true, false],
    ['Throttling.User', 400, true, false],
    ['Throttling.Api', 400, true, false],
    ['Throttling.SomethingNew', 400, true, false],
    ['ServiceUnavailable', 503, true, false],
    ['HttpError', 503, true, false],
    ['TooMany', 429, true, false],
    // Worth another try, but HBR (or something in front of it) may have acted before the failure.
    ['InternalError', 500, true, true],
    ['InternalError.Database', 500, true, true],
    ['NetworkError', null, true, true],
    ['Timeout', null, true, true],
    ['BadGateway', null, true, true],
    ['HttpError', 502, true, true],
    ['SomeNewServerFault', 500, true, true],
    ['SomeNewServerFault', 504, true, true],
    // Permanent: a definite answer, or nothing was sent.
    ['HttpError', 404, false, false],
    ['SignatureDoesNotMatch', 400, false, false],
    ['InvalidAccessKeyId.NotFound', 404, false, false],
    ['InvalidAccessKeyId.Inactive', 400, false, false],
    ['Forbidden.RAM', 403, false, false],
    ['InvalidParameter', 400, false, false],
    ['MissingParameter', 400, false, false],
    ['InvalidTimeStamp.Expired', 400, false, false],
    ['CloudAssistNotRunningOnInstance', 400, false, false],
    // A permanent code stays permanent even if a gateway wraps it in a 5xx.
    ['CloudAssistNotRunningOnInstance', 500, false, false],
    ['MalformedResult', 200, false, false],
    ['InvalidTaskId.NotFound', 404, false, false],
    ['InvalidCredentials', null, false, false],
    ['SomethingUnknown', 400, false, false],
    ['SomethingUnknown', null, false, false],
  ] as const)('%s with HTTP %s -> transient %s, outcome unknown %s', (code, status, transient, outcomeUnknown) => {
    expect(isTransientCode(code, status)).toBe(transient);
    expect(isOutcomeUnknownCode(code, status)).toBe(outcomeUnknown);
  });
});

describe('toHbrError', () => {
  it('classifies an HBR error answer by its Code, with status and RequestId', () => {
    const err = toHbrError(
      'InstallBackupClients',
      libraryResponseError(403, {
        Code: 'Forbidden.RAM',
        Message: 'User not authorized',
        RequestId: 'RID-1',
        HostId: 'hbr.cn-hangzhou.aliyuncs.com',
      }),
    );
    expect(err).toBeInstanceOf(HbrError);
    expect(err).toMatchObject({
      code: 'Forbidden.RAM',
      httpStatus: 403,
      requestId: 'RID-1',
      action: 'InstallBackupClients',
      transient: false,
    });
    expect(explainApiFailure(err)).toBe(
      "the AccessKey's RAM user lacks permission hbr:InstallBackupClients — grant it (see README: RAM permissions)",
    );
    expect(err.message).toContain('User not authorized');
  });

  it('treats throttling and 5xx answers as transient', () => {
    expect(
      toHbrError(
        'DescribeTask',
        libraryResponseError(400, { Code: 'Throttling.User', Message: 'flow control', RequestId: 'R' }),
      ),
    ).toMatchObject({
      code: 'Throttling.User',
      transient: true,
    });
    expect(
      toHbrError(
        'DescribeTask',
        libraryResponseError(503, { Code: 'ServiceUnavailable', Message: 'x', RequestId: 'R' }),
      ),
    ).toMatchObject({
      code: 'ServiceUnavailable',
      httpStatus: 503,
      transient: true,
      outcomeUnknown: false,
    });
    expect(
      toHbrError(
        'InstallBackupClients',
        libraryResponseError(500, { Code: 'InternalError', Message: 'x', RequestId: 'R5' }),
      ),
    ).toMatchObject({
      code: 'InternalError',
      requestId: 'R5',
      transient: true,
      outcomeUnknown: true,
    });
  });

  it('names an error answer without a Code HttpError (the library stringifies it to "undefined")', () => {
    const noCode = Object.assign(new Error('undefined: code: 502, undefined request id: undefined'), {
      code: 'undefined',
      data: { statusCode: 502 },
      statusCode: 502,
    });
    expect(toHbrError('DescribeTask', noCode)).toMatchObject({
      code: 'HttpError',
      httpStatus: 502,
      transient: true,
      requestId: null,
    });
    const notFound = Object.assign(new Error('x'), { code: 'undefined', data: { statusCode: 404 }, statusCode: 404 });
    expect(toHbrError('DescribeTask', notFound)).toMatchObject({
      code: 'HttpError',
      httpStatus: 404,
      transient: false,
    });
  });

  it('turns the SyntaxError from a non-JSON (HTML) body into a transient BadGateway', () => {
    let syntaxError: unknown;
    try {
      JSON.parse('<html><head><title>502 Bad Gateway</title></head></html>');
    } catch (err) {
      syntaxError = err;
    }
    expect(toHbrError('InstallBackupClients', syntaxError)).toMatchObject({
      code: 'BadGateway',
      transient: true,
      outcomeUnknown: true,
      httpStatus: null,
    });
  });

  it('classifies socket errors as NetworkError and strips query strings (signatures) from the message', () => {
    const reset = Object.assign(
      new Error('socket hang upPOST http://127.0.0.1:9/?AccessKeyId=AKID&Signature=c2VjcmV0&SecurityToken=tok failed.'),
      {
        code: 'ECONNRESET',
      },
    );
    const err = toHbrError('InstallBackupClients', reset);
    expect(err).toMatchObject({ code: 'NetworkError', transient: true });
    expect(err.message).not.toMatch(/Signature|SecurityToken|AKID/);
    expect(err.message).toContain('http://127.0.0.1:9/');
  });

  it('tells an endpoint never reached (nothing sent) from a connection cut after it was up (outcome unknown)', () => {
    const sysError = (code: string) =>
      toHbrError('InstallBackupClients', Object.assign(new Error(`connect ${code}`), { code }));
    for (const code of [
      'ECONNREFUSED',
      'ENOTFOUND',
      'EAI_AGAIN',
      'EHOSTUNREACH',
      'EHOSTDOWN',
      'ENETUNREACH',
      'ENETDOWN',
    ]) {
      expect(sysError(code), code).toMatchObject({ code: 'NetworkError', transient: true, outcomeUnknown: false });
    }
    for (const code of ['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']) {
      expect(sysError(code), code).toMatchObject({ code: 'NetworkError', transient: true, outcomeUnknown: true });
    }
    expect(toHbrError('InstallBackupClients', new Error('socket hang up'))).toMatchObject({
      code: 'NetworkError',
      outcomeUnknown: true,
    });
  });

  it('classifies the http layer timeouts as Timeout', () => {
    const read = Object.assign(new Error('ReadTimeout(200). POST http://127.0.0.1:1/?a=b failed.'), {
      name: 'RequestTimeoutError',
    });
    const connect = Object.assign(new Error('ConnectTimeout: Connect http://x failed.'), {
      name: 'RequestTimeoutError',
    });
    // httpx names its connect (idle) and read timeouts alike: neither proves the request was not sent.
    expect(toHbrError('DescribeTask', read)).toMatchObject({ code: 'Timeout', transient: true, outcomeUnknown: true });
    expect(toHbrError('DescribeTask', connect)).toMatchObject({
      code: 'Timeout',
      transient: true,
      outcomeUnknown: true,
    });
    expect(toHbrError('DescribeTask', Object.assign(new Error('t'), { code: 'ETIMEDOUT' }))).toMatchObject({
      code: 'Timeout',
    });
  });

  it('classifies credential problems as permanent InvalidCredentials', () => {
    const chain = new Error('unable to get credentials from any of the providers in the chain: env missing, ...');
    expect(toHbrError('DescribeTask', chain)).toMatchObject({
      code: 'InvalidCredentials',
      transient: false,
      outcomeUnknown: false,
    });
    const library = Object.assign(new Error('InvalidCredentials: Please set up the credentials correctly.'), {
      code: 'InvalidCredentials',
    });
    expect(toHbrError('DescribeTask', library)).toMatchObject({ code: 'InvalidCredentials', transient: false });
  });

  it('passes an HbrError through and classifies anything else as a permanent Unexpected', () => {
    const original = new HbrError({ code: 'MalformedResult', action: 'DescribeTask', message: 'm' });
    expect(toHbrError('Other', original)).toBe(original);
    expect(toHbrError('DescribeTask', 'a string')).toMatchObject({ code: 'Unexpected', transient: false });
    expect(toHbrError('DescribeTask', new RangeError('boom'))).toMatchObject({ code: 'Unexpected', transient: false });
    expect(toHbrError('DescribeTask', Object.assign(new Error('x'), { code: 'ParameterMissing' }))).toMatchObject({
      code: 'ParameterMissing',
      transient: false,
    });
  });
});

describe('HbrError', () => {
  it('defaults transient and explanation from the code, and can carry earlier submissions', () => {
    const err = new HbrError({
      code: 'Throttling.User',
      action: 'InstallBackupClients',
      message: 'm',
      httpStatus: 400,
      requestId: 'R',
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('HbrError');
    expect(err.transient).toBe(true);
    expect(explainApiFailure(err)).toMatch(/throttling/);
    expect(err.submittedBeforeFailure).toEqual([]);
    const submission = { instanceIds: ['i-bp000000000000000001'], taskId: 't-1', requestId: 'R0', statuses: [] };
    const withSubmitted = err.withSubmittedBeforeFailure([submission]);
    expect(withSubmitted).toMatchObject({
      code: 'Throttling.User',
      requestId: 'R',
      transient: true,
      outcomeUnknown: false,
      submittedBeforeFailure: [submission],
    });
  });

  it('keeps an outcomeUnknown given (or derived) when it lists earlier submissions', () => {
    const cut = new HbrError({ code: 'NetworkError', action: 'InstallBackupClients', message: 'm' });
    expect(cut.outcomeUnknown).toBe(true);
    expect(cut.withSubmittedBeforeFailure([]).outcomeUnknown).toBe(true);
    const unreachable = new HbrError({
      code: 'NetworkError',
      action: 'InstallBackupClients',
      message: 'm',
      outcomeUnknown: false,
    });
    expect(unreachable.withSubmittedBeforeFailure([]).outcomeUnknown).toBe(false);
  });
});

describe('sentences', () => {
  it('explains instance-level codes of a whole call in the per-instance words', () => {
    for (const code of ['InstanceNotRunning', 'CloudAssistNotRunningOnInstance', 'InstanceNotExists']) {
      expect(explainHbrErrorCode(code, 'InstallBackupClients')).toBe(instanceErrorSentence(code));
    }
    expect(explainHbrErrorCode('InstanceNotRunning', 'InstallBackupClients')).toBe(
      'instance is not running — start it and request again',
    );
  });

  it('explains every whole-call code an operator can meet in one sentence without secrets', () => {
    const codes = [
      'SignatureDoesNotMatch',
      'InvalidAccessKeyId.NotFound',
      'InvalidAccessKeyId.Inactive',
      'Forbidden.RAM',
      'InvalidParameter',
      'MissingParameter',
      'InvalidTimeStamp.Expired',
      'Throttling.User',
      'ServiceUnavailable',
      'InternalError',
      'BadGateway',
      'Timeout',
      'NetworkError',
      'MalformedResult',
      'InvalidCredentials',
      'CloudAssistNotRunningOnInstance',
      'InvalidTaskId.NotFound',
      'HttpError',
      'BrandNewCode',
    ];
    for (const code of codes) {
      const sentence = explainHbrErrorCode(code, 'InstallBackupClients', 400);
      expect(sentence.length).toBeGreaterThan(20);
      expect(sentence).not.toMatch(/\n/);
      expect(sentence).toContain(' — ');
    }
    expect(explainHbrErrorCode('InvalidTimeStamp.Expired', 'DescribeTask')).toMatch(/clock/);
    expect(explainHbrErrorCode('BrandNewCode', 'DescribeTask')).toContain('BrandNewCode');
  });

  it('has words for every client status the HBR types know, and shows unknown ones raw', () => {
    for (const status of KNOWN_CLIENT_STATUSES) expect(clientStatusSentence(status)).not.toMatch(/does not know/);
    expect(clientStatusSentence('WEIRD_NEW_STATUS')).toMatch(/"WEIRD_NEW_STATUS", which hbr-bot does not know/);
    expect(clientStatusSentence('toString')).toMatch(/"toString", which hbr-bot does not know/);
  });

  it('sanitizes details: no query strings, bounded length', () => {
    expect(sanitizeDetail('GET https://hbr.cn-hangzhou.aliyuncs.com/?Signature=abc&AccessKeyId=x failed')).toBe(
      'GET https://hbr.cn-hangzhou.aliyuncs.com/ failed',
    );
    expect(sanitizeDetail('x'.repeat(1000)).length).toBe(300);
  });
});
