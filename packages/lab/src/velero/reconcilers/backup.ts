import type { KubeObject } from '../../core.js';
import { runBackup } from '../backup.js';
import { advanceBackupQueue } from '../backup-queue.js';
import { readFaults } from '../faults.js';
import { V, prefixOf, type Reconciler, type VeleroServer } from './server.js';

/**
 * Backups (pkg/controller/backup_controller.go, and from v1.18 backup_queue_controller.go): the next
 * ready backup is validated against its location and run; one at a time, as Velero with one worker.
 */
export function backups(s: VeleroServer): Reconciler {
  return { name: 'backups', reconcile: () => nextBackup(s) };
}

/** Takes the next backup one step; true when it did something (there may be more to do). */
async function nextBackup(s: VeleroServer): Promise<boolean> {
  let moved = false;
  if (s.release.backupQueue) {
    for (const b of await advanceBackupQueue(s.kube, s.ns, s.inf.Backup.list(s.ns))) s.inf.Backup.remember(b);
    moved = true;
  }
  const ready = s.release.backupQueue ? ['ReadyToStart'] : ['', 'New'];
  const b = s.inf.Backup.list(s.ns).find((x) => ready.includes((x.status?.phase as string | undefined) ?? ''));
  if (!b) return moved && s.inf.Backup.list(s.ns).some((x) => ready.includes(String(x.status?.phase ?? '')));
  const ref = { ...V('Backup'), namespace: s.ns, name: b.metadata?.name ?? '' };
  const bsl = s.bslFor(b.spec?.storageLocation as string | undefined);
  const problem = locationProblem(b, bsl);
  if (problem || !bsl) {
    s.inf.Backup.remember(await s.kube.patchStatus(ref, { phase: 'FailedValidation', validationErrors: [problem] }));
    return true;
  }
  if (!b.metadata?.labels?.['velero.io/storage-location']) {
    await s.kube.patch(ref, {
      metadata: { labels: { 'velero.io/storage-location': bsl.metadata?.name } },
      spec: { storageLocation: bsl.metadata?.name },
    });
  }
  await runBackup(
    {
      kube: s.kube,
      store: await s.store(bsl),
      prefix: prefixOf(bsl),
      clock: s.clock,
      faults: await readFaults(s.kube, s.ns),
      release: s.release,
    },
    { ...b, spec: { ...b.spec, storageLocation: bsl.metadata?.name } },
  );
  return true; // one at a time; the next reconcile takes the next
}

/** Why the backup cannot be taken to its location, in Velero's words, or undefined. */
function locationProblem(b: KubeObject, bsl: KubeObject | undefined): string | undefined {
  if (!bsl)
    return `an existing backup storage location wasn't specified at backup creation time and the default '${b.spec?.storageLocation ?? 'default'}' wasn't found`;
  if (bsl.spec?.accessMode === 'ReadOnly')
    return `backup can't be created because backup storage location ${bsl.metadata?.name} is currently in read-only mode`;
  if (bsl.status?.phase !== 'Available') return `backup storage location ${bsl.metadata?.name} is unavailable`;
  return undefined;
}
