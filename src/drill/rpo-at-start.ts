import { formatDuration } from '../scenario/duration-text.js';
import type { Finding } from './types.js';

/**
 * The newest usable backup is already older than the RPO: a disaster now would lose more than it
 * allows. The ages are said as durations (an RPO of minutes must not read "0h").
 */
export function rpoAtStartFinding(backup: string, ageSeconds: number, rpoSeconds: number): Finding | undefined {
  if (ageSeconds <= rpoSeconds) return undefined;
  return {
    severity: 'P2',
    code: 'RPO_BREACHED_AT_START',
    key: backup,
    message: `the newest usable backup (${backup}) is ${formatDuration(ageSeconds)} old: a disaster now loses more than the ${formatDuration(rpoSeconds)} RPO allows`,
    fix: 'check the Schedule runs and its backups complete (velero schedule describe)',
  };
}
