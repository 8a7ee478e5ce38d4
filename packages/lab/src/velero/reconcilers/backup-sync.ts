import type { KubeObject, ObjectStore } from '../../core.js';
import { backupKeys } from '../layout.js';
import { V, prefixOf, type Reconciler, type VeleroServer } from './server.js';

/**
 * Backup sync (pkg/controller/backup_sync_controller.go), every `syncMs`: each backup found in an
 * Available location and missing from the cluster is created from its velero-backup.json; a Completed
 * or PartiallyFailed one gone from the store is removed from the cluster.
 */
export function backupSync(s: VeleroServer): Reconciler {
  let lastSync = 0;
  return {
    name: 'sync',
    reconcile: async () => {
      const t = s.clock.now().getTime();
      if (t - lastSync < (s.opts.syncMs ?? 2000)) return false;
      lastSync = t;
      for (const bsl of s.inf.BackupStorageLocation.list(s.ns)) {
        if (bsl.status?.phase !== 'Available') continue;
        const store = await s.store(bsl);
        const inStore = await backupsIn(store, prefixOf(bsl));
        for (const name of inStore) if (!s.inf.Backup.get(s.ns, name)) await syncIn(s, store, bsl, name);
        await dropGone(s, bsl, inStore);
      }
      return false;
    },
  };
}

async function backupsIn(store: ObjectStore, prefix: string): Promise<Set<string>> {
  const inStore = new Set<string>();
  for await (const o of store.list(`${prefix}backups/`)) {
    const m = /^backups\/([^/]+)\/velero-backup\.json$/.exec(o.key.slice(prefix.length));
    if (m) inStore.add(m[1]!);
  }
  return inStore;
}

/** Creates the Backup from its metadata; one still finalizing is left for later, unless it expired. */
async function syncIn(s: VeleroServer, store: ObjectStore, bsl: KubeObject, name: string): Promise<void> {
  const raw = await store.get(backupKeys(prefixOf(bsl), name).metadata);
  if (!raw) return;
  let b: KubeObject;
  try {
    b = JSON.parse(raw.toString('utf8')) as KubeObject;
  } catch {
    return;
  }
  const phase = b.status?.phase as string | undefined;
  const expired = b.status?.expiration && Date.parse(b.status.expiration as string) < s.clock.now().getTime();
  if ((phase?.startsWith('Finalizing') || phase?.startsWith('WaitingForPluginOperations')) && !expired) return;
  const labels = { ...(b.metadata?.labels ?? {}), 'velero.io/storage-location': bsl.metadata?.name ?? 'default' };
  const created = await s.kube
    .create({
      ...V('Backup'),
      metadata: { name, namespace: s.ns, labels, annotations: b.metadata?.annotations },
      spec: { ...b.spec, storageLocation: bsl.metadata?.name },
      status: { ...b.status, ...(expired && phase !== 'Completed' ? { phase: 'PartiallyFailed' } : {}) },
    })
    .catch((e: Error) => s.note(`sync ${name}: ${e.message}`));
  if (created) s.inf.Backup.remember(created);
}

/** Backups that were Completed here but are gone from the store are removed, as Velero's sync does. */
async function dropGone(s: VeleroServer, bsl: KubeObject, inStore: Set<string>): Promise<void> {
  for (const b of s.inf.Backup.list(s.ns)) {
    if (b.spec?.storageLocation !== bsl.metadata?.name || inStore.has(b.metadata?.name ?? '')) continue;
    if (b.status?.phase === 'Completed' || b.status?.phase === 'PartiallyFailed') {
      await s.kube.delete({ ...V('Backup'), namespace: s.ns, name: b.metadata?.name ?? '' });
      s.inf.Backup.forget(b);
    }
  }
}
