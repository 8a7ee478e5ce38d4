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

/** A delete marker of one backup: who deleted what, and whether a version of it is still there. */
function markerFinding(m: ObjectVersion, liveToo: boolean): Finding {
  return {
    severity: 'P2',
    code: 'DELETE_MARKER',
    key: m.key,
    message: `${m.key} was deleted (a delete marker hides it${liveToo ? '; the locked version is still there' : ''})`,
    fix: 'find out who deleted it (access logs); to restore it, remove the delete marker',
  };
}

/** What the bucket holds of one backup apart from its objects' locks: nothing, or an expired backup. */
function presenceFindings(b: AuditBackup, versions: number, c: ObjectsContext): Finding[] {
  const out: Finding[] = [];
  const folder = `${c.prefix}backups/${b.name}/`;
  if (versions === 0)
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

/**
 * One backup's objects in the bucket, told version by version as the listing streams (in any order for
 * live versions, which come back from a pool; `index` is the listing's): counts and findings are kept,
 * the versions are not.
 */
export class BackupObjects {
  private readonly needUntil: Date | undefined;
  private readonly counts = { objects: 0, locked: 0, unlocked: 0, legalHolds: 0, noncurrent: 0, deleteMarkers: 0 };
  private shortest: Date | undefined;
  private readonly judged: { index: number; findings: Finding[] }[] = [];
  private readonly markers: Finding[] = [];

  private readonly b: AuditBackup;
  private readonly c: ObjectsContext;

  constructor(b: AuditBackup, c: ObjectsContext) {
    this.b = b;
    this.c = c;
    this.needUntil = b.expiration ? new Date(new Date(b.expiration).getTime() + c.marginSeconds * 1000) : undefined;
  }

  /** A live version and its lock, judged against the policy and the backup's expiration. */
  version(v: ObjectVersion, l: ObjectLock, index: number): void {
    const verdict = judgeVersion(v, l, this.b, this.needUntil, this.c);
    this.counts.objects++;
    if (verdict.protectedBy) this.counts.locked++;
    else this.counts.unlocked++;
    if (l.legalHold) this.counts.legalHolds++;
    if (!v.isLatest) this.counts.noncurrent++;
    if (verdict.until && (!this.shortest || verdict.until < this.shortest)) this.shortest = verdict.until;
    if (verdict.findings.length) this.judged.push({ index, findings: verdict.findings });
  }

  /** A delete marker, in listing order; `liveToo` when its key still has a version that is not one. */
  marker(m: ObjectVersion, liveToo: boolean): void {
    this.counts.deleteMarkers++;
    this.markers.push(markerFinding(m, liveToo));
  }

  result(): { summary: BackupSummary; findings: Finding[] } {
    const summary: BackupSummary = {
      name: this.b.name,
      phase: this.b.phase,
      ...this.counts,
      shortestRetainUntil: this.shortest?.toISOString(),
      expiration: this.b.expiration,
    };
    const judged = this.judged.sort((x, y) => x.index - y.index).flatMap((x) => x.findings);
    const versions = this.counts.objects + this.counts.deleteMarkers;
    return { summary, findings: [...judged, ...this.markers, ...presenceFindings(this.b, versions, this.c)] };
  }
}
