import type { Finding } from '../../drill/types.js';
import type { ObjectStore, ObjectVersion } from '../object-store.js';
import type { AuditReport } from './types.js';

type Replica = { store: ObjectStore; prefix: string };

/** The replica's latest objects under backups/, by key relative to its prefix. */
async function replicaObjects(r: Replica): Promise<Map<string, { size: number; etag: string }>> {
  const theirs = new Map<string, { size: number; etag: string }>();
  for await (const x of r.store.list(`${r.prefix}backups/`))
    theirs.set(x.key.slice(r.prefix.length), { size: x.size, etag: x.etag });
  return theirs;
}

/** One latest object of the backups, looked for in the replica: missing, or of another size or ETag. */
function copyFinding(
  v: ObjectVersion,
  prefix: string,
  theirs: Map<string, { size: number; etag: string }>,
  bucket: string,
): Finding | undefined {
  const rel = v.key.slice(prefix.length);
  const r = theirs.get(rel);
  if (!r)
    return {
      severity: 'P2',
      code: 'REPLICA_MISSING',
      key: v.key,
      message: `${rel} is missing from the replica ${bucket}`,
      fix: 'check the replication job (rclone, bucket replication) and rerun it',
    };
  if (r.size !== v.size || (r.etag && v.etag && r.etag !== v.etag))
    return {
      severity: 'P2',
      code: 'REPLICA_DIFFERS',
      key: v.key,
      message: `${rel} differs in the replica (size ${r.size} vs ${v.size})`,
      fix: 'recopy it; a differing copy is no copy',
    };
  return undefined;
}

/**
 * The off-site replica, listed first, then compared object by object with the backups as their listing
 * streams (`version`), and its own protection.
 */
export async function openReplica(
  r: Replica,
  prefix: string,
): Promise<{
  version: (v: ObjectVersion) => void;
  result: () => { replica: NonNullable<AuditReport['replica']>; findings: Finding[] };
}> {
  const rp = await r.store.protection();
  const bucket = r.store.settings.bucket;
  const theirs = await replicaObjects(r);
  const findings: Finding[] = [];
  const version = (v: ObjectVersion): void => {
    if (!v.isLatest || v.deleteMarker) return;
    const f = copyFinding(v, prefix, theirs, bucket);
    if (f) findings.push(f);
  };
  const result = (): { replica: NonNullable<AuditReport['replica']>; findings: Finding[] } => {
    const count = (code: string): number => findings.filter((f) => f.code === code).length;
    const replica = {
      bucket,
      endpoint: r.store.settings.endpoint ?? 'AWS S3',
      missing: count('REPLICA_MISSING'),
      mismatched: count('REPLICA_DIFFERS'),
      objectLock: rp.objectLock,
      versioning: rp.versioning,
    };
    const own: Finding[] = rp.objectLock
      ? []
      : [
          {
            severity: 'P3',
            code: 'REPLICA_NO_OBJECT_LOCK',
            message: `the replica bucket ${replica.bucket} has no Object Lock`,
            fix: 'lock the off-site copy too, or encrypt and isolate its credentials',
          },
        ];
    return { replica, findings: [...findings, ...own] };
  };
  return { version, result };
}
