import { gzipSync } from 'node:zlib';
import type { ObjectStore } from '../core.js';
import type { KubeApi, ServedResource } from '../core.js';
import { selectorToString } from '../core.js';
import type { KubeObject, LabelSelector } from '../core.js';
import { NEVER_BACKED_UP, isVeleroOwn, matchesFilter, resourceAliases } from './filters.js';
import { addResult, backupKeys, countResults, emptyResults, groupResource } from './layout.js';
import { tarGz } from './tar.js';
import { FAULTS_CONFIGMAP, type LabFaults } from './faults.js';
import { k8sTime } from '../core.js';
import { parseGoDuration } from '../core.js';

const BACKUP = { apiVersion: 'velero.io/v1', kind: 'Backup' } as const;
const ts = k8sTime;

export interface BackupContext {
  kube: KubeApi;
  store: ObjectStore;
  prefix: string;
  now: () => Date;
  faults?: LabFaults;
}

interface Collected {
  entries: { path: string; data: string }[];
  resourceList: Record<string, string[]>;
  errors: ReturnType<typeof emptyResults>;
  items: number;
  log: string[];
}

/**
 * Runs one Backup the way Velero does: InProgress with start and expiration, every selected item
 * into `<b>.tar.gz`, the files written in Velero's order (log, metadata, tarball, side files), then
 * Finalizing, then Completed (or PartiallyFailed with per-item errors, or Failed with a reason).
 */
export async function runBackup(ctx: BackupContext, backup: KubeObject): Promise<void> {
  const name = backup.metadata?.name ?? '';
  const ref = { ...BACKUP, namespace: backup.metadata?.namespace, name };
  const start = ctx.now();
  const ttlMs = parseGoDuration(backup.spec?.ttl as string | undefined, 720 * 3600_000);
  const base = { version: 1, formatVersion: '1.1.0', startTimestamp: ts(start), expiration: ts(new Date(start.getTime() + ttlMs)) };
  await ctx.kube.patchStatus(ref, { ...base, phase: 'InProgress' });
  let collected: Collected;
  try {
    collected = await collect(ctx.kube, backup.spec ?? {}, ctx.faults?.backupItemErrors ?? new Set());
  } catch (e) {
    await ctx.kube.patchStatus(ref, { ...base, phase: 'Failed', failureReason: `error collecting resources: ${(e as Error).message}`, completionTimestamp: ts(ctx.now()) });
    return;
  }
  const keys = backupKeys(ctx.prefix, name);
  const errors = countResults(collected.errors);
  const progress = { totalItems: collected.items, itemsBackedUp: collected.items };
  const finalizing: KubeObject = { ...strip(backup), status: { ...base, phase: 'Finalizing', progress, errors: errors || undefined } };
  try {
    collected.log.push(`level=info msg="Backed up a total of ${collected.items} items" backup=${ctx.prefix}${name}`);
    await ctx.store.put(keys.logs, gzipSync(collected.log.join('\n') + '\n')).catch(() => undefined); // best effort, as Velero
    await ctx.store.put(keys.metadata, JSON.stringify(finalizing, null, 2), { contentType: 'application/json' });
    await ctx.store.put(keys.tarball, tarGz([{ path: 'metadata/version', data: '1.1.0\n' }, ...collected.entries]));
    await ctx.store.put(keys.resourceList, gzipSync(JSON.stringify(collected.resourceList)));
    await ctx.store.put(keys.results, gzipSync(JSON.stringify({ warnings: emptyResults(), errors: collected.errors })));
    await ctx.store.put(keys.volumeSnapshots, gzipSync('[]'));
  } catch (e) {
    await ctx.kube.patchStatus(ref, { ...base, phase: 'Failed', failureReason: `error uploading backup to the object store: ${(e as Error).message}`, completionTimestamp: ts(ctx.now()) });
    return;
  }
  await ctx.kube.patchStatus(ref, finalizing.status);
  const done = { ...base, phase: errors > 0 ? 'PartiallyFailed' : 'Completed', progress, completionTimestamp: ts(ctx.now()), errors: errors || undefined };
  // Velero rewrites velero-backup.json when it finalizes: a second version on a versioned bucket
  try {
    await ctx.store.put(keys.metadata, JSON.stringify({ ...finalizing, status: done }, null, 2), { contentType: 'application/json' });
  } catch (e) {
    await ctx.kube.patchStatus(ref, { ...done, phase: 'Failed', failureReason: `error rewriting velero-backup.json: ${(e as Error).message}` });
    return;
  }
  await ctx.kube.patchStatus(ref, done);
}

