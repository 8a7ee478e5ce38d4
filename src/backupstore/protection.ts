import type { Finding } from '../drill/types.js';
import type { LockMode, ObjectStore } from './object-store.js';

export interface LockPolicy {
  required: boolean;
  minMode: LockMode;
  coverTtl: boolean;
  canary: boolean;
}

export interface ProtectionSummary {
  bucket: string;
  endpoint: string;
  versioning: string;
  objectLock: boolean;
  defaultRetention?: { mode: LockMode; days?: number; years?: number };
  backup?: { name: string; objects: number; locked: number; unlocked: number; shortestRetainUntil?: string; expiration?: string };
  canary?: { key: string; deleteRefused: boolean };
}

const rank = (m: LockMode | undefined): number => (m === 'COMPLIANCE' ? 2 : m === 'GOVERNANCE' ? 1 : 0);

/**
 * The drill's quick look at backup protection: the bucket's lock and versioning, the chosen backup's
 * objects against its expiration, and a canary that proves deletes are refused. `kdrill audit` does
 * the full sweep; this is what preflight needs to decide and to report.
 */
export async function protectionSummary(
  store: ObjectStore,
  o: { prefix: string; backup?: { name: string; expiration?: string }; policy: LockPolicy; canaryKey: string; canarySeconds: number; now: Date },
): Promise<{ summary: ProtectionSummary; findings: Finding[] }> {
  const findings: Finding[] = [];
  const p = await store.protection();
  const summary: ProtectionSummary = { bucket: store.settings.bucket, endpoint: store.settings.endpoint ?? 'AWS', versioning: p.versioning, objectLock: p.objectLock, defaultRetention: p.defaultRetention };
  if (!p.objectLock) {
    findings.push({
      severity: o.policy.required ? 'P1' : 'P3',
      code: 'BUCKET_NO_OBJECT_LOCK',
      message: `bucket ${summary.bucket} has no Object Lock: anyone with its keys (ransomware included) can delete every backup`,
      fix: 'create a new bucket with Object Lock enabled (it cannot be turned on later) and point the BSL at it',
    });
  } else if (!p.defaultRetention) {
    findings.push({ severity: 'P2', code: 'BUCKET_NO_DEFAULT_RETENTION', message: `bucket ${summary.bucket} has Object Lock but no default retention: Velero writes objects without a lock`, fix: 'set a default retention (GOVERNANCE, at least the backup TTL)' });
  }
  if (p.versioning !== 'Enabled') findings.push({ severity: 'P2', code: 'BUCKET_NOT_VERSIONED', message: `bucket ${summary.bucket} is not versioned: Velero rewrites velero-backup.json, and a rewrite or delete loses the old copy`, fix: 'enable versioning on the bucket' });
  if (o.backup && p.objectLock) {
    let objects = 0;
    let locked = 0;
    let shortest: Date | undefined;
    const exp = o.backup.expiration ? new Date(o.backup.expiration) : undefined;
    for await (const v of store.listVersions(`${o.prefix}backups/${o.backup.name}/`)) {
      if (v.deleteMarker || !v.isLatest) continue;
      objects++;
      const lock = await store.lockOf(v.key, v.versionId);
      if (lock.mode && lock.retainUntil && lock.retainUntil > o.now) {
        locked++;
        if (!shortest || lock.retainUntil < shortest) shortest = lock.retainUntil;
        if (rank(lock.mode) < rank(o.policy.minMode)) findings.push({ severity: 'P2', code: 'LOCK_MODE_WEAK', key: v.key, message: `${v.key} is locked in ${lock.mode} mode, below the required ${o.policy.minMode}`, fix: `use ${o.policy.minMode} as the bucket's default retention mode` });
        if (o.policy.coverTtl && exp && lock.retainUntil < exp) {
          findings.push({ severity: 'P2', code: 'LOCK_SHORTER_THAN_TTL', key: v.key, message: `${v.key} is locked until ${lock.retainUntil.toISOString()}, before the backup expires (${exp.toISOString()})`, fix: 'raise the default retention to at least the backup TTL' });
        }
      } else if (!lock.legalHold) {
        findings.push({ severity: o.policy.required ? 'P1' : 'P3', code: 'OBJECT_UNLOCKED', key: v.key, message: `${v.key} has no lock: it can be deleted`, fix: 'set a default retention on the bucket so new objects are locked' });
      } else locked++;
    }
    summary.backup = { name: o.backup.name, objects, locked, unlocked: objects - locked, shortestRetainUntil: shortest?.toISOString(), expiration: o.backup.expiration };
  }
  if (o.policy.canary && p.objectLock) {
    const until = new Date(o.now.getTime() + o.canarySeconds * 1000);
    const put = await store.put(o.canaryKey, `kdrill lock canary, ${o.now.toISOString()}\n`, { retention: { mode: p.defaultRetention?.mode ?? 'GOVERNANCE', until } });
    const outcome = put.versionId ? await store.deleteVersion(o.canaryKey, put.versionId) : 'deleted';
    summary.canary = { key: o.canaryKey, deleteRefused: outcome === 'refused' };
    if (outcome !== 'refused') findings.push({ severity: 'P1', code: 'LOCK_NOT_ENFORCED', key: o.canaryKey, message: `the canary ${o.canaryKey} was deleted although it was locked: the store does not enforce Object Lock`, fix: 'use a store that enforces Object Lock (AWS S3, Ceph RGW, MinIO), and check its configuration' });
  }
  return { summary, findings };
}
