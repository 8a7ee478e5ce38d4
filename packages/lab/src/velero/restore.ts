import { gzipSync } from 'node:zlib';
import type { ObjectStore } from '../core.js';
import { isKubeApiError } from '../core.js';
import type { KubeApi } from '../core.js';
import { matchesLabelSelector } from '../core.js';
import type { KubeObject, LabelSelector } from '../core.js';
import { matchesFilter } from './filters.js';
import { addResult, backupKeys, countResults, emptyResults, restoreKeys, restoreOrder } from './layout.js';
import { TarballError, walkTarball } from '../core.js';
import type { LabFaults } from './faults.js';
import { k8sTime } from '../core.js';

const RESTORE = { apiVersion: 'velero.io/v1', kind: 'Restore' } as const;
const ts = k8sTime;

export interface RestoreContext {
  /** Pause between items: a slower, more realistic restore (and room for crash tests). */
  itemDelayMs?: number;
  kube: KubeApi;
  store: ObjectStore;
  prefix: string;
  now: () => Date;
  faults?: LabFaults;
}

interface Item {
  gr: string;
  ns?: string;
  obj: KubeObject;
}

/**
 * Runs one Restore the way Velero does: items in Velero's default priority order (so NetworkPolicies
 * come after Deployments), namespaces created first, server-set fields and ownerReferences stripped,
 * the backup and restore names added as labels, existing objects skipped with a warning, and every
 * refusal (an admission webhook, for one) recorded as an error: the Restore then ends PartiallyFailed.
 * Results and the resource list go to `restores/<r>/`.
 */
export async function runRestore(ctx: RestoreContext, restore: KubeObject, backup: KubeObject): Promise<void> {
  const name = restore.metadata?.name ?? '';
  const ref = { ...RESTORE, namespace: restore.metadata?.namespace, name };
  const start = ts(ctx.now());
  await ctx.kube.patchStatus(ref, { phase: 'InProgress', startTimestamp: start });
  const backupName = backup.metadata?.name ?? '';
  let files: Map<string, Buffer>;
  try {
    const gz = await ctx.store.get(backupKeys(ctx.prefix, backupName).tarball);
    if (!gz) throw new TarballError(`${backupKeys(ctx.prefix, backupName).tarball} is missing from the bucket`);
    const read = new Map<string, Buffer>();
    await walkTarball(gz, async (path, body) => void read.set(path, await body()));
    files = read;
  } catch (e) {
    const reason = e instanceof TarballError ? `error reading backup ${backupName}: ${e.message}` : `error downloading backup ${backupName}: ${(e as Error).message}`;
    await ctx.kube.patchStatus(ref, { phase: 'Failed', failureReason: reason, startTimestamp: start, completionTimestamp: ts(ctx.now()) });
    return;
  }
  const spec = restore.spec ?? {};
  const mapping = (spec.namespaceMapping ?? {}) as Record<string, string>;
  const items: Item[] = [];
  for (const [path, data] of files) {
    // resources/<gr>/namespaces/<ns>/<name>.json or resources/<gr>/cluster/<name>.json (not the preferredversion copies)
    const m = /^resources\/([^/]+)\/(?:namespaces\/([^/]+)|cluster)\/[^/]+\.json$/.exec(path);
    if (!m) continue;
    let obj: KubeObject;
    try {
      obj = JSON.parse(data.toString('utf8')) as KubeObject;
    } catch {
      continue;
    }
    items.push({ gr: m[1]!, ns: m[2], obj });
  }
  const warnings = emptyResults();
  const errors = emptyResults();
  const resourceList: Record<string, string[]> = {};
  const record = (o: KubeObject, ns: string | undefined, outcome: 'created' | 'updated' | 'failed' | 'skipped'): void => {
    const key = `${o.apiVersion}/${o.kind}`;
    (resourceList[key] ??= []).push(`${ns ? `${ns}/` : ''}${o.metadata?.name ?? ''}(${outcome})`);
  };
  const selector = spec.labelSelector as LabelSelector | undefined;
  const selected = items.filter((it) => {
    if (it.gr === 'namespaces') return matchesFilter(it.obj.metadata?.name ?? '', spec.includedNamespaces, spec.excludedNamespaces);
    if (it.ns !== undefined && !matchesFilter(it.ns, spec.includedNamespaces, spec.excludedNamespaces)) return false;
    if (it.ns === undefined && spec.includeClusterResources === false) return false;
    if (!matchesFilter(it.gr, spec.includedResources, spec.excludedResources, [it.gr, it.gr.split('.')[0]!, String(it.obj.kind).toLowerCase()])) return false;
    return !selector || matchesLabelSelector(it.obj.metadata?.labels ?? {}, selector);
  });
  const ensured = new Set<string>();
  const ensureNamespace = async (ns: string, source?: KubeObject): Promise<void> => {
    if (ensured.has(ns)) return;
    ensured.add(ns);
    if (await ctx.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })) return;
    const labels = { ...(source?.metadata?.labels ?? {}), 'velero.io/backup-name': backupName, 'velero.io/restore-name': name };
    await ctx.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels, annotations: source?.metadata?.annotations } });
  };
  // PVs that come back as they were; a claim of any other keeps no volumeName and is provisioned anew
  const restoredPvs = new Set(items.filter((i) => i.gr === 'persistentvolumes' && i.obj.spec?.persistentVolumeReclaimPolicy !== 'Delete').map((i) => i.obj.metadata?.name ?? ''));
  let restored = 0;
  for (const gr of restoreOrder([...new Set(selected.map((i) => i.gr))])) {
    for (const it of selected.filter((i) => i.gr === gr)) {
      const ns = it.ns !== undefined ? (mapping[it.ns] ?? it.ns) : undefined;
      if (gr === 'namespaces') {
        const target = mapping[it.obj.metadata?.name ?? ''] ?? it.obj.metadata?.name ?? '';
        await ensureNamespace(target, it.obj).catch((e: Error) => addResult(errors, undefined, `error restoring namespaces/${target}: ${e.message}`));
        record(it.obj, undefined, 'created');
        continue;
      }
      if (gr === 'persistentvolumes' && it.obj.spec?.persistentVolumeReclaimPolicy === 'Delete') {
        // no snapshot to restore its data from, and Delete policy: Velero leaves the volume to dynamic provisioning
        record(it.obj, undefined, 'skipped');
        continue;
      }
      if (isControllerOwned(it.obj)) {
        // the restored controller recreates these; Velero's own restore leaves them to adoption
        record(it.obj, ns, 'skipped');
        continue;
      }
      if (ns) {
        try {
          // a phase that excludes namespaces still creates them with their backed-up labels
          await ensureNamespace(ns, items.find((i) => i.gr === 'namespaces' && i.obj.metadata?.name === it.ns)?.obj);
        } catch (e) {
          addResult(errors, ns, `error creating namespace ${ns}: ${(e as Error).message}`);
          record(it.obj, ns, 'failed');
          continue;
        }
      }
      if (ctx.itemDelayMs) await new Promise((r) => setTimeout(r, ctx.itemDelayMs));
      const body = prepare(it.obj, ns, backupName, name, restoredPvs);
      try {
        await ctx.kube.create(body);
        restored++;
        record(it.obj, ns, 'created');
      } catch (e) {
        const who = `${gr}/${ns ? `${ns}/` : ''}${it.obj.metadata?.name}`;
        if (isKubeApiError(e, 409)) {
          const existing = await ctx.kube.get({ apiVersion: body.apiVersion!, kind: body.kind!, namespace: ns, name: body.metadata?.name ?? '' }).catch(() => undefined);
          if (existing && JSON.stringify(existing.spec) !== JSON.stringify(body.spec)) {
            addResult(warnings, ns, `could not restore, ${who} already exists. Warning: the in-cluster version is different than the backed-up version`);
          }
          record(it.obj, ns, 'skipped');
        } else {
          addResult(errors, ns, `error restoring ${who}: ${(e as Error).message.replace(/^cannot create [^:]+: /, '')}`);
          record(it.obj, ns, 'failed');
        }
      }
    }
  }
  for (const k of Object.keys(resourceList)) resourceList[k]!.sort();
  const keys = restoreKeys(ctx.prefix, name);
  const nErr = countResults(errors);
  const nWarn = countResults(warnings);
  try {
    if (!ctx.faults?.restoreResultsMissing) await ctx.store.put(keys.results, gzipSync(JSON.stringify({ warnings, errors })));
    await ctx.store.put(keys.resourceList, gzipSync(JSON.stringify(resourceList)));
    await ctx.store.put(keys.logs, gzipSync(`level=info msg="restore completed" restore=${name} items=${restored}\n`));
  } catch (e) {
    addResult(errors, undefined, `error uploading restore results: ${(e as Error).message}`);
  }
  const progress = { totalItems: selected.length, itemsRestored: restored };
  await ctx.kube.patchStatus(ref, { phase: 'Finalizing', startTimestamp: start, progress });
  await ctx.kube.patchStatus(ref, {
    phase: nErr > 0 ? 'PartiallyFailed' : 'Completed',
    startTimestamp: start,
    completionTimestamp: ts(ctx.now()),
    progress,
    errors: nErr || undefined,
    warnings: nWarn || undefined,
  });
}

