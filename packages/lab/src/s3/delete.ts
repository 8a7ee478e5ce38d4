import { S3Error, malformedXml } from './errors.js';
import { bypass, send, type S3Call, type S3Context } from './http.js';
import { removeOrMark } from './lock.js';
import type { Bucket } from './store.js';
import { tag, tags, xml, type Node } from './xml.js';

/** DeleteObject: a version, or (without one) a delete marker. */
export function deleteObject(ctx: S3Context, call: S3Call, b: Bucket, key: string): void {
  const r = removeOrMark(ctx, b, key, call.q.get('versionId'), bypass(call.req));
  send(call.res, 204, '', {
    ...(r.versionId ? { 'x-amz-version-id': r.versionId } : {}),
    ...(r.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}),
  });
}

/** DeleteObjects (`POST ?delete`): up to 1000 at once, each refusal reported in the answer. */
export function deleteObjects(ctx: S3Context, call: S3Call, b: Bucket): void {
  const text = call.body.toString();
  const objects = tags(text, 'Object').map((o) => ({
    key: tag(`<x>${o}</x>`, 'Key') ?? '',
    versionId: tag(`<x>${o}</x>`, 'VersionId'),
  }));
  if (objects.length === 0 || objects.length > 1000) throw malformedXml();
  const quiet = tag(text, 'Quiet') === 'true';
  const deleted: Node[] = [];
  const errors: Node[] = [];
  for (const o of objects) {
    try {
      const r = removeOrMark(ctx, b, o.key, o.versionId ?? null, bypass(call.req));
      if (!quiet)
        deleted.push({
          Key: o.key,
          VersionId: o.versionId,
          DeleteMarker: r.deleteMarker,
          DeleteMarkerVersionId: !o.versionId && r.deleteMarker ? r.versionId : undefined,
        });
    } catch (e) {
      const err = e instanceof S3Error ? e : new S3Error(500, 'InternalError', String(e));
      errors.push({ Key: o.key, VersionId: o.versionId, Code: err.code, Message: err.message });
    }
  }
  send(call.res, 200, xml('DeleteResult', { Deleted: deleted, Error: errors }));
}
