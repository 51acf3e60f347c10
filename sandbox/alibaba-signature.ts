/**
 * Alibaba Cloud OpenAPI request signatures, written from the algorithm in shared/hbr-api.md (not
 * from the SDK's signer), so that a signing mistake in the client under test fails a test.
 *
 * Two schemes:
 *
 * ACS3-HMAC-SHA256 (the SDK's default)
 *   1. `Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<h1;h2;…>,Signature=<hex>`
 *   2. `x-acs-content-sha256` = hex(SHA-256(raw body))
 *   3. canonical query: keys sorted, `enc(k)=enc(v)` joined by `&`; enc = encodeURIComponent plus
 *      `! ' ( ) *` -> `%21 %27 %28 %29 %2A`
 *   4. canonical headers: each signed header, in the listed order, `name:trimmed-value\n`
 *   5. canonical request: METHOD\nPATH\nCANONICAL_QUERY\nCANONICAL_HEADERS\nSIGNED_HEADERS\nPAYLOAD_HASH
 *   6. string to sign: `ACS3-HMAC-SHA256\n` + hex(SHA-256(canonical request))
 *   7. signature: hex(HMAC-SHA256(AccessKeySecret, string to sign))
 *
 * v2 (HMAC-SHA1, RPC "SignatureVersion 1.0")
 *   all parameters (query and form body) but `Signature`, keys sorted, `enc(k)=enc(v)` joined by `&`;
 *   string to sign `METHOD&%2F&` + enc(that); signature base64(HMAC-SHA1(secret + '&', string to sign)).
 *
 * The verify* functions take an AccessKeyId -> secret lookup and answer with the Alibaba error code
 * a real gateway would use. The sign* functions exist for tests that need hand-made requests.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';

/** Node-style headers: lower-case names. */
export type HeaderBag = Record<string, string | string[] | undefined>;

/** Looks up the secret of an AccessKeyId; undefined when the key is unknown. */
export type SecretLookup = (accessKeyId: string) => string | undefined;

export interface SignatureFailure {
  ok: false;
  code: 'SignatureDoesNotMatch' | 'InvalidAccessKeyId.NotFound' | 'IncompleteSignature' | 'MissingSignature';
  httpStatus: 400 | 404;
  message: string;
  accessKeyId: string | null;
}

export interface SignatureSuccess {
  ok: true;
  accessKeyId: string;
}

export type SignatureCheck = SignatureSuccess | SignatureFailure;

// ---------------------------------------------------------------------------------------------
// Shared primitives
// ---------------------------------------------------------------------------------------------

/** encodeURIComponent, plus ! ' ( ) * percent-encoded (RFC 3986 unreserved set only). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Keys sorted (by UTF-16 code units, like Array.prototype.sort), `enc(k)=enc(v)` joined by `&`. */
export function canonicalizeParams(params: Record<string, string>): string {
  return Object.keys(params)
    .sort()
    .map((key) => `${percentEncode(key)}=${percentEncode(params[key] ?? '')}`)
    .join('&');
}