function strip(o: KubeObject): KubeObject {
  const { managedFields: _m, ...meta } = o.metadata ?? {};
  return { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: meta, spec: o.spec };
}

interface BackupSpecFilters {
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  includedResources?: string[];
  excludedResources?: string[];
  includeClusterResources?: boolean;
  labelSelector?: LabelSelector;
}

async function collect(kube: KubeApi, spec: BackupSpecFilters, failing: Set<string>): Promise<Collected> {
  const out: Collected = { entries: [], resourceList: {}, errors: emptyResults(), items: 0, log: [] };
  const served = (await kube.resources()).filter((r) => !NEVER_BACKED_UP.has(groupResource(r.group, r.resource)) && !isVeleroOwn(r));
  const selected = served.filter((r) => matchesFilter(groupResource(r.group, r.resource), spec.includedResources, spec.excludedResources, resourceAliases(r)));
  const labelSelector = spec.labelSelector ? selectorToString(spec.labelSelector) : undefined;
  const allNs = (await kube.list({ apiVersion: 'v1', kind: 'Namespace' })).items;
  const namespaces = allNs.filter((n) => matchesFilter(n.metadata?.name ?? '', spec.includedNamespaces, spec.excludedNamespaces));
  const nsNames = new Set(namespaces.map((n) => n.metadata?.name ?? ''));
  const everyNamespace = !spec.includedNamespaces || spec.includedNamespaces.length === 0 || spec.includedNamespaces.includes('*');
  const clusterMode = spec.includeClusterResources;
  const boundPvs = new Set<string>();

  const add = (r: ServedResource, o: KubeObject): void => {
    const gr = groupResource(r.group, r.resource);
    const ns = o.metadata?.namespace;
    const name = o.metadata?.name ?? '';
    if (failing.has(gr)) {
      addResult(out.errors, ns, `error backing up item ${gr}/${ns ? `${ns}/` : ''}${name}: kdrill lab fault: ${gr} are set to fail (ConfigMap ${FAULTS_CONFIGMAP})`);
      return;
    }
    const rel = ns ? `namespaces/${ns}/${name}.json` : `cluster/${name}.json`;
    const json = JSON.stringify({ apiVersion: r.apiVersion, kind: r.kind, ...o });
    const version = r.apiVersion.split('/').pop()!;
    out.entries.push({ path: `resources/${gr}/${rel}`, data: json }, { path: `resources/${gr}/${version}-preferredversion/${rel}`, data: json });
    const key = `${r.apiVersion}/${r.kind}`;
    (out.resourceList[key] ??= []).push(ns ? `${ns}/${name}` : name);
    out.items++;
  };

  for (const r of selected.filter((x) => x.namespaced)) {
    try {
      const items = (await kube.list({ apiVersion: r.apiVersion, kind: r.kind }, { labelSelector })).items.filter((o) => nsNames.has(o.metadata?.namespace ?? ''));
      for (const o of items) {
        add(r, o);
        if (r.resource === 'persistentvolumeclaims' && !r.group && o.spec?.volumeName) boundPvs.add(o.spec.volumeName as string);
      }
      out.log.push(`level=info msg="Listed ${items.length} items" resource=${groupResource(r.group, r.resource)}`);
    } catch (e) {
      addResult(out.errors, undefined, `error listing ${groupResource(r.group, r.resource)}: ${(e as Error).message}`);
    }
  }
  // Cluster-scoped items: the namespaces themselves, the PVs behind backed-up claims, or all with
  // includeClusterResources: true (and none with false, as Velero does).
  for (const r of served.filter((x) => !x.namespaced)) {
    const gr = groupResource(r.group, r.resource);
    const isNs = gr === 'namespaces';
    const isPv = gr === 'persistentvolumes';
    if (clusterMode === false && !isNs) continue;
    if (clusterMode !== true && !isNs && !isPv) continue;
    if (clusterMode === undefined && !everyNamespace && !isNs && !isPv) continue;
    if (!isNs && !matchesFilter(gr, spec.includedResources, spec.excludedResources, resourceAliases(r))) continue;
    if (isNs && spec.excludedResources?.includes('namespaces')) continue;
    try {
      const items = isNs ? namespaces : (await kube.list({ apiVersion: r.apiVersion, kind: r.kind })).items;
      for (const o of items) if (!isPv || clusterMode === true || boundPvs.has(o.metadata?.name ?? '')) add(r, o);
    } catch (e) {
      addResult(out.errors, undefined, `error listing ${gr}: ${(e as Error).message}`);
    }
  }
  for (const k of Object.keys(out.resourceList)) out.resourceList[k]!.sort();
  return out;
}
