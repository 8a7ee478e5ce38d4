/** Velero's backup name for a schedule run: `<schedule>-<YYYYMMDDHHMMSS>` (UTC). */
export function scheduledBackupName(schedule: string, at: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${schedule}-${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}`;
}
