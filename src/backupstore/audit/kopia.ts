import type { Finding } from '../../drill/types.js';
import type { ObjectLock, ObjectVersion } from '../object-store.js';
import type { LockPolicy } from './types.js';

/** The Kopia repository (file-system backups): unlocked blobs, and maintenance against the lock. */
export function kopiaFindings(
  kopia: ObjectVersion[],
  locks: Map<ObjectVersion, ObjectLock>,
  c: { prefix: string; objectLock: boolean; policy: LockPolicy },
): { unlocked: number; findings: Finding[] } {
  const unlocked = kopia.filter((v) => !v.deleteMarker && !locks.get(v)?.mode && !locks.get(v)?.legalHold).length;
  const findings: Finding[] = [];
  if (kopia.length && c.objectLock)
    findings.push({
      severity: 'P3',
      code: 'KOPIA_MAINTENANCE_VS_LOCK',
      key: `${c.prefix}kopia/`,
      message: `the Kopia repository (${kopia.length} versions) is under Object Lock: Kopia maintenance deletes blobs, which leaves delete markers, and fails on stores that refuse deletes`,
      fix: 'watch the maintenance Jobs, and size the lock period so blobs outlive the backups that use them',
    });
  if (unlocked)
    findings.push({
      severity: c.policy.required ? 'P1' : 'P3',
      code: 'KOPIA_UNLOCKED',
      key: `${c.prefix}kopia/`,
      message: `${unlocked} object(s) of the Kopia repository have no lock`,
      fix: 'set a default retention on the bucket',
    });
  return { unlocked, findings };
}
