import { createHash } from 'node:crypto';

export const BACKUP_NAME_LABEL = 'velero.io/backup-name';
export const RESTORE_NAME_LABEL = 'velero.io/restore-name';

/**
 * A name as Velero puts it in a label value (pkg/label/label.go GetValidName): names longer than a
 * DNS-1035 label (63) keep their first 57 characters and end with 6 hex digits of their SHA-256.
 */
export function validLabelValue(name: string): string {
  if (name.length <= 63) return name;
  return name.slice(0, 57) + createHash('sha256').update(name).digest('hex').slice(0, 6);
}

/** The labels every restored object gets (addRestoreLabels, pkg/restore/restore.go). */
export function restoreLabels(backup: string, restore: string): Record<string, string> {
  return { [BACKUP_NAME_LABEL]: validLabelValue(backup), [RESTORE_NAME_LABEL]: validLabelValue(restore) };
}
