import type { Finding } from '../../drill/types.js';
import type { BucketProtection } from '../object-store.js';
import { rank, type LockPolicy } from './types.js';

/** The bucket's Object Lock: present, with a default retention, of at least the required mode. */
function lockFindings(bucket: string, p: BucketProtection, policy: LockPolicy): Finding[] {
  if (!p.objectLock)
    return [
      {
        severity: policy.required ? 'P1' : 'P3',
        code: 'BUCKET_NO_OBJECT_LOCK',
        message: `bucket ${bucket} has no Object Lock: the backups can be deleted by anyone holding its keys, ransomware included`,
        fix: 'create a bucket with Object Lock (it cannot be enabled later), set a default retention, and move the BSL to it',
      },
    ];
  if (!p.defaultRetention)
    return [
      {
        severity: 'P2',
        code: 'BUCKET_NO_DEFAULT_RETENTION',
        message: `bucket ${bucket} has Object Lock but no default retention: Velero's objects are written unlocked`,
        fix: 'set a default retention (GOVERNANCE or COMPLIANCE, at least the backup TTL)',
      },
    ];
  if (rank(p.defaultRetention.mode) < rank(policy.minMode))
    return [
      {
        severity: 'P2',
        code: 'DEFAULT_MODE_WEAK',
        message: `the default retention is ${p.defaultRetention.mode}, below the required ${policy.minMode}`,
        fix: `set the default retention mode to ${policy.minMode}`,
      },
    ];
  return [];
}

/** Velero's known caveats with versioning and locks, which hold whatever the backups look like. */
function veleroCaveats(bucket: string, p: BucketProtection): Finding[] {
  const out: Finding[] = [
    p.versioning !== 'Enabled'
      ? {
          severity: 'P2',
          code: 'VELERO_REWRITES_METADATA',
          message: `bucket ${bucket} is not versioned, and Velero rewrites velero-backup.json when it finalizes a backup: the rewrite replaces the only copy`,
          fix: 'enable versioning (Object Lock requires it anyway)',
        }
      : {
          severity: 'P3',
          code: 'VELERO_REWRITES_METADATA',
          message:
            'Velero writes velero-backup.json twice per backup (Finalizing, then Completed): the older version stays as a noncurrent version, which is expected',
          fix: 'nothing to do; keep a NoncurrentVersionExpiration of at least the retention',
        },
  ];
  if (p.objectLock)
    out.push({
      severity: 'P3',
      code: 'VELERO_GC_BLOCKED_BY_LOCK',
      message:
        "Velero's garbage collection cannot remove locked objects: expired backups leave delete markers (or, on stores that refuse deletes, stay in Deleting with DeleteBackupRequest errors) until the lock expires",
      fix: 'keep the lock period close to the TTL, and expire noncurrent versions with a lifecycle rule',
    });
  return out;
}

/** What the bucket's own settings say, before any object is looked at. */
export function bucketFindings(bucket: string, p: BucketProtection, policy: LockPolicy): Finding[] {
  return [...lockFindings(bucket, p, policy), ...veleroCaveats(bucket, p)];
}
