import type { Finding } from '../drill/types.js';
import { formatDuration } from '../scenario/duration.js';
import type { BucketProtection, ObjectStore, ObjectVersion } from './object-store.js';
import { mapPool } from './pool.js';

export interface LockPolicy {
  required: boolean;
  minMode: 'GOVERNANCE' | 'COMPLIANCE';
  coverTtl: boolean;
  canary: boolean;
}

export interface AuditBackup {
  name: string;
  phase: string;
  startTimestamp?: string;
  expiration?: string;
}

export interface AuditOptions {
  store: ObjectStore;
  prefix: string;
  /** The backups to check (all of them, or the one asked for); from the cluster or the bucket. */
  backups: AuditBackup[];
  /** Look at every backup folder in the bucket, not only `backups` (for --all). */
  policy: LockPolicy;
  marginSeconds: number;
  rpoSeconds?: number;
  retentionSeconds?: number;
  canary: { enabled: boolean; key: string; retentionSeconds: number };
  replica?: { store: ObjectStore; prefix: string };
  concurrency: number;
  now: Date;
}

export interface AuditReport {
  bucket: { name: string; endpoint: string; prefix: string } & BucketProtection;
  backups: {
    name: string;
    phase: string;
    objects: number;
    locked: number;
    unlocked: number;
    legalHolds: number;
    noncurrent: number;
    deleteMarkers: number;
    shortestRetainUntil?: string;
    expiration?: string;
  }[];
  kopia: { objects: number; unlocked: number };
  canary?: { key: string; deleteRefused: boolean };
  replica?: {
    bucket: string;
    endpoint: string;
    missing: number;
    mismatched: number;
    objectLock: boolean;
    versioning: string;
  };
  findings: Finding[];
  stats: { versions: number; requests: number; seconds: number };
}

const rank = (m?: string): number => (m === 'COMPLIANCE' ? 2 : m === 'GOVERNANCE' ? 1 : 0);

/**
 * The backup protection audit: the bucket's lock and versioning, every object version of the backups
 * and of the Kopia repository (lock mode, retain-until against the backup's expiration plus a margin,
 * legal holds, unlocked objects, noncurrent versions and delete markers), Velero's known caveats,
 * freshness against the RPO, age against retention, a canary that proves deletes are refused, and an
 * off-site replica compared object by object. Each finding names its object and a one-line fix.
 */
