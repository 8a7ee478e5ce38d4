import { k8sTime } from '../../core.js';
import type { KubeObject } from '../../core.js';
import { backupKeys, restoreKeys } from '../layout.js';
import { V, prefixOf, type Reconciler, type VeleroServer } from './server.js';

/** How long a download URL, and the request's expiration, last (Velero: 10 minutes). */
const URL_TTL_S = 600;

/**
 * DownloadRequests (pkg/controller/download_request_controller.go): each unprocessed one gets a
 * pre-signed URL of its target file and an expiration; one whose backup or location is gone is
 * Processed without a URL.
 */
export function downloadRequests(s: VeleroServer): Reconciler {
  return {
    name: 'downloads',
    reconcile: async () => {
      for (const d of s.inf.DownloadRequest.list(s.ns)) if (d.status?.phase !== 'Processed') await answer(s, d);
      return false;
    },
  };
}

async function answer(s: VeleroServer, d: KubeObject): Promise<void> {
  const target = (d.spec?.target ?? {}) as { kind?: string; name?: string };
  const ref = { ...V('DownloadRequest'), namespace: s.ns, name: d.metadata?.name ?? '' };
  let backupName = target.name ?? '';
  if (target.kind?.startsWith('Restore'))
    backupName = String(s.inf.Restore.get(s.ns, target.name ?? '')?.spec?.backupName ?? '');
  const backup = s.inf.Backup.get(s.ns, backupName);
  const bsl = backup ? s.bslFor(backup.spec?.storageLocation as string | undefined) : undefined;
  if (!bsl) {
    await s.kube.patchStatus(ref, { phase: 'Processed' });
    return;
  }
  const key = targetKey(prefixOf(bsl), target.kind ?? '', target.name ?? '');
  const expiration = k8sTime(new Date(s.clock.now().getTime() + URL_TTL_S * 1000));
  if (!key) {
    await s.kube.patchStatus(ref, { phase: 'Processed', expiration });
    return;
  }
  await s.kube.patchStatus(ref, {
    phase: 'Processed',
    downloadURL: await (await s.store(bsl)).presignGet(key, URL_TTL_S),
    expiration,
  });
}

/** The object a DownloadRequest's target kind names, or undefined for a kind Velero does not serve. */
function targetKey(prefix: string, kind: string, name: string): string | undefined {
  const bk = backupKeys(prefix, name);
  const rk = restoreKeys(prefix, name);
  return (
    {
      BackupLog: bk.logs,
      BackupContents: bk.tarball,
      BackupResourceList: bk.resourceList,
      BackupResults: bk.results,
      BackupVolumeSnapshots: bk.volumeSnapshots,
      RestoreLog: rk.logs,
      RestoreResults: rk.results,
      RestoreResourceList: rk.resourceList,
    } as Record<string, string>
  )[kind];
}
