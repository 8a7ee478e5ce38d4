import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { systemClock } from '../core.js';
import { S3Error, accessDenied } from './errors.js';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();
const sha256 = (data: string): string => createHash('sha256').update(data).digest('hex');

// RFC 3986 encoding as SigV4 wants it: everything but unreserved characters.
const enc = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalQuery(url: URL, skipSignature: boolean): string {
  const pairs: [string, string][] = [];
  for (const [k, v] of url.searchParams) if (!(skipSignature && k === 'X-Amz-Signature')) pairs.push([enc(k), enc(v)]);
  pairs.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function canonicalPath(rawPath: string): string {
  // S3 signs the path as sent (already encoded once), segment by segment re-encoded consistently
  return rawPath
    .split('/')
    .map((seg) => enc(decodeURIComponent(seg)))
    .join('/');
}

// The signing key changes once a day per region and service: derive it once, not per request.
const keyCache = new Map<string, Buffer>();
function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${secret}\u0000${date}\u0000${region}\u0000${service}`;
  let k = keyCache.get(id);
  if (!k) {
    if (keyCache.size > 64) keyCache.clear();
    k = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
    keyCache.set(id, k);
  }
  return k;
}

/** What a request says of its signature, from the Authorization header or a pre-signed URL's query. */
interface Signed {
  credential: string;
  signedHeaders: string;
  signature: string;
  amzDate: string;
  payloadHash: string;
  presigned: boolean;
}

function signedParts(req: IncomingMessage, url: URL, now: number): Signed {
  const auth = req.headers.authorization;
  if (auth?.startsWith('AWS4-HMAC-SHA256 ')) {
    const parts = Object.fromEntries(
      auth
        .slice(17)
        .split(',')
        .map((p) => p.trim().split('=') as [string, string]),
    ) as Record<string, string>;
    return {
      credential: parts.Credential ?? '',
      signedHeaders: parts.SignedHeaders ?? '',
      signature: parts.Signature ?? '',
      amzDate: String(req.headers['x-amz-date'] ?? ''),
      payloadHash: String(req.headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD'),
      presigned: url.searchParams.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256',
    };
  }
  if (url.searchParams.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
    throw accessDenied('Anonymous access is not allowed');
  const amzDate = url.searchParams.get('X-Amz-Date') ?? '';
  const expires = Number(url.searchParams.get('X-Amz-Expires') ?? '0');
  const t = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!Number.isFinite(t) || now > t + expires * 1000) throw accessDenied('Request has expired');
  return {
    credential: url.searchParams.get('X-Amz-Credential') ?? '',
    signedHeaders: url.searchParams.get('X-Amz-SignedHeaders') ?? '',
    signature: url.searchParams.get('X-Amz-Signature') ?? '',
    amzDate,
    payloadHash: 'UNSIGNED-PAYLOAD',
    presigned: true,
  };
}

function canonicalHeaders(req: IncomingMessage, signedHeaders: string): string {
  return signedHeaders
    .split(';')
    .filter(Boolean)
    .map((h) => {
      const v = req.headers[h];
      const value = (Array.isArray(v) ? v.join(',') : (v ?? '')).trim().replace(/\s+/g, ' ');
      return `${h}:${value}\n`;
    })
    .join('');
}

/**
 * Verifies an AWS Signature Version 4 request, from the Authorization header or from a pre-signed
 * URL's query. The lab checks signatures for real, so wrong credentials fail as they do on AWS.
 * `now` (ms) is the server's time, against which a pre-signed URL expires.
 */
export function verifySigV4(
  req: IncomingMessage,
  url: URL,
  creds: Credentials,
  now = systemClock.now().getTime(),
): void {
  const s = signedParts(req, url, now);
  const [keyId, date, region, service] = s.credential.split('/');
  if (keyId !== creds.accessKeyId)
    throw new S3Error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  const rawPath = (req.url ?? '/').split('?')[0]!;
  const canonicalRequest = [
    req.method,
    canonicalPath(rawPath),
    canonicalQuery(url, s.presigned),
    canonicalHeaders(req, s.signedHeaders),
    s.signedHeaders,
    s.payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', s.amzDate, scope, sha256(canonicalRequest)].join('\n');
  const kSigning = signingKey(creds.secretAccessKey, date ?? '', region ?? '', service ?? '');
  const expected = createHmac('sha256', kSigning).update(stringToSign).digest('hex');
  const a = Buffer.from(expected);
  const b = Buffer.from(s.signature);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new S3Error(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
}
