import { iso, send, type S3Call, type S3Context } from './http.js';
import type { Bucket, Version } from './store.js';
import { xml, type Node } from './xml.js';

/** ListBuckets (`GET /`). */
export function listBuckets(ctx: S3Context, call: S3Call): void {
  send(
    call.res,
    200,
    xml('ListAllMyBucketsResult', {
      Owner: { ID: 'lab', DisplayName: 'lab' },
      Buckets: { Bucket: ctx.store.allBuckets().map((b) => ({ Name: b.name, CreationDate: iso(b.created) })) },
    }),
  );
}

/** ListObjectsV2: the latest versions that are not delete markers, with prefixes and continuation. */
export function listObjectsV2(call: S3Call, b: Bucket): void {
  const { q, res } = call;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const max = Math.min(1000, Number(q.get('max-keys') ?? '1000'));
  const token = q.get('continuation-token');
  const after = token ? Buffer.from(token, 'base64url').toString() : (q.get('start-after') ?? '');
  const keys = [...b.objects.entries()]
    .filter(([k, vs]) => k.startsWith(prefix) && k > after && !vs[vs.length - 1]!.deleteMarker)
    .map(([k]) => k)
    .sort();
  const contents: Node[] = [];
  const prefixes = new Set<string>();
  let last = '';
  let truncated = false;
  for (const k of keys) {
    if (contents.length + prefixes.size >= max) {
      truncated = true;
      break;
    }
    const restIdx = delimiter ? k.indexOf(delimiter, prefix.length) : -1;
    if (restIdx >= 0) {
      const p = k.slice(0, restIdx + delimiter.length);
      if (!prefixes.has(p)) prefixes.add(p);
      last = p + '\uffff'; // skip the rest of this prefix on the next page
      continue;
    }
    const v = b.objects.get(k)!.at(-1)!;
    contents.push({ Key: k, LastModified: v.lastModified, ETag: v.etag, Size: v.size, StorageClass: 'STANDARD' });
    last = k;
  }
  send(
    res,
    200,
    xml('ListBucketResult', {
      Name: b.name,
      Prefix: prefix,
      Delimiter: delimiter || undefined,
      MaxKeys: max,
      KeyCount: contents.length + prefixes.size,
      IsTruncated: truncated,
      ContinuationToken: token ?? undefined,
      NextContinuationToken: truncated ? Buffer.from(last).toString('base64url') : undefined,
      Contents: contents,
      CommonPrefixes: [...prefixes].map((p) => ({ Prefix: p })),
    }),
  );
}

/** ListObjectVersions (`GET ?versions`): newest first per key, delete markers apart, with markers to page on. */
export function listObjectVersions(call: S3Call, b: Bucket): void {
  const { q, res } = call;
  const prefix = q.get('prefix') ?? '';
  const max = Math.min(1000, Number(q.get('max-keys') ?? '1000'));
  const keyMarker = q.get('key-marker') ?? '';
  const vidMarker = q.get('version-id-marker') ?? '';
  const entries: { key: string; v: Version; latest: boolean }[] = [];
  for (const k of [...b.objects.keys()].filter((k) => k.startsWith(prefix) && k >= keyMarker).sort()) {
    const vs = b.objects.get(k)!;
    // newest first, as S3 lists them
    for (let i = vs.length - 1; i >= 0; i--) entries.push({ key: k, v: vs[i]!, latest: i === vs.length - 1 });
  }
  let start = 0;
  if (keyMarker) {
    if (vidMarker) {
      const i = entries.findIndex((e) => e.key === keyMarker && e.v.versionId === vidMarker);
      start = i >= 0 ? i + 1 : entries.findIndex((e) => e.key > keyMarker);
    } else start = entries.findIndex((e) => e.key > keyMarker);
    if (start < 0) start = entries.length;
  }
  const page = entries.slice(start, start + max);
  const truncated = start + max < entries.length;
  const lastE = page[page.length - 1];
  send(
    res,
    200,
    xml('ListVersionsResult', {
      Name: b.name,
      Prefix: prefix,
      KeyMarker: keyMarker,
      VersionIdMarker: vidMarker,
      MaxKeys: max,
      IsTruncated: truncated,
      NextKeyMarker: truncated ? lastE?.key : undefined,
      NextVersionIdMarker: truncated ? lastE?.v.versionId : undefined,
      Version: page
        .filter((e) => !e.v.deleteMarker)
        .map((e) => ({
          Key: e.key,
          VersionId: e.v.versionId,
          IsLatest: e.latest,
          LastModified: e.v.lastModified,
          ETag: e.v.etag,
          Size: e.v.size,
          StorageClass: 'STANDARD',
        })),
      DeleteMarker: page
        .filter((e) => e.v.deleteMarker)
        .map((e) => ({ Key: e.key, VersionId: e.v.versionId, IsLatest: e.latest, LastModified: e.v.lastModified })),
    }),
  );
}