function headerValue(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : value;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

// ---------------------------------------------------------------------------------------------
// ACS3-HMAC-SHA256
// ---------------------------------------------------------------------------------------------

export interface Acs3Authorization {
  algorithm: string;
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`; null when malformed. */
export function parseAcs3Authorization(value: string): Acs3Authorization | null {
  const match = /^(\S+)\s+(.+)$/.exec(value.trim());
  if (!match) return null;
  const [, algorithm, rest] = match as unknown as [string, string, string];
  const fields = new Map<string, string>();
  for (const part of rest.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId || !signedHeaders || !signature) return null;
  return { algorithm, accessKeyId, signedHeaders: signedHeaders.split(';'), signature };
}

/** Step 4: `name:trimmed-value\n` per signed header, in the listed order. Throws for a missing header. */
function canonicalHeaders(headers: HeaderBag, signedHeaders: readonly string[]): string {
  return signedHeaders
    .map((name) => {
      const value = headerValue(headers, name);
      if (value === undefined) throw new Error(`signed header "${name}" is not in the request`);
      return `${name}:${value.trim()}\n`;
    })
    .join('');
}

export interface CanonicalRequestParts {
  method: string;
  /** URL path without the query, e.g. '/'. */
  path: string;
  /** Decoded query parameters. */
  query: Record<string, string>;
  headers: HeaderBag;
}

/** Step 5. */
export function acs3CanonicalRequest(
  parts: CanonicalRequestParts,
  signedHeaders: readonly string[],
  payloadHash: string,
): string {
  return [
    parts.method.toUpperCase(),
    parts.path,
    canonicalizeParams(parts.query),
    canonicalHeaders(parts.headers, signedHeaders),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

/** Step 6. */
export function acs3StringToSign(canonicalRequest: string): string {
  return `${ACS3_ALGORITHM}\n${sha256Hex(canonicalRequest)}`;
}

/** Step 7. */
export function acs3Signature(secret: string, stringToSign: string): string {
  return createHmac('sha256', secret).update(stringToSign).digest('hex');
}

export interface Acs3Request extends CanonicalRequestParts {
  body: Buffer | string;
}

/** Headers an ACS3 request must sign, whatever else it signs. */
const REQUIRED_ACS3_SIGNED_HEADERS = [
  'host',
  'x-acs-action',
  'x-acs-content-sha256',
  'x-acs-date',
  'x-acs-version',
] as const;

/** Checks an ACS3-HMAC-SHA256 request (steps 1-7). */
export function verifyAcs3(request: Acs3Request, secretFor: SecretLookup): SignatureCheck {
  const authorization = headerValue(request.headers, 'authorization');
  if (authorization === undefined) {
    return {
      ok: false,
      code: 'MissingSignature',
      httpStatus: 400,
      message: 'The request has no Authorization header.',
      accessKeyId: null,
    };
  }
  const parsed = parseAcs3Authorization(authorization);
  if (!parsed || parsed.algorithm !== ACS3_ALGORITHM) {
    return {
      ok: false,
      code: 'IncompleteSignature',
      httpStatus: 400,
      message: `The Authorization header is not "${ACS3_ALGORITHM} Credential=…,SignedHeaders=…,Signature=…".`,
      accessKeyId: parsed?.accessKeyId ?? null,
    };
  }
  const { accessKeyId, signedHeaders, signature } = parsed;
  const secret = secretFor(accessKeyId);
  if (secret === undefined) {
    return {
      ok: false,
      code: 'InvalidAccessKeyId.NotFound',
      httpStatus: 404,
      message: 'Specified access key is not found.',
      accessKeyId,
    };
  }
  const missing = REQUIRED_ACS3_SIGNED_HEADERS.filter((name) => !signedHeaders.includes(name));
  if (missing.length > 0) {
    return {
      ok: false,
      code: 'IncompleteSignature',
      httpStatus: 400,
      message: `SignedHeaders must include ${missing.join(', ')}.`,
      accessKeyId,
    };
  }
  const bodyHash = sha256Hex(request.body);
  const claimedHash = headerValue(request.headers, 'x-acs-content-sha256') ?? '';
  if (!sameText(claimedHash.trim(), bodyHash)) {
    return {
      ok: false,
      code: 'SignatureDoesNotMatch',
      httpStatus: 400,
      message: `x-acs-content-sha256 (${claimedHash}) is not the SHA-256 of the request body (${bodyHash}).`,
      accessKeyId,
    };
  }
  let canonical: string;
  try {
    canonical = acs3CanonicalRequest(request, signedHeaders, bodyHash);
  } catch (err) {
    return { ok: false, code: 'SignatureDoesNotMatch', httpStatus: 400, message: (err as Error).message, accessKeyId };
  }
  const stringToSign = acs3StringToSign(canonical);
  const expected = acs3Signature(secret, stringToSign);
  if (!sameText(signature.toLowerCase(), expected)) {
    return {
      ok: false,
      code: 'SignatureDoesNotMatch',
      httpStatus: 400,
      message: `Specified signature does not match our calculation. The canonical request is: ${JSON.stringify(canonical)}`,
      accessKeyId,
    };
  }
  return { ok: true, accessKeyId };
}

/**
 * Signs a request with ACS3-HMAC-SHA256: sets x-acs-content-sha256 and Authorization on a copy of
 * the headers (which must already hold host, x-acs-action, x-acs-version, x-acs-date). Signs every
 * header it is given except Authorization, sorted.
 */
export function signAcs3(request: Acs3Request, accessKeyId: string, secret: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && name.toLowerCase() !== 'authorization')
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const payloadHash = sha256Hex(request.body);
  headers['x-acs-content-sha256'] = payloadHash;
  const signedHeaders = Object.keys(headers).sort();
  const canonical = acs3CanonicalRequest({ ...request, headers }, signedHeaders, payloadHash);
  const signature = acs3Signature(secret, acs3StringToSign(canonical));
  headers.authorization = `${ACS3_ALGORITHM} Credential=${accessKeyId},SignedHeaders=${signedHeaders.join(';')},Signature=${signature}`;
  return headers;
}

// ---------------------------------------------------------------------------------------------
// v2 (HMAC-SHA1)
// ---------------------------------------------------------------------------------------------

/** `METHOD&%2F&` + enc(canonicalized parameters without Signature). */
export function v2StringToSign(method: string, params: Record<string, string>): string {
  const { Signature: _ignored, ...signed } = params;
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalizeParams(signed))}`;
}

/** base64(HMAC-SHA1(secret + '&', string to sign)). */
export function v2Signature(secret: string, stringToSign: string): string {
  return createHmac('sha1', `${secret}&`).update(stringToSign).digest('base64');
}

/** Checks a v2 request; `params` = decoded query plus form-body parameters. */
export function verifyV2(method: string, params: Record<string, string>, secretFor: SecretLookup): SignatureCheck {
  const signature = params.Signature;
  if (signature === undefined || signature === '') {
    return {
      ok: false,
      code: 'MissingSignature',
      httpStatus: 400,
      message: 'The request has no Signature parameter.',
      accessKeyId: null,
    };
  }
  const accessKeyId = params.AccessKeyId ?? '';
  if (accessKeyId === '' || (params.SignatureMethod ?? 'HMAC-SHA1') !== 'HMAC-SHA1') {
    return {
      ok: false,
      code: 'IncompleteSignature',
      httpStatus: 400,
      message: 'A v2 request needs AccessKeyId and SignatureMethod=HMAC-SHA1.',
      accessKeyId: accessKeyId || null,
    };
  }
  const secret = secretFor(accessKeyId);
  if (secret === undefined) {
    return {
      ok: false,
      code: 'InvalidAccessKeyId.NotFound',
      httpStatus: 404,
      message: 'Specified access key is not found.',
      accessKeyId,
    };
  }
  const stringToSign = v2StringToSign(method, params);
  if (!sameText(signature, v2Signature(secret, stringToSign))) {
    return {
      ok: false,
      code: 'SignatureDoesNotMatch',
      httpStatus: 400,
      message: `Specified signature does not match our calculation. server string to sign is:${stringToSign}`,
      accessKeyId,
    };
  }
  return { ok: true, accessKeyId };
}

/** Returns a copy of `params` with the v2 Signature added. */
export function signV2(method: string, params: Record<string, string>, secret: string): Record<string, string> {
  return { ...params, Signature: v2Signature(secret, v2StringToSign(method, params)) };
}
