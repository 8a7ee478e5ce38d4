import type { IncomingHttpHeaders } from 'node:http';
import { createHash } from 'node:crypto';
import { decodeAwsChunked } from './chunked.js';
import { deleteObject } from './delete.js';
import { S3Error, invalidArgument, invalidRequest, malformedXml } from './errors.js';
import { bypass, iso, methodNotAllowed, objectHeaders, send, type Route, type S3Call, type S3Context } from './http.js';
import { checkRetentionChange, versionOf } from './lock.js';
import type { Bucket, LockMode, Version } from './store.js';
import { tag, xml } from './xml.js';

/** An operation on one object of an existing bucket. */
type ObjectOp = (ctx: S3Context, call: S3Call, b: Bucket, key: string) => void;

const noLockConfiguration = (): S3Error =>
  new S3Error(404, 'NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration');

function getObjectRetention(_ctx: S3Context, call: S3Call, b: Bucket, key: string): void {
  const v = versionOf(b, key, call.q.get('versionId'));
  if (!v.retention) throw noLockConfiguration();
  send(call.res, 200, xml('Retention', { Mode: v.retention.mode, RetainUntilDate: v.retention.until }));
}

function putObjectRetention(ctx: S3Context, call: S3Call, b: Bucket, key: string): void {
  const v = versionOf(b, key, call.q.get('versionId'));
  if (!b.objectLock) throw invalidRequest('Bucket is missing Object Lock Configuration');
  const text = call.body.toString();
  const mode = tag(text, 'Mode') as LockMode | undefined;
  const until = tag(text, 'RetainUntilDate');
  if ((mode && mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') || !!mode !== !!until) throw malformedXml();
  if (until && !(Date.parse(until) > ctx.clock.now().getTime()))
    throw invalidArgument('The retain until date must be in the future!');
  checkRetentionChange(ctx, v, mode, until, bypass(call.req));
  v.retention = mode && until ? { mode, until: iso(until) } : undefined;
  ctx.store.changed();
  send(call.res, 200, '');
}

function getObjectLegalHold(_ctx: S3Context, call: S3Call, b: Bucket, key: string): void {
  const v = versionOf(b, key, call.q.get('versionId'));
  if (!v.legalHold) throw noLockConfiguration();
  send(call.res, 200, xml('LegalHold', { Status: v.legalHold }));
}

function putObjectLegalHold(ctx: S3Context, call: S3Call, b: Bucket, key: string): void {
  const v = versionOf(b, key, call.q.get('versionId'));
  if (!b.objectLock) throw invalidRequest('Bucket is missing Object Lock Configuration');
  const status = tag(call.body.toString(), 'Status');
  if (status !== 'ON' && status !== 'OFF') throw malformedXml();
  v.legalHold = status;
  ctx.store.changed();
  send(call.res, 200, '');
}

/** GetObject and HeadObject: a delete marker named by its version is not an object. */
function getObject(ctx: S3Context, call: S3Call, b: Bucket, key: string): void {
  const v = versionOf(b, key, call.q.get('versionId'));
  if (v.deleteMarker) throw methodNotAllowed({ 'x-amz-delete-marker': 'true' });
  const headers = objectHeaders(v);
  if (call.method === 'HEAD') return send(call.res, 200, '', { ...headers, 'Content-Length': String(v.size) }, true);
  send(call.res, 200, ctx.store.readBody(b, key, v), headers);
}

/** PutObject: the body (aws-chunked decoded), its MD5 checked, the lock it asks for or the bucket's default. */
function putObject(ctx: S3Context, call: S3Call, b: Bucket, key: string): void {
  const h = call.req.headers;
  let data = call.body;
  const chunked =
    String(h['content-encoding'] ?? '').includes('aws-chunked') ||
    String(h['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
  let trailers: Record<string, string> = {};
  if (chunked) ({ data, trailers } = decodeAwsChunked(call.body));
  const md5 = createHash('md5').update(data).digest();
  if (h['content-md5'] && h['content-md5'] !== md5.toString('base64'))
    throw new S3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
  const lock = lockHeaders(ctx, b, h, trailers);
  const now = ctx.clock.now();
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(h))
    if (k.startsWith('x-amz-meta-') && typeof v === 'string') metadata[k.slice(11)] = v;
  const v: Version = {
    versionId: ctx.store.newVersionId(b),
    deleteMarker: false,
    size: data.length,
    etag: `"${md5.toString('hex')}"`,
    lastModified: now.toISOString(),
    contentType: h['content-type'],
    metadata,
    retention: lock.retention ?? defaultRetention(b, now),
    legalHold: lock.hold === 'ON' || lock.hold === 'OFF' ? lock.hold : undefined,
  };
  ctx.store.addVersion(b, key, v, data);
  send(call.res, 200, '', { ETag: v.etag, ...(b.versioning ? { 'x-amz-version-id': v.versionId } : {}) });
}

/** The lock a write asks for in its headers, checked as AWS checks it. */
function lockHeaders(
  ctx: S3Context,
  b: Bucket,
  h: IncomingHttpHeaders,
  trailers: Record<string, string>,
): { retention?: Version['retention']; hold?: string } {
  const mode = h['x-amz-object-lock-mode'] as string | undefined;
  const until = h['x-amz-object-lock-retain-until-date'] as string | undefined;
  const hold = h['x-amz-object-lock-legal-hold'] as string | undefined;
  const asked = !!(mode || until || hold);
  if (asked && !b.objectLock) throw invalidRequest('Bucket is missing ObjectLockConfiguration');
  if ((mode && !until) || (!mode && until))
    throw invalidArgument('x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied');
  if (mode && mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw invalidArgument('Unknown wormMode directive.');
  if (until && !(Date.parse(until) > ctx.clock.now().getTime()))
    throw invalidArgument('The retain until date must be in the future!');
  const hasChecksum =
    !!h['content-md5'] ||
    Object.keys(h).some((k) => k.startsWith('x-amz-checksum-')) ||
    Object.keys(trailers).some((k) => k.startsWith('x-amz-checksum-'));
  // AWS insists on an integrity check for writes carrying lock parameters (RGW does not).
  if (asked && !hasChecksum)
    throw invalidRequest(
      'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters',
    );
  return { retention: mode && until ? { mode: mode as LockMode, until: iso(until) } : undefined, hold };
}

/** The bucket's default retention, counted from the write. */
function defaultRetention(b: Bucket, now: Date): Version['retention'] {
  if (!b.objectLock || !b.defaultRetention) return undefined;
  const d = new Date(now);
  if (b.defaultRetention.days) d.setUTCDate(d.getUTCDate() + b.defaultRetention.days);
  if (b.defaultRetention.years) d.setUTCFullYear(d.getUTCFullYear() + b.defaultRetention.years);
  return { mode: b.defaultRetention.mode, until: d.toISOString() };
}

/** The object operations, in the order S3 tells them apart; anything else is 405. */
export const OBJECT_ROUTES: Route<ObjectOp>[] = [
  { method: 'GET', sub: 'retention', op: getObjectRetention },
  { sub: 'retention', op: putObjectRetention },
  { method: 'GET', sub: 'legal-hold', op: getObjectLegalHold },
  { sub: 'legal-hold', op: putObjectLegalHold },
  { method: 'PUT', op: putObject },
  { method: 'GET', op: getObject },
  { method: 'HEAD', op: getObject },
  { method: 'DELETE', op: deleteObject },
];
