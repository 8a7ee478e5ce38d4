import type { Finding } from '../../drill/types.js';
import { formatDuration } from '../../scenario/duration.js';
import type { ObjectLock, ObjectVersion } from '../object-store.js';
import { rank, type AuditBackup, type BackupSummary, type LockPolicy } from './types.js';

export interface ObjectsContext {
  policy: LockPolicy;
  now: Date;
  marginSeconds: number;
  prefix: string;
}

interface VersionVerdict {
  findings: Finding[];
  /** Protected from deletion: by an active retention or by a legal hold. */
  protectedBy?: 'retention' | 'hold';
  /** The retain-until of an active retention. */
  until?: Date;
}

/** The retention of an active lock, against the required mode and the backup's expiration plus the margin. */
function retentionFindings(
  v: ObjectVersion,
  l: ObjectLock,
  b: AuditBackup,
  needUntil: Date | undefined,
  c: ObjectsContext,
): Finding[] {
  const out: Finding[] = [];
  if (rank(l.mode) < rank(c.policy.minMode))
    out.push({
      severity: 'P2',
      code: 'LOCK_MODE_WEAK',
      key: v.key,
      message: `${v.key} is locked in ${l.mode} mode, below the required ${c.policy.minMode}`,
      fix: `use ${c.policy.minMode} for the default retention`,
    });
  if (c.policy.coverTtl && needUntil && v.isLatest && l.retainUntil! < needUntil)
    out.push({
      severity: 'P2',
      code: 'RETENTION_SHORTER_THAN_TTL',
      key: v.key,
      message: `${v.key} is locked until ${l.retainUntil!.toISOString()}, before the backup expires (${b.expiration}) plus ${formatDuration(c.marginSeconds)}`,
      fix: 'raise the bucket default retention to at least the backup TTL plus a margin',
    });
  return out;
}

/** One live version: held, locked (and locked long and hard enough), or deletable. */
function judgeVersion(
  v: ObjectVersion,
  l: ObjectLock,
  b: AuditBackup,
  needUntil: Date | undefined,
  c: ObjectsContext,
): VersionVerdict {
  const findings: Finding[] = [];
  if (l.legalHold)
    findings.push({
      severity: 'P3',
      code: 'LEGAL_HOLD',
      key: v.key,
      message: `${v.key} is under a legal hold: nothing can delete it until the hold is released`,
      fix: 'release the hold when the legal reason ends (it overrides retention and TTL)',
    });
  const active = !!(l.mode && l.retainUntil && l.retainUntil > c.now);
  if (active) {
    findings.push(...retentionFindings(v, l, b, needUntil, c));
    return { findings, protectedBy: 'retention', until: l.retainUntil };
  }
  if (l.legalHold) return { findings, protectedBy: 'hold' };
  findings.push({
    severity: c.policy.required ? 'P1' : 'P3',
    code: 'OBJECT_UNLOCKED',
    key: v.key,
    message: `${v.key} has no lock: it can be deleted`,
    fix: 'set a default retention on the bucket so Velero writes locked objects',
  });
  return { findings };
}

/** What the bucket holds of one backup apart from its objects' locks: delete markers, nothing, or an expired backup. */
function presenceFindings(b: AuditBackup, versions: ObjectVersion[], c: ObjectsContext): Finding[] {
  const out: Finding[] = versions
    .filter((x) => x.deleteMarker)
    .map((m) => ({
      severity: 'P2',
      code: 'DELETE_MARKER',
      key: m.key,
      message: `${m.key} was deleted (a delete marker hides it${versions.some((x) => x.key === m.key && !x.deleteMarker) ? '; the locked version is still there' : ''})`,
      fix: 'find out who deleted it (access logs); to restore it, remove the delete marker',
    }));
  const folder = `${c.prefix}backups/${b.name}/`;
  if (versions.length === 0)
    out.push({
      severity: 'P2',
      code: 'BACKUP_NOT_IN_BUCKET',
      key: folder,
      message: `backup ${b.name} has no objects in the bucket`,
      fix: 'check the BSL points at the bucket the backups were written to',
    });
  if (b.expiration && new Date(b.expiration) < c.now)
    out.push({
      severity: 'P3',
      code: 'BACKUP_EXPIRED',
      key: folder,
      message: `backup ${b.name} expired on ${b.expiration} and is still present`,
      fix: "check Velero's garbage collection (velero backup get; DeleteBackupRequests with errors)",
    });
  return out;
}

/** One backup's objects in the bucket: each version's lock against the policy and the backup's expiration. */
export function auditBackupObjects(
  b: AuditBackup,
  versions: ObjectVersion[],
  locks: Map<ObjectVersion, ObjectLock>,
  c: ObjectsContext,
): { summary: BackupSummary; findings: Finding[] } {
  const needUntil = b.expiration ? new Date(new Date(b.expiration).getTime() + c.marginSeconds * 1000) : undefined;
  const live = versions.filter((x) => !x.deleteMarker);
  const verdicts = live.map((v) => judgeVersion(v, locks.get(v)!, b, needUntil, c));
  let shortest: Date | undefined;
  for (const { until } of verdicts) if (until && (!shortest || until < shortest)) shortest = until;
  const summary: BackupSummary = {
    name: b.name,
    phase: b.phase,
    objects: live.length,
    locked: verdicts.filter((x) => x.protectedBy).length,
    unlocked: verdicts.filter((x) => !x.protectedBy).length,
    legalHolds: live.filter((v) => locks.get(v)!.legalHold).length,
    noncurrent: live.filter((x) => !x.isLatest).length,
    deleteMarkers: versions.length - live.length,
    shortestRetainUntil: shortest?.toISOString(),
    expiration: b.expiration,
  };
  return { summary, findings: [...verdicts.flatMap((x) => x.findings), ...presenceFindings(b, versions, c)] };
}
