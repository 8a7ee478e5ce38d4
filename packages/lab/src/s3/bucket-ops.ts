import { S3Error, invalidArgument, invalidBucketState, malformedXml, noSuchBucket } from './errors.js';
import { send, type Route, type S3Call, type S3Context } from './http.js';
import { deleteObjects } from './delete.js';
import { listObjectVersions, listObjectsV2 } from './list.js';
import type { Bucket, LockMode } from './store.js';
import { tag, xml } from './xml.js';

/** An operation on a bucket (a path without a key), by the bucket's name. */
type BucketOp = (ctx: S3Context, call: S3Call, name: string) => void;

export function needBucket(ctx: S3Context, name: string): Bucket {
  const b = ctx.store.bucket(name);
  if (!b) throw noSuchBucket(name);
  return b;
}

function putBucketVersioning(ctx: S3Context, call: S3Call, name: string): void {
  const b = needBucket(ctx, name);
  const status = tag(call.body.toString(), 'Status');
  if (status !== 'Enabled' && status !== 'Suspended') throw malformedXml();
  if (b.objectLock && status === 'Suspended')
    throw invalidBucketState(
      'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.',
    );
  b.versioning = status;
  ctx.store.changed();
  send(call.res, 200, '');
}

function getBucketVersioning(ctx: S3Context, call: S3Call, name: string): void {
  const b = needBucket(ctx, name);
  send(call.res, 200, xml('VersioningConfiguration', b.versioning ? { Status: b.versioning } : {}));
}

function putObjectLockConfiguration(ctx: S3Context, call: S3Call, name: string): void {
  const b = needBucket(ctx, name);
  if (!b.objectLock) throw invalidBucketState('Object Lock configuration cannot be enabled on existing buckets');
  const text = call.body.toString();
  if (tag(text, 'ObjectLockEnabled') !== 'Enabled') throw malformedXml();
  const mode = tag(text, 'Mode') as LockMode | undefined;
  const days = tag(text, 'Days');
  const years = tag(text, 'Years');
  if (mode && mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw malformedXml();
  if ((days && years) || (mode && !days && !years)) throw malformedXml();
  if ((days && !(Number(days) > 0)) || (years && !(Number(years) > 0)))
    throw invalidArgument('Default retention period must be a positive integer value');
  b.defaultRetention = mode ? { mode, ...(days ? { days: Number(days) } : { years: Number(years) }) } : undefined;
  ctx.store.changed();
  send(call.res, 200, '');
}

function getObjectLockConfiguration(ctx: S3Context, call: S3Call, name: string): void {
  const b = needBucket(ctx, name);
  if (!b.objectLock)
    throw new S3Error(
      404,
      'ObjectLockConfigurationNotFoundError',
      'Object Lock configuration does not exist for this bucket',
    );
  const r = b.defaultRetention;
  send(
    call.res,
    200,
    xml('ObjectLockConfiguration', {
      ObjectLockEnabled: 'Enabled',
      Rule: r ? { DefaultRetention: { Mode: r.mode, Days: r.days, Years: r.years } } : undefined,
    }),
  );
}

function headBucket(ctx: S3Context, call: S3Call, name: string): void {
  needBucket(ctx, name);
  send(call.res, 200, '', { 'x-amz-bucket-region': ctx.region ?? 'us-east-1' });
}

function createBucket(ctx: S3Context, call: S3Call, name: string): void {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name))
    throw new S3Error(400, 'InvalidBucketName', 'The specified bucket is not valid.');
  if (ctx.store.bucket(name))
    throw new S3Error(
      409,
      'BucketAlreadyOwnedByYou',
      'Your previous request to create the named bucket succeeded and you already own it.',
    );
  const objectLock = String(call.req.headers['x-amz-bucket-object-lock-enabled'] ?? '').toLowerCase() === 'true';
  ctx.store.createBucket(name, objectLock);
  send(call.res, 200, '', { Location: `/${name}` });
}

function deleteBucket(ctx: S3Context, call: S3Call, name: string): void {
  const b = needBucket(ctx, name);
  if (b.objects.size > 0)
    throw new S3Error(
      409,
      'BucketNotEmpty',
      'The bucket you tried to delete is not empty. You must delete all versions in the bucket.',
    );
  ctx.store.deleteBucket(name);
  send(call.res, 204, '');
}

/** The bucket operations, in the order S3 tells them apart; anything else is 405. */
export const BUCKET_ROUTES: Route<BucketOp>[] = [
  { method: 'PUT', sub: 'versioning', op: putBucketVersioning },
  { method: 'GET', sub: 'versioning', op: getBucketVersioning },
  { method: 'PUT', sub: 'object-lock', op: putObjectLockConfiguration },
  { method: 'GET', sub: 'object-lock', op: getObjectLockConfiguration },
  { method: 'POST', sub: 'delete', op: (ctx, call, name) => deleteObjects(ctx, call, needBucket(ctx, name)) },
  { method: 'GET', sub: 'versions', op: (ctx, call, name) => listObjectVersions(call, needBucket(ctx, name)) },
  {
    method: 'GET',
    sub: 'location',
    op: (ctx, call) => send(call.res, 200, xml('LocationConstraint', ctx.region ?? '')),
  },
  { method: 'GET', op: (ctx, call, name) => listObjectsV2(call, needBucket(ctx, name)) },
  { method: 'HEAD', op: headBucket },
  { method: 'PUT', op: createBucket },
  { method: 'DELETE', op: deleteBucket },
];