export async function auditBackups(o: AuditOptions): Promise<AuditReport> {
  const t0 = Date.now();
  let requests = 0;
  const findings: Finding[] = [];
  const add = (f: Finding): void => void findings.push(f);
  const p = await o.store.protection();
  requests += 2;
  const bucket = {
    name: o.store.settings.bucket,
    endpoint: o.store.settings.endpoint ?? 'AWS S3',
    prefix: o.prefix,
    ...p,
  };

  if (!p.objectLock)
    add({
      severity: o.policy.required ? 'P1' : 'P3',
      code: 'BUCKET_NO_OBJECT_LOCK',
      message: `bucket ${bucket.name} has no Object Lock: the backups can be deleted by anyone holding its keys, ransomware included`,
      fix: 'create a bucket with Object Lock (it cannot be enabled later), set a default retention, and move the BSL to it',
    });
  else if (!p.defaultRetention)
    add({
      severity: 'P2',
      code: 'BUCKET_NO_DEFAULT_RETENTION',
      message: `bucket ${bucket.name} has Object Lock but no default retention: Velero's objects are written unlocked`,
      fix: 'set a default retention (GOVERNANCE or COMPLIANCE, at least the backup TTL)',
    });
  else if (rank(p.defaultRetention.mode) < rank(o.policy.minMode))
    add({
      severity: 'P2',
      code: 'DEFAULT_MODE_WEAK',
      message: `the default retention is ${p.defaultRetention.mode}, below the required ${o.policy.minMode}`,
      fix: `set the default retention mode to ${o.policy.minMode}`,
    });
  if (p.versioning !== 'Enabled')
    add({
      severity: 'P2',
      code: 'VELERO_REWRITES_METADATA',
      message: `bucket ${bucket.name} is not versioned, and Velero rewrites velero-backup.json when it finalizes a backup: the rewrite replaces the only copy`,
      fix: 'enable versioning (Object Lock requires it anyway)',
    });
  else
    add({
      severity: 'P3',
      code: 'VELERO_REWRITES_METADATA',
      message:
        'Velero writes velero-backup.json twice per backup (Finalizing, then Completed): the older version stays as a noncurrent version, which is expected',
      fix: 'nothing to do; keep a NoncurrentVersionExpiration of at least the retention',
    });
  if (p.objectLock)
    add({
      severity: 'P3',
      code: 'VELERO_GC_BLOCKED_BY_LOCK',
      message:
        "Velero's garbage collection cannot remove locked objects: expired backups leave delete markers (or, on stores that refuse deletes, stay in Deleting with DeleteBackupRequest errors) until the lock expires",
      fix: 'keep the lock period close to the TTL, and expire noncurrent versions with a lifecycle rule',
    });

  // every version under the backups asked for, then under kopia/
  const byBackup = new Map<string, ObjectVersion[]>();
  for (const b of o.backups) byBackup.set(b.name, []);
  const all: ObjectVersion[] = [];
  for (const b of o.backups) {
    for await (const v of o.store.listVersions(`${o.prefix}backups/${b.name}/`)) {
      byBackup.get(b.name)!.push(v);
      all.push(v);
    }
    requests++;
  }
  const kopia: ObjectVersion[] = [];
  for await (const v of o.store.listVersions(`${o.prefix}kopia/`)) kopia.push(v);
  requests++;
  const live = [...all, ...kopia].filter((v) => !v.deleteMarker);
  const locks = new Map<ObjectVersion, Awaited<ReturnType<ObjectStore['lockOf']>>>();
  await mapPool(live, o.concurrency, async (v) => {
    locks.set(v, await o.store.lockOf(v.key, v.versionId));
    requests++;
  });

  const backups: AuditReport['backups'] = [];
  for (const b of o.backups) {
    const versions = byBackup.get(b.name) ?? [];
    const exp = b.expiration ? new Date(b.expiration) : undefined;
    const needUntil = exp ? new Date(exp.getTime() + o.marginSeconds * 1000) : undefined;
    let locked = 0;
    let unlocked = 0;
    let holds = 0;
    let shortest: Date | undefined;
    for (const v of versions.filter((x) => !x.deleteMarker)) {
      const l = locks.get(v)!;
      const active = !!(l.mode && l.retainUntil && l.retainUntil > o.now);
      if (l.legalHold) {
        holds++;
        add({
          severity: 'P3',
          code: 'LEGAL_HOLD',
          key: v.key,
          message: `${v.key} is under a legal hold: nothing can delete it until the hold is released`,
          fix: 'release the hold when the legal reason ends (it overrides retention and TTL)',
        });
      }
      if (active) {
        locked++;
        if (!shortest || l.retainUntil! < shortest) shortest = l.retainUntil;
        if (rank(l.mode) < rank(o.policy.minMode))
          add({
            severity: 'P2',
            code: 'LOCK_MODE_WEAK',
            key: v.key,
            message: `${v.key} is locked in ${l.mode} mode, below the required ${o.policy.minMode}`,
            fix: `use ${o.policy.minMode} for the default retention`,
          });
        if (o.policy.coverTtl && needUntil && v.isLatest && l.retainUntil! < needUntil) {
          add({
            severity: 'P2',
            code: 'RETENTION_SHORTER_THAN_TTL',
            key: v.key,
            message: `${v.key} is locked until ${l.retainUntil!.toISOString()}, before the backup expires (${b.expiration}) plus ${formatDuration(o.marginSeconds)}`,
            fix: 'raise the bucket default retention to at least the backup TTL plus a margin',
          });
        }
      } else if (!l.legalHold) {
        unlocked++;
        add({
          severity: o.policy.required ? 'P1' : 'P3',
          code: 'OBJECT_UNLOCKED',
          key: v.key,
          message: `${v.key} has no lock: it can be deleted`,
          fix: 'set a default retention on the bucket so Velero writes locked objects',
        });
      } else locked++;
    }
    const markers = versions.filter((x) => x.deleteMarker);
    for (const m of markers)
      add({
        severity: 'P2',
        code: 'DELETE_MARKER',
        key: m.key,
        message: `${m.key} was deleted (a delete marker hides it${versions.some((x) => x.key === m.key && !x.deleteMarker) ? '; the locked version is still there' : ''})`,
        fix: 'find out who deleted it (access logs); to restore it, remove the delete marker',
      });
    const noncurrent = versions.filter((x) => !x.deleteMarker && !x.isLatest);
    backups.push({
      name: b.name,
      phase: b.phase,
      objects: versions.filter((x) => !x.deleteMarker).length,
      locked,
      unlocked,
      legalHolds: holds,
      noncurrent: noncurrent.length,
      deleteMarkers: markers.length,
      shortestRetainUntil: shortest?.toISOString(),
      expiration: b.expiration,
    });
    if (versions.length === 0)
      add({
        severity: 'P2',
        code: 'BACKUP_NOT_IN_BUCKET',
        key: `${o.prefix}backups/${b.name}/`,
        message: `backup ${b.name} has no objects in the bucket`,
        fix: 'check the BSL points at the bucket the backups were written to',
      });
    if (exp && exp < o.now)
      add({
        severity: 'P3',
        code: 'BACKUP_EXPIRED',
        key: `${o.prefix}backups/${b.name}/`,
        message: `backup ${b.name} expired on ${b.expiration} and is still present`,
        fix: "check Velero's garbage collection (velero backup get; DeleteBackupRequests with errors)",
      });
  }
  const kopiaUnlocked = kopia.filter((v) => !v.deleteMarker && !locks.get(v)?.mode && !locks.get(v)?.legalHold).length;
  if (kopia.length && p.objectLock)
    add({
      severity: 'P3',
      code: 'KOPIA_MAINTENANCE_VS_LOCK',
      key: `${o.prefix}kopia/`,
      message: `the Kopia repository (${kopia.length} versions) is under Object Lock: Kopia maintenance deletes blobs, which leaves delete markers, and fails on stores that refuse deletes`,
      fix: 'watch the maintenance Jobs, and size the lock period so blobs outlive the backups that use them',
    });
  if (kopiaUnlocked)
    add({
      severity: o.policy.required ? 'P1' : 'P3',
      code: 'KOPIA_UNLOCKED',
      key: `${o.prefix}kopia/`,
      message: `${kopiaUnlocked} object(s) of the Kopia repository have no lock`,
      fix: 'set a default retention on the bucket',
    });

  // freshness and retention, over the backups that completed
  const done = o.backups
    .filter((b) => b.phase === 'Completed' && b.startTimestamp)
    .sort((a, b) => String(b.startTimestamp).localeCompare(String(a.startTimestamp)));
  if (o.rpoSeconds !== undefined) {
    const newest = done[0];
    if (!newest)
      add({
        severity: 'P2',
        code: 'NO_COMPLETED_BACKUP',
        message: 'no Completed backup: every disaster now loses everything',
        fix: 'check the Schedule and why its backups fail',
      });
    else {
      const age = (o.now.getTime() - Date.parse(newest.startTimestamp!)) / 1000;
      if (age > o.rpoSeconds)
        add({
          severity: 'P2',
          code: 'BACKUP_OLDER_THAN_RPO',
          key: newest.name,
          message: `the newest Completed backup (${newest.name}) is ${formatDuration(age)} old, more than the ${formatDuration(o.rpoSeconds)} RPO`,
          fix: 'check that the Schedule runs and its backups complete',
        });
    }
  }
  if (o.retentionSeconds !== undefined) {
    for (const b of done) {
      const age = (o.now.getTime() - Date.parse(b.startTimestamp!)) / 1000;
      if (age > o.retentionSeconds)
        add({
          severity: 'P2',
          code: 'KEPT_LONGER_THAN_RETENTION',
          key: b.name,
          message: `backup ${b.name} is ${formatDuration(age)} old, kept longer than the ${formatDuration(o.retentionSeconds)} retention (GDPR: remember to forget)`,
          fix: 'set the backup TTL to the retention, and let Velero expire older backups',
        });
    }
  }

  let canary: AuditReport['canary'];
  if (o.canary.enabled && p.objectLock) {
    const put = await o.store.put(o.canary.key, `kdrill lock canary ${o.now.toISOString()}\n`, {
      retention: {
        mode: p.defaultRetention?.mode ?? 'GOVERNANCE',
        until: new Date(o.now.getTime() + o.canary.retentionSeconds * 1000),
      },
    });
    const outcome = put.versionId ? await o.store.deleteVersion(o.canary.key, put.versionId) : 'deleted';
    requests += 2;
    canary = { key: o.canary.key, deleteRefused: outcome === 'refused' };
    if (outcome !== 'refused')
      add({
        severity: 'P1',
        code: 'LOCK_NOT_ENFORCED',
        key: o.canary.key,
        message: `the locked canary ${o.canary.key} could be deleted: this store does not enforce Object Lock`,
        fix: 'use a store that enforces Object Lock, and check its configuration',
      });
  }

  let replica: AuditReport['replica'];
  if (o.replica) {
    const rp = await o.replica.store.protection();
    const theirs = new Map<string, { size: number; etag: string }>();
    for await (const x of o.replica.store.list(`${o.replica.prefix}backups/`))
      theirs.set(x.key.slice(o.replica.prefix.length), { size: x.size, etag: x.etag });
    let missing = 0;
    let mismatched = 0;
    for (const v of all.filter((x) => x.isLatest && !x.deleteMarker)) {
      const rel = v.key.slice(o.prefix.length);
      const r = theirs.get(rel);
      if (!r) {
        missing++;
        add({
          severity: 'P2',
          code: 'REPLICA_MISSING',
          key: v.key,
          message: `${rel} is missing from the replica ${o.replica.store.settings.bucket}`,
          fix: 'check the replication job (rclone, bucket replication) and rerun it',
        });
      } else if (r.size !== v.size || (r.etag && v.etag && r.etag !== v.etag)) {
        mismatched++;
        add({
          severity: 'P2',
          code: 'REPLICA_DIFFERS',
          key: v.key,
          message: `${rel} differs in the replica (size ${r.size} vs ${v.size})`,
          fix: 'recopy it; a differing copy is no copy',
        });
      }
    }
    replica = {
      bucket: o.replica.store.settings.bucket,
      endpoint: o.replica.store.settings.endpoint ?? 'AWS S3',
      missing,
      mismatched,
      objectLock: rp.objectLock,
      versioning: rp.versioning,
    };
    if (!rp.objectLock)
      add({
        severity: 'P3',
        code: 'REPLICA_NO_OBJECT_LOCK',
        message: `the replica bucket ${replica.bucket} has no Object Lock`,
        fix: 'lock the off-site copy too, or encrypt and isolate its credentials',
      });
  }
  const order = { P1: 0, P2: 1, P3: 2 };
  findings.sort(
    (a, b) =>
      order[a.severity] - order[b.severity] || a.code.localeCompare(b.code) || (a.key ?? '').localeCompare(b.key ?? ''),
  );
  return {
    bucket,
    backups,
    kopia: { objects: kopia.length, unlocked: kopiaUnlocked },
    canary,
    replica,
    findings,
    stats: { versions: all.length + kopia.length, requests, seconds: (Date.now() - t0) / 1000 },
  };
}

