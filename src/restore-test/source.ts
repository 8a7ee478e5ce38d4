import { createHash } from 'node:crypto';
import { isKubeApiError } from '../kube/errors.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import { SKIP_KINDS, fingerprint, inventoried } from '../verify/inventory.js';

/** One object of production, as it was: identity (uid), version (resourceVersion), and a digest of its content. */
export interface SourceObject {
  key: string;
  uid: string;
  resourceVersion: string;
  createdAt?: string;
  /** Of spec, data, labels and annotations (what the inventory compares): same digest, same content. */
  digest: string;
  /** Set when Velero labelled it: a restore of this run landed in production. */
  restoredBy?: string;
}

export interface SourceSnapshot {
  at: string;
  objects: SourceObject[];
  /** Kinds kdrill may not list (RBAC): not compared, and said so. */
  unreadable: string[];
}

/** The comparison result.json carries: `untouched` only when every uid and resourceVersion is the same. */
export interface SourceComparison {
  untouched: boolean;
  objects: number;
  before: string;
  after: string;
  /** Same uid, new resourceVersion; `content` says whether spec, data, labels or annotations changed too. */
  changed: { key: string; before: string; after: string; content: 'same' | 'changed' }[];
  /** Gone, or deleted and made again (another uid). */
  replaced: string[];
  missing: string[];
  added: string[];
  /** Objects in production that a Restore of this run created or labelled. */
  restored: string[];
  notCompared: string[];
}

const digestOf = (o: KubeObject, kind: string): string =>
  createHash('sha256')
    .update(JSON.stringify(fingerprint(o, kind)))
    .digest('hex')
    .slice(0, 16);

async function listKind(
  kube: KubeApi,
  apiVersion: string,
  kind: string,
  ns: string,
): Promise<KubeObject[] | 'unreadable'> {
  try {
    return (await kube.list({ apiVersion, kind }, { namespace: ns })).items;
  } catch (e) {
    if (isKubeApiError(e, 403) || isKubeApiError(e, 404) || isKubeApiError(e, 405)) return 'unreadable';
    throw e;
  }
}

/** Every object of the source namespaces (the inventory's kinds) and the namespaces themselves, by uid and resourceVersion. */
export async function sourceSnapshot(kube: KubeApi, namespaces: string[], at: Date): Promise<SourceSnapshot> {
  const types = (await kube.resources()).filter(
    (r) => r.namespaced && !SKIP_KINDS.has(`${r.group}/${r.kind}`) && r.group !== 'velero.io',
  );
  const objects: SourceObject[] = [];
  const unreadable = new Set<string>();
  const add = (o: KubeObject, key: string, kind: string): void =>
    void objects.push({
      key,
      uid: o.metadata?.uid ?? '',
      resourceVersion: o.metadata?.resourceVersion ?? '',
      createdAt: o.metadata?.creationTimestamp,
      digest: digestOf(o, kind),
      ...(o.metadata?.labels?.['velero.io/restore-name']
        ? { restoredBy: o.metadata.labels['velero.io/restore-name'] }
        : {}),
    });
  for (const ns of namespaces) {
    const n = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    if (n) add(n, `/Namespace ${ns}`, 'Namespace');
    for (const t of types) {
      const items = await listKind(kube, t.apiVersion, t.kind, ns);
      if (items === 'unreadable') {
        unreadable.add(`${t.group}/${t.kind}`);
        continue;
      }
      for (const o of items)
        if (inventoried(o, t.group, t.kind)) add(o, `${t.group}/${t.kind} ${ns}/${o.metadata?.name ?? ''}`, t.kind);
    }
  }
  objects.sort((a, b) => a.key.localeCompare(b.key));
  return { at: at.toISOString(), objects, unreadable: [...unreadable].sort() };
}

/**
 * Production before and after the restore test. Untouched means every object is there with the same
 * uid and resourceVersion, and nothing appeared. A new resourceVersion with the same content is a
 * controller's (or a person's) write during the test; a Velero restore label on a production object
 * means a Restore of this run landed there.
 */
export function compareSource(before: SourceSnapshot, after: SourceSnapshot, restores: string[]): SourceComparison {
  const b = new Map(before.objects.map((o) => [o.key, o]));
  const a = new Map(after.objects.map((o) => [o.key, o]));
  const changed: SourceComparison['changed'] = [];
  const replaced: string[] = [];
  const missing: string[] = [];
  for (const [k, x] of b) {
    const y = a.get(k);
    if (!y) missing.push(k);
    else if (y.uid !== x.uid) replaced.push(k);
    else if (y.resourceVersion !== x.resourceVersion)
      changed.push({
        key: k,
        before: x.resourceVersion,
        after: y.resourceVersion,
        content: y.digest === x.digest ? 'same' : 'changed',
      });
  }
  const added = [...a.keys()].filter((k) => !b.has(k));
  const restored = after.objects.filter((o) => o.restoredBy && restores.includes(o.restoredBy)).map((o) => o.key);
  return {
    untouched: !changed.length && !replaced.length && !missing.length && !added.length,
    objects: before.objects.length,
    before: before.at,
    after: after.at,
    changed,
    replaced,
    missing,
    added,
    restored,
    notCompared: [...new Set([...before.unreadable, ...after.unreadable])].sort(),
  };
}
