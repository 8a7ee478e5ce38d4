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

/** Each latest object of the backups, looked for in the replica: missing, or of another size or ETag. */
function copyFindings(
  ours: ObjectVersion[],
  prefix: string,
  theirs: Map<string, { size: number; etag: string }>,
  bucket: string,
): Finding[] {
  const out: Finding[] = [];
  for (const v of ours.filter((x) => x.isLatest && !x.deleteMarker)) {
    const rel = v.key.slice(prefix.length);
    const r = theirs.get(rel);
    if (!r)
      out.push({
        severity: 'P2',
        code: 'REPLICA_MISSING',
        key: v.key,
        message: `${rel} is missing from the replica ${bucket}`,
        fix: 'check the replication job (rclone, bucket replication) and rerun it',
      });
    else if (r.size !== v.size || (r.etag && v.etag && r.etag !== v.etag))
      out.push({
        severity: 'P2',
        code: 'REPLICA_DIFFERS',
        key: v.key,
        message: `${rel} differs in the replica (size ${r.size} vs ${v.size})`,
        fix: 'recopy it; a differing copy is no copy',
      });
  }
  return out;
}

/** The off-site replica compared object by object with the backups, and its own protection. */
export async function compareReplica(
  r: Replica,
  prefix: string,
  ours: ObjectVersion[],
): Promise<{ replica: NonNullable<AuditReport['replica']>; findings: Finding[] }> {
  const rp = await r.store.protection();
  const bucket = r.store.settings.bucket;
  const findings = copyFindings(ours, prefix, await replicaObjects(r), bucket);
  const count = (code: string): number => findings.filter((f) => f.code === code).length;
  const replica = {
    bucket,
    endpoint: r.store.settings.endpoint ?? 'AWS S3',
    missing: count('REPLICA_MISSING'),
    mismatched: count('REPLICA_DIFFERS'),
    objectLock: rp.objectLock,
    versioning: rp.versioning,
  };
  if (!rp.objectLock)
    findings.push({
      severity: 'P3',
      code: 'REPLICA_NO_OBJECT_LOCK',
      message: `the replica bucket ${replica.bucket} has no Object Lock`,
      fix: 'lock the off-site copy too, or encrypt and isolate its credentials',
    });
  return { replica, findings };
}
