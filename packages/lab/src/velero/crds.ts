import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { assetsDir } from '../core.js';
import type { KubeApi } from '../core.js';
import type { KubeObject } from '../core.js';

const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' } as const;

/** Velero's published CRDs, as shipped in assets/crds/velero. */
export async function veleroCrds(): Promise<KubeObject[]> {
  const dir = join(assetsDir(), 'crds', 'velero');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  const out: KubeObject[] = [];
  for (const f of files) for (const d of parseAllDocuments(await readFile(join(dir, f), 'utf8'))) out.push(d.toJSON() as KubeObject);
  return out;
}

/**
 * Kubernetes before 1.21 rejects `default: ""` on string fields of a CRD schema (it sees null);
 * Velero's CRDs have two. Dropping those defaults changes nothing Velero relies on.
 */
export function adaptCrdForServer(crd: KubeObject, minor: number): KubeObject {
  if (minor >= 21) return crd;
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) if (!(k === 'default' && val === '')) out[k] = strip(val);
    return out;
  };
  return strip(crd) as KubeObject;
}

/** Installs (or leaves as is) Velero's CRDs and waits until the server serves them. */
export async function installVeleroCrds(kube: KubeApi): Promise<void> {
  const minor = Number.parseInt((await kube.serverVersion()).minor, 10) || 99;
  for (const crd of await veleroCrds()) {
    if (await kube.get({ ...CRD, name: crd.metadata?.name ?? '' })) continue;
    await kube.create(adaptCrdForServer(crd, minor));
  }
  for (const kind of ['Backup', 'Restore', 'BackupStorageLocation', 'Schedule', 'DownloadRequest', 'DeleteBackupRequest']) {
    const deadline = Date.now() + 30_000;
    while (!(await kube.serves({ apiVersion: 'velero.io/v1', kind }))) {
      if (Date.now() > deadline) throw new Error(`the server did not start serving velero.io/v1 ${kind}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
