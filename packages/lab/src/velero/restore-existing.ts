import type { KubeApi, KubeObject } from '../core.js';
import { BACKUP_NAME_LABEL, RESTORE_NAME_LABEL } from './labels.js';
import { resetMetadataAndStatus } from './restore-actions.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep equality of JSON values, key order aside (equality.Semantic.DeepEqual on unstructured objects). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b))
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && sameJson(a[k], b[k]));
  }
  return a === b;
}

/** A JSON merge patch (RFC 7386) that turns `from` into `to` (generatePatch's CreateMergePatch). */
export function mergePatch(from: unknown, to: unknown): unknown {
  if (!isObj(from) || !isObj(to)) return to;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(from)) if (!(k in to)) out[k] = null;
  for (const [k, v] of Object.entries(to))
    if (!(k in from) || !sameJson(from[k], v)) out[k] = k in from ? mergePatch(from[k], v) : v;
  return out;
}

const withLabels = (o: KubeObject, labels: Record<string, string | undefined>): KubeObject => {
  const merged = { ...(o.metadata?.labels ?? {}) } as Record<string, string>;
  for (const [k, v] of Object.entries(labels)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  return { ...o, metadata: { ...o.metadata, labels: merged } };
};

/** mergeServiceAccounts: the in-cluster account keeps what it has and gains the backed-up secrets, pull secrets, labels and annotations. */
function mergeServiceAccount(cluster: KubeObject, backup: KubeObject): KubeObject {
  const byName = (a: unknown, b: unknown): { name?: string }[] => {
    const first = [...((a as { name?: string }[] | undefined) ?? [])];
    for (const s of (b as { name?: string }[] | undefined) ?? [])
      if (!first.some((f) => f.name === s.name)) first.push(s);
    return first;
  };
  const out = structuredClone(cluster) as KubeObject & Record<string, unknown>;
  const secrets = byName(cluster.secrets, backup.secrets);
  const pulls = byName(cluster.imagePullSecrets, backup.imagePullSecrets);
  if (secrets.length) out.secrets = secrets;
  if (pulls.length) out.imagePullSecrets = pulls;
  const labels = { ...(backup.metadata?.labels ?? {}), ...(cluster.metadata?.labels ?? {}) };
  const annotations = { ...(backup.metadata?.annotations ?? {}), ...(cluster.metadata?.annotations ?? {}) };
  // empty maps marshal away (omitempty)
  out.metadata = {
    ...out.metadata,
    ...(Object.keys(labels).length ? { labels } : {}),
    ...(Object.keys(annotations).length ? { annotations } : {}),
  };
  return out;
}

/**
 * What restoreItem does with an object that already exists (pkg/restore/restore.go): the in-cluster one,
 * server-set metadata and status removed and this restore's labels put on, is compared with what would
 * have been created. A ServiceAccount is merged into; otherwise a difference is a warning ('differs',
 * worded per release by the caller), or with existingResourcePolicy `update` a patch (a failed one is a
 * warning). The same object with policy `update` gets this restore's labels.
 */
export async function existingOutcome(
  kube: KubeApi,
  gr: string,
  found: KubeObject,
  desired: KubeObject,
  policy: string | undefined,
): Promise<{ updated: boolean; warnings: string[] }> {
  const labels = desired.metadata?.labels ?? {};
  const restoreLabels = {
    [BACKUP_NAME_LABEL]: labels[BACKUP_NAME_LABEL],
    [RESTORE_NAME_LABEL]: labels[RESTORE_NAME_LABEL],
  };
  const cluster = withLabels(resetMetadataAndStatus(found), restoreLabels);
  const ref = {
    apiVersion: desired.apiVersion!,
    kind: desired.kind!,
    namespace: desired.metadata?.namespace,
    name: desired.metadata?.name ?? '',
  };
  const patch = async (from: KubeObject, to: KubeObject): Promise<string | undefined> => {
    try {
      await kube.patch(ref, mergePatch(from, to), 'merge');
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };
  const unlabelled = withLabels(cluster, { [BACKUP_NAME_LABEL]: undefined, [RESTORE_NAME_LABEL]: undefined });
  if (sameJson(cluster, desired)) {
    if (policy !== 'update') return { updated: false, warnings: [] };
    const failed = await patch(unlabelled, withLabels(unlabelled, restoreLabels));
    return { updated: false, warnings: failed ? [failed] : [] };
  }
  if (gr === 'serviceaccounts') {
    const merged = mergeServiceAccount(cluster, desired);
    if (sameJson(cluster, merged)) return { updated: false, warnings: [] };
    const failed = await patch(cluster, merged);
    return failed ? { updated: false, warnings: [failed] } : { updated: true, warnings: [] };
  }
  if (policy !== 'update') return { updated: false, warnings: ['differs'] };
  const failed = await patch(unlabelled, desired);
  return failed ? { updated: false, warnings: [failed] } : { updated: true, warnings: [] };
}