function isControllerOwned(o: KubeObject): boolean {
  const kind = o.kind ?? '';
  return (kind === 'Pod' || kind === 'ReplicaSet') && (o.metadata?.ownerReferences ?? []).some((r) => r.controller);
}

/** What Velero changes on an item before it creates it. */
export function prepare(o: KubeObject, ns: string | undefined, backup: string, restore: string, restoredPvs: Set<string> = new Set()): KubeObject {
  const m = o.metadata ?? {};
  const metadata: KubeObject['metadata'] = {
    name: m.name,
    ...(ns ? { namespace: ns } : {}),
    labels: { ...(m.labels ?? {}), 'velero.io/backup-name': backup, 'velero.io/restore-name': restore },
    ...(m.annotations ? { annotations: m.annotations } : {}),
    ...(m.finalizers ? { finalizers: m.finalizers } : {}),
  };
  const { status: _s, ...rest } = o;
  const out: KubeObject = { ...rest, metadata };
  if (o.kind === 'Service' && out.spec) {
    const { clusterIP: _c, clusterIPs: _cs, ...spec } = out.spec as Record<string, unknown>;
    out.spec = spec;
  }
  if (o.kind === 'PersistentVolume' && out.spec?.claimRef) {
    const { uid: _u, resourceVersion: _r, ...claimRef } = out.spec.claimRef as Record<string, unknown>;
    out.spec = { ...out.spec, claimRef };
  }
  if (o.kind === 'PersistentVolumeClaim' && out.spec?.volumeName && !restoredPvs.has(out.spec.volumeName as string)) {
    // its PV is not restored (see above): the claim is provisioned anew, as Velero resets it
    const { volumeName: _v, ...spec } = out.spec as Record<string, unknown>;
    out.spec = spec;
    const annotations = { ...(metadata.annotations ?? {}) };
    delete annotations['pv.kubernetes.io/bind-completed'];
    delete annotations['pv.kubernetes.io/bound-by-controller'];
    metadata.annotations = annotations;
  }
  if (o.kind === 'Pod' && out.spec) {
    const { nodeName: _n, ...spec } = out.spec as Record<string, unknown>;
    out.spec = spec;
  }
  return out;
}
