import type { Finding } from '../../drill/types.js';
import type { ObjectLock } from '../object-store.js';
import type { LockPolicy } from './types.js';

/** The Kopia repository's versions as the listing streams: how many, and how many live ones have no lock. */
export class KopiaObjects {
  versions = 0;
  unlocked = 0;
  version(l: ObjectLock): void {
    if (!l.mode && !l.legalHold) this.unlocked++;
  }
}

/** The Kopia repository (file-system backups): unlocked blobs, and maintenance against the lock. */
export function kopiaFindings(
  kopia: KopiaObjects,
  c: { prefix: string; objectLock: boolean; policy: LockPolicy },
): { unlocked: number; findings: Finding[] } {
  const unlocked = kopia.unlocked;
  const findings: Finding[] = [];
  if (kopia.versions && c.objectLock)
    findings.push({
      severity: 'P3',
      code: 'KOPIA_MAINTENANCE_VS_LOCK',
      key: `${c.prefix}kopia/`,
      message: `the Kopia repository (${kopia.versions} versions) is under Object Lock: Kopia maintenance deletes blobs, which leaves delete markers, and fails on stores that refuse deletes`,
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
