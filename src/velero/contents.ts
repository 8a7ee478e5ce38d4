import { gunzipSync } from 'node:zlib';
import type { ObjectStore } from '../backupstore/object-store.js';
import { TarballError, walkTarball } from '../backupstore/tarball.js';
import { DrillError, ExitCode } from '../errors.js';
import type { KubeApi, ServedResource } from '../kube/kube-api.js';
import { viaDownloadRequest, type DownloadOptions } from './download.js';

/** One object a backup holds, named as the inventory names kinds (`group/Kind`). */
export interface BackupItem {
  kind: string;
  namespace?: string;
  name: string;
}

export interface BackupContents {
  backup: string;
  /** Where the list came from: Velero's resource list, the tarball's entries, or either through a DownloadRequest. */
  source: 'resource-list' | 'tarball' | 'download-request';
  items: BackupItem[];
  /** Namespaces with at least one namespaced object in the backup. */
  namespaces: string[];
}

/** `apps/v1/Deployment` → `apps/Deployment`; `v1/Pod` → `/Pod`. */
export function kindOfListKey(k: string): string {
  const parts = k.split('/');
  return parts.length >= 3 ? `${parts[0]}/${parts[parts.length - 1]}` : `/${parts[parts.length - 1]}`;
}

/** Velero's `<b>-resource-list.json.gz`: `{"apps/v1/Deployment": ["ns/name", …], "v1/Namespace": ["ns"]}`. */
export function itemsFromResourceList(json: unknown): BackupItem[] {
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new Error('the resource list is not a JSON object');
  const out: BackupItem[] = [];
  for (const [k, names] of Object.entries(json as Record<string, unknown>)) {
    if (!Array.isArray(names)) continue;
    for (const n of names) {
      const s = String(n);
      const slash = s.indexOf('/');
      out.push(
        slash > 0
          ? { kind: kindOfListKey(k), namespace: s.slice(0, slash), name: s.slice(slash + 1) }
          : { kind: kindOfListKey(k), name: s },
      );
    }
  }
  return out;
}

/** The tarball's entries `resources/<gr>/namespaces/<ns>/<name>.json` (not the `-preferredversion` copies). */
export async function itemsFromTarball(gz: Buffer, served: ServedResource[]): Promise<BackupItem[]> {
  const kindOf = new Map(
    served.map((r) => [r.group ? `${r.resource}.${r.group}` : r.resource, `${r.group}/${r.kind}`]),
  );
  const out: BackupItem[] = [];
  await walkTarball(gz, (path) => {
    const m = /^resources\/([^/]+)\/(?:namespaces\/([^/]+)|cluster)\/([^/]+)\.json$/.exec(path);
    if (!m) return;
    const gr = m[1]!;
    const dot = gr.indexOf('.');
    out.push({
      kind: kindOf.get(gr) ?? `${dot < 0 ? '' : gr.slice(dot + 1)}/${dot < 0 ? gr : gr.slice(0, dot)}`,
      namespace: m[2],
      name: m[3]!,
    });
  });
  return out;
}

const summarize = (backup: string, source: BackupContents['source'], items: BackupItem[]): BackupContents => ({
  backup,
  source,
  items,
  namespaces: [...new Set(items.filter((i) => i.namespace !== undefined).map((i) => i.namespace!))].sort(),
});

export interface ContentsSource {
  kube: KubeApi;
  veleroNamespace: string;
  /** The bucket, when kdrill can read it; undefined when it cannot (then only a DownloadRequest helps). */
  store?: { store: ObjectStore; prefix: string };
  download: DownloadOptions;
}

/**
 * What a backup holds, read from Velero's own records: its resource list in the bucket, or the
 * tarball's index when the list is absent (older Velero), or either through a DownloadRequest when
 * the bucket cannot be read from here. Exit 4 when none of them can be read.
 */
export async function readBackupContents(src: ContentsSource, backup: string): Promise<BackupContents> {
  const problems: string[] = [];
  const dir = `${src.store?.prefix ?? ''}backups/${backup}/`;
  if (src.store) {
    try {
      const list = await src.store.store.get(`${dir}${backup}-resource-list.json.gz`);
      if (list)
        return summarize(backup, 'resource-list', itemsFromResourceList(JSON.parse(gunzipSync(list).toString('utf8'))));
      const tar = await src.store.store.get(`${dir}${backup}.tar.gz`);
      if (tar)
        return summarize(backup, 'tarball', await itemsFromTarball(tar, await src.kube.resources({ reuse: true })));
      problems.push(`neither ${dir}${backup}-resource-list.json.gz nor ${dir}${backup}.tar.gz is in the bucket`);
    } catch (e) {
      problems.push(
        `the bucket: ${e instanceof TarballError ? `${backup}.tar.gz is damaged: ${e.message}` : (e as Error).message.split('\n')[0]}`,
      );
    }
  }
  try {
    const list = await viaDownloadRequest(
      src.kube,
      { namespace: src.veleroNamespace, kind: 'BackupResourceList', name: backup },
      src.download,
    );
    if (list) return summarize(backup, 'download-request', itemsFromResourceList(JSON.parse(list.toString('utf8'))));
    problems.push('a DownloadRequest for its resource list found nothing');
  } catch (e) {
    problems.push(`a DownloadRequest: ${(e as Error).message.split('\n')[0]}`);
  }
  throw new DrillError(
    'BACKUP_UNREADABLE',
    `cannot tell what backup ${backup} holds: ${problems.join('; ')}`,
    ExitCode.Precondition,
    {
      hint: `a drill must know the backup covers its targets before it deletes anything; check: velero backup describe ${backup} --details`,
    },
  );
}
