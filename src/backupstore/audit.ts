import type { Finding } from '../drill/types.js';
import { systemClock } from '../time/clock.js';
import { bucketFindings } from './audit/bucket.js';
import { lockCanary } from './audit/canary.js';
import { freshnessFindings } from './audit/freshness.js';
import { scanBucket } from './audit/inventory.js';
import { kopiaFindings } from './audit/kopia.js';
import { openReplica } from './audit/replica.js';
import type { AuditOptions, AuditReport } from './audit/types.js';

export { auditMarkdown, auditTable } from './audit/render.js';
export type { AuditBackup, AuditOptions, AuditReport, LockPolicy } from './audit/types.js';

const ORDER = { P1: 0, P2: 1, P3: 2 };

/** Worst first, then by code and object, so two audits of the same bucket read the same. */
const byImportance = (a: Finding, b: Finding): number =>
  ORDER[a.severity] - ORDER[b.severity] || a.code.localeCompare(b.code) || (a.key ?? '').localeCompare(b.key ?? '');

/**
 * The backup protection audit: the bucket's lock and versioning, every object version of the backups
 * and of the Kopia repository (lock mode, retain-until against the backup's expiration plus a margin,
 * legal holds, unlocked objects, noncurrent versions and delete markers), Velero's known caveats,
 * freshness against the RPO, age against retention, a canary that proves deletes are refused, and an
 * off-site replica compared object by object. Each finding names its object and a one-line fix.
 */
export async function auditBackups(o: AuditOptions): Promise<AuditReport> {
  const clock = o.clock ?? systemClock;
  const started = clock.now();
  const now = o.now ?? started;
  const p = await o.store.protection();
  const bucket = {
    name: o.store.settings.bucket,
    endpoint: o.store.settings.endpoint ?? 'AWS S3',
    prefix: o.prefix,
    ...p,
  };
  const ctx = { policy: o.policy, now, marginSeconds: o.marginSeconds, prefix: o.prefix };
  // the replica is listed before the bucket, so each of our objects is compared with it as it streams by
  const replicaCheck = o.replica ? await openReplica(o.replica, o.prefix) : undefined;
  const scan = await scanBucket(o, ctx, replicaCheck?.version);
  const perBackup = o.backups.map((b) => scan.backups.get(b.name)!.result());
  const kopia = kopiaFindings(scan.kopia, { prefix: o.prefix, objectLock: p.objectLock, policy: o.policy });
  const canary = o.canary.enabled && p.objectLock ? await lockCanary(o.store, o.canary, p, now) : undefined;
  const replica = replicaCheck?.result();
  const findings = [
    ...bucketFindings(bucket.name, p, o.policy),
    ...perBackup.flatMap((x) => x.findings),
    ...kopia.findings,
    ...freshnessFindings(o.backups, now, o),
    ...(canary?.findings ?? []),
    ...(replica?.findings ?? []),
  ].sort(byImportance);
  // two for the bucket's versioning and lock configuration, as protection() reads them
  const requests = 2 + scan.requests + (canary?.requests ?? 0);
  return {
    bucket,
    backups: perBackup.map((x) => x.summary),
    kopia: { objects: scan.kopia.versions, unlocked: kopia.unlocked },
    canary: canary?.canary,
    replica: replica?.replica,
    findings,
    stats: {
      versions: scan.versions,
      requests,
      seconds: (clock.now().getTime() - started.getTime()) / 1000,
    },
  };
}
