import type { KubeObject } from '../core.js';

/**
 * A backup tarball as Velero's restore reads it (pkg/archive/parser.go): `resources/<group-resource>/`
 * then `namespaces/<ns>/<name>.json` or `cluster/<name>.json`; the `<version>-preferredversion` copies
 * are not read. Items are decoded when restored, so a broken file is an error of its own item only.
 */
export interface BackupArchive {
  /** group-resource → original namespace ('' for cluster-scoped) → item names, in tarball order. */
  resources: Map<string, Map<string, string[]>>;
  has(gr: string, ns: string, name: string): boolean;
  /** The item; throws `error decoding "<path>": …` when it is not JSON, undefined when absent. */
  read(gr: string, ns: string, name: string): KubeObject | undefined;
}

export const itemPath = (gr: string, ns: string, name: string): string =>
  `resources/${gr}/${ns ? `namespaces/${ns}` : 'cluster'}/${name}.json`;

export function parseArchive(files: Map<string, Buffer>): BackupArchive {
  const resources = new Map<string, Map<string, string[]>>();
  for (const path of files.keys()) {
    const m = /^resources\/([^/]+)\/(?:namespaces\/([^/]+)|cluster)\/([^/]+)\.json$/.exec(path);
    if (!m) continue;
    const byNs = resources.get(m[1]!) ?? new Map<string, string[]>();
    resources.set(m[1]!, byNs);
    const ns = m[2] ?? '';
    byNs.set(ns, [...(byNs.get(ns) ?? []), m[3]!]);
  }
  return {
    resources,
    has: (gr, ns, name) => files.has(itemPath(gr, ns, name)),
    read: (gr, ns, name) => {
      const path = itemPath(gr, ns, name);
      const data = files.get(path);
      if (!data) return undefined;
      try {
        return JSON.parse(data.toString('utf8')) as KubeObject;
      } catch (e) {
        throw new Error(`error decoding "${path}": ${(e as Error).message}`, { cause: e });
      }
    },
  };
}
