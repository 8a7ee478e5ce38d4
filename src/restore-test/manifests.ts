import { TarballError, walkTarball } from '../backupstore/tarball.js';
import { DrillError, ExitCode } from '../errors.js';
import type { KubeObject } from '../kube/types.js';
import type { ContentsSource } from '../velero/contents.js';
import { viaDownloadRequest } from '../velero/download.js';

/** One object of the backup, as Velero stored it, with the group-resource its directory names. */
export interface BackupManifest {
  gr: string;
  obj: KubeObject;
}

const ITEM = /^resources\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)\.json$/;

async function fromTarball(gz: Buffer, namespaces: string[]): Promise<BackupManifest[]> {
  const out: BackupManifest[] = [];
  await walkTarball(gz, async (path, read) => {
    // the `<ver>-preferredversion` copies do not match: each object once
    const m = ITEM.exec(path);
    if (!m || !namespaces.includes(m[2]!)) return;
    out.push({ gr: m[1]!, obj: JSON.parse((await read()).toString('utf8')) as KubeObject });
  });
  return out;
}

/**
 * The objects a backup holds in these namespaces, read from its tarball: from the bucket, or through
 * a DownloadRequest (BackupContents) when the bucket cannot be read from here. A restore test needs
 * them before anything lands: they say which Services are exposed and what the sandbox must hold.
 */
export async function readBackupManifests(
  src: ContentsSource,
  backup: string,
  namespaces: string[],
): Promise<BackupManifest[]> {
  const problems: string[] = [];
  const key = `${src.store?.prefix ?? ''}backups/${backup}/${backup}.tar.gz`;
  if (src.store) {
    try {
      const gz = await src.store.store.get(key);
      if (gz) return await fromTarball(gz, namespaces);
      problems.push(`${key} is not in the bucket`);
    } catch (e) {
      problems.push(
        `the bucket: ${e instanceof TarballError ? `${key} is damaged: ` : ''}${(e as Error).message.split('\n')[0]}`,
      );
    }
  }
  try {
    const gz = await viaDownloadRequest(
      src.kube,
      { namespace: src.veleroNamespace, kind: 'BackupContents', name: backup },
      src.download,
    );
    if (gz) return await fromTarball(gz, namespaces);
    problems.push('a DownloadRequest for its contents found nothing');
  } catch (e) {
    problems.push(`a DownloadRequest: ${(e as Error).message.split('\n')[0]}`);
  }
  throw new DrillError(
    'BACKUP_UNREADABLE',
    `cannot read the objects of backup ${backup}: ${problems.join('; ')}`,
    ExitCode.Precondition,
    {
      hint: `a restore test reads the backup's manifests to fence the sandbox off before anything lands; check: velero backup download ${backup}`,
    },
  );
}