/** The Markdown section the drill report reuses. */
export function auditMarkdown(r: AuditReport): string {
  const L = [
    '## Backup protection audit',
    '',
    `Bucket \`${r.bucket.name}\` at ${r.bucket.endpoint}: Object Lock ${r.bucket.objectLock ? 'enabled' : '**disabled**'}${r.bucket.defaultRetention ? ` (default ${r.bucket.defaultRetention.mode} ${r.bucket.defaultRetention.days ?? 0}d${r.bucket.defaultRetention.years ? ` ${r.bucket.defaultRetention.years}y` : ''})` : ''}, versioning ${r.bucket.versioning}.`,
    '',
  ];
  if (r.backups.length) {
    L.push(
      '| backup | objects | locked | unlocked | legal holds | noncurrent | delete markers |',
      '|---|---|---|---|---|---|---|',
    );
    for (const b of r.backups)
      L.push(
        `| ${b.name} | ${b.objects} | ${b.locked} | ${b.unlocked} | ${b.legalHolds} | ${b.noncurrent} | ${b.deleteMarkers} |`,
      );
    L.push('');
  }
  if (r.canary)
    L.push(
      `Canary \`${r.canary.key}\`: delete ${r.canary.deleteRefused ? 'refused (the lock is enforced)' : '**succeeded (the lock is not enforced)**'}.`,
      '',
    );
  if (r.replica)
    L.push(
      `Replica \`${r.replica.bucket}\`: ${r.replica.missing} missing, ${r.replica.mismatched} different; Object Lock ${r.replica.objectLock ? 'enabled' : 'disabled'}.`,
      '',
    );
  if (r.findings.length === 0) return `${[...L, 'No findings.'].join('\n')}\n`;
  L.push('| severity | finding | object | fix |', '|---|---|---|---|');
  for (const f of r.findings)
    L.push(`| ${f.severity} | ${f.message.replace(/\|/g, '\\|')} | ${f.key ? `\`${f.key}\`` : ''} | ${f.fix} |`);
  return `${L.join('\n')}\n`;
}

export function auditTable(r: AuditReport): string {
  const lines = [
    `bucket ${r.bucket.name} (${r.bucket.endpoint}${r.bucket.prefix ? `, prefix ${r.bucket.prefix}` : ''}): Object Lock ${r.bucket.objectLock ? 'on' : 'OFF'}, versioning ${r.bucket.versioning}${r.bucket.defaultRetention ? `, default ${r.bucket.defaultRetention.mode} ${r.bucket.defaultRetention.days ?? `${r.bucket.defaultRetention.years}y`}d` : ''}`,
  ];
  for (const b of r.backups)
    lines.push(
      `  ${b.name.padEnd(28)} ${String(b.objects).padStart(3)} objects, ${b.locked} locked, ${b.unlocked} unlocked, ${b.deleteMarkers} delete markers`,
    );
  if (r.canary) lines.push(`  canary ${r.canary.key}: ${r.canary.deleteRefused ? 'delete refused' : 'DELETED'}`);
  lines.push('', 'SEV  FINDING                          OBJECT / FIX');
  for (const f of r.findings)
    lines.push(`${f.severity}   ${f.code.padEnd(32)} ${f.key ?? ''}\n       ${f.message}\n       fix: ${f.fix}`);
  const n = (s: string): number => r.findings.filter((f) => f.severity === s).length;
  lines.push(
    '',
    `${n('P1')} P1, ${n('P2')} P2, ${n('P3')} P3 · ${r.stats.versions} versions in ${r.stats.seconds.toFixed(2)}s`,
  );
  return `${lines.join('\n')}\n`;
}
