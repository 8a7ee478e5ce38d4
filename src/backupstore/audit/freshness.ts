import type { Finding } from '../../drill/types.js';
import { formatDuration } from '../../scenario/duration.js';
import type { AuditBackup } from './types.js';

const ageSeconds = (b: AuditBackup, now: Date): number => (now.getTime() - Date.parse(b.startTimestamp!)) / 1000;

/** The newest Completed backup against the RPO: a disaster now loses what came after it. */
function rpoFindings(done: AuditBackup[], now: Date, rpoSeconds: number): Finding[] {
  const newest = done[0];
  if (!newest)
    return [
      {
        severity: 'P2',
        code: 'NO_COMPLETED_BACKUP',
        message: 'no Completed backup: every disaster now loses everything',
        fix: 'check the Schedule and why its backups fail',
      },
    ];
  const age = ageSeconds(newest, now);
  if (!(age > rpoSeconds)) return []; // NaN (an unreadable start) is not late
  return [
    {
      severity: 'P2',
      code: 'BACKUP_OLDER_THAN_RPO',
      key: newest.name,
      message: `the newest Completed backup (${newest.name}) is ${formatDuration(age)} old, more than the ${formatDuration(rpoSeconds)} RPO`,
      fix: 'check that the Schedule runs and its backups complete',
    },
  ];
}

/** Every Completed backup against the retention: data kept longer than promised. */
function retentionFindings(done: AuditBackup[], now: Date, retentionSeconds: number): Finding[] {
  return done.flatMap((b): Finding[] => {
    const age = ageSeconds(b, now);
    if (!(age > retentionSeconds)) return [];
    return [
      {
        severity: 'P2',
        code: 'KEPT_LONGER_THAN_RETENTION',
        key: b.name,
        message: `backup ${b.name} is ${formatDuration(age)} old, kept longer than the ${formatDuration(retentionSeconds)} retention (GDPR: remember to forget)`,
        fix: 'set the backup TTL to the retention, and let Velero expire older backups',
      },
    ];
  });
}

/** Freshness against the RPO and age against the retention, over the backups that completed, as of `now`. */
export function freshnessFindings(
  backups: AuditBackup[],
  now: Date,
  limits: { rpoSeconds?: number; retentionSeconds?: number },
): Finding[] {
  const done = backups
    .filter((b) => b.phase === 'Completed' && b.startTimestamp)
    .sort((a, b) => String(b.startTimestamp).localeCompare(String(a.startTimestamp)));
  return [
    ...(limits.rpoSeconds !== undefined ? rpoFindings(done, now, limits.rpoSeconds) : []),
    ...(limits.retentionSeconds !== undefined ? retentionFindings(done, now, limits.retentionSeconds) : []),
  ];
}
