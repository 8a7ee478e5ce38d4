import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DrillError, ExitCode } from './core.js';
import { isKubeApiError } from './core.js';
import type { KubeApi } from './core.js';
import type { KubeObject } from './core.js';

/** Reads every manifest in a file or a directory (*.yaml, *.yml, *.json), in name order. */
export async function readManifests(path: string): Promise<{ file: string; obj: KubeObject }[]> {
  let files: string[];
  try {
    files = (await stat(path)).isDirectory()
      ? (await readdir(path)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort().map((f) => join(path, f))
      : [path];
  } catch (e) {
    throw new DrillError('APP_NOT_FOUND', `cannot read manifests at ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, ExitCode.Usage, { hint: '--app takes a YAML file or a directory of them' });
  }
  const out: { file: string; obj: KubeObject }[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      if (doc.errors.length) throw new DrillError('APP_INVALID', `${file}: ${doc.errors[0]!.message}`, ExitCode.Usage, { hint: 'fix the YAML, or leave the file out' });
      const obj = doc.toJSON() as KubeObject | null;
      if (!obj) continue;
      if (obj.kind === 'List' && Array.isArray(obj.items)) for (const it of obj.items as KubeObject[]) out.push({ file, obj: it });
      else out.push({ file, obj });
    }
  }
  return out;
}

/**
 * Creates each object (or merges it into the one that exists) in `namespace`. Kinds the cluster does
 * not serve, such as ServiceMonitor without its CRD, are skipped and reported, as kubectl reports them.
 */
export async function applyManifests(kube: KubeApi, manifests: { file: string; obj: KubeObject }[], namespace: string): Promise<{ applied: number; skipped: string[] }> {
  const skipped: string[] = [];
  const unserved = new Map<string, number>();
  let applied = 0;
  const served = new Map<string, { namespaced: boolean } | undefined>();
  const resources = await kube.resources();
  for (const { file, obj } of manifests) {
    if (!obj.apiVersion || !obj.kind) {
      skipped.push(`${file}: an object without apiVersion/kind`);
      continue;
    }
    const key = `${obj.apiVersion}/${obj.kind}`;
    if (!served.has(key)) served.set(key, (await kube.serves({ apiVersion: obj.apiVersion, kind: obj.kind })) ? { namespaced: resources.find((r) => r.kind === obj.kind && r.apiVersion === obj.apiVersion)?.namespaced ?? true } : undefined);
    const info = served.get(key);
    if (!info) {
      unserved.set(key, (unserved.get(key) ?? 0) + 1);
      continue;
    }
    const body: KubeObject = { ...obj, metadata: { ...obj.metadata, ...(info.namespaced ? { namespace } : {}) } };
    try {
      await kube.create(body);
    } catch (e) {
      if (!isKubeApiError(e, 409)) throw e;
      await kube.patch({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: info.namespaced ? namespace : undefined, name: obj.metadata?.name ?? '' }, { metadata: { labels: obj.metadata?.labels }, spec: obj.spec, data: obj.data });
    }
    applied++;
  }
  for (const [key, n] of unserved) skipped.push(`${n} ${key.split('/').pop()} object${n > 1 ? 's' : ''}: the cluster does not serve ${key} (is its CRD installed?)`);
  return { applied, skipped };
}
