import type { KubeObject } from '../../core.js';
import { backupDir } from '../layout.js';
import { V, prefixOf, type Reconciler, type VeleroServer } from './server.js';

/**
 * DeleteBackupRequests (pkg/controller/backup_deletion_controller.go): a backup that may go has its
 * files deleted the way velero-plugin-for-aws does, then its Restores, itself and the other requests
 * for it; a refusal or a failed delete ends the request Processed with the errors.
 */
export function backupDeletion(s: VeleroServer): Reconciler {
  return {
    name: 'deletions',
    reconcile: async () => {
      for (const dbr of s.inf.DeleteBackupRequest.list(s.ns))
        if (dbr.status?.phase !== 'Processed') await processRequest(s, dbr);
      return false;
    },
  };
}

async function processRequest(s: VeleroServer, dbr: KubeObject): Promise<void> {
  const ref = { ...V('DeleteBackupRequest'), namespace: s.ns, name: dbr.metadata?.name ?? '' };
  const name = String(dbr.spec?.backupName ?? '');
  const backup = s.inf.Backup.get(s.ns, name);
  const bsl = backup ? s.bslFor(backup.spec?.storageLocation as string | undefined) : undefined;
  const refusal = refused(backup, bsl);
  if (refusal || !bsl) {
    await s.kube.patchStatus(ref, { phase: 'Processed', errors: [refusal] });
    return;
  }
  await s.kube.patchStatus(ref, { phase: 'InProgress' });
  const bref = { ...V('Backup'), namespace: s.ns, name };
  await s.kube.patchStatus(bref, { phase: 'Deleting' });
  const problems = await deleteFiles(s, bsl, name);
  if (problems.length) {
    // as Velero: the Backup stays in Deleting, the request ends Processed with the errors
    await s.kube.patchStatus(ref, { phase: 'Processed', errors: problems });
    return;
  }
  for (const r of s.inf.Restore.list(s.ns).filter((x) => x.spec?.backupName === name))
    await s.kube.delete({ ...V('Restore'), namespace: s.ns, name: r.metadata?.name ?? '' });
  await s.kube.delete(bref);
  await s.kube.patchStatus(ref, { phase: 'Processed' });
  for (const other of s.inf.DeleteBackupRequest.list(s.ns).filter((x) => x.spec?.backupName === name))
    await s.kube.delete({ ...V('DeleteBackupRequest'), namespace: s.ns, name: other.metadata?.name ?? '' });
}

/** Why the backup may not be deleted, in Velero's words, or undefined. */
function refused(backup: KubeObject | undefined, bsl: KubeObject | undefined): string | undefined {
  if (!backup) return 'backup not found';
  if (backup.status?.phase === 'InProgress' || backup.status?.phase === 'New') return 'backup is still in progress';
  if (!bsl) return `backup storage location ${backup.spec?.storageLocation} not found`;
  if (bsl.spec?.accessMode === 'ReadOnly')
    return `cannot delete backup because backup storage location ${bsl.metadata?.name} is currently in read-only mode`;
  return undefined;
}

/** velero-plugin-for-aws deletes without a VersionId: on a versioned bucket that leaves markers. */
async function deleteFiles(s: VeleroServer, bsl: KubeObject, name: string): Promise<string[]> {
  const store = await s.store(bsl);
  const problems: string[] = [];
  for await (const o of store.list(backupDir(prefixOf(bsl), name))) {
    await store.delete(o.key).catch((e: Error) => problems.push(`error deleting object ${o.key}: ${e.message}`));
  }
  return problems;
}
