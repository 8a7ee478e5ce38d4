import { gzipSync } from 'node:zlib';
import type { ObjectStore } from '../core.js';
import type { KubeApi, ServedResource } from '../core.js';
import { selectorToString } from '../core.js';
import type { KubeObject, LabelSelector } from '../core.js';
import { additionalExcluded, backupNamespaces, namespaceIncluded, typeIncluded } from './backup-scope.js';
import { Discovery } from './discovery.js';
import { NEVER_BACKED_UP, isVeleroOwn, resourceIncludesExcludes } from './filters.js';
import { veleroRelease, type VeleroRelease } from './versions.js';
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
  release?: VeleroRelease;
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
  const base = {
    version: 1,
    formatVersion: '1.1.0',
    startTimestamp: ts(start),
    expiration: ts(new Date(start.getTime() + ttlMs)),
  };
  await ctx.kube.patchStatus(ref, { ...base, phase: 'InProgress' });
  const keys = backupKeys(ctx.prefix, name);
  const exists = await ctx.store.get(keys.metadata).then(
    (b) => (b ? 'backup already exists in object storage' : undefined),
    (e: Error) => `error checking if backup already exists in object storage: ${e.message}`,
  );
  if (exists) {
    await ctx.kube.patchStatus(ref, {
      ...base,
      phase: 'Failed',
      failureReason: exists,
      completionTimestamp: ts(ctx.now()),
    });
    return;
  }
  let collected: Collected;
  try {
    collected = await collect(
      ctx.kube,
      backup.spec ?? {},
      ctx.faults?.backupItemErrors ?? new Set(),
      ctx.release ?? veleroRelease(),
    );
  } catch (e) {
    await ctx.kube.patchStatus(ref, {
      ...base,
      phase: 'Failed',
      failureReason: `error collecting resources: ${(e as Error).message}`,
      completionTimestamp: ts(ctx.now()),
    });
    return;
  }
  const errors = countResults(collected.errors);
  const progress = { totalItems: collected.items, itemsBackedUp: collected.items };
  // the first velero-backup.json is written in this phase, before the Backup says it (backup_controller.go runBackup)
  const finalizing: KubeObject = {
    ...strip(backup),
    status: {
      ...base,
      phase: errors > 0 ? 'FinalizingPartiallyFailed' : 'Finalizing',
      progress,
      errors: errors || undefined,
    },
  };
  try {
    collected.log.push(`level=info msg="Backed up a total of ${collected.items} items" backup=${ctx.prefix}${name}`);
    await ctx.store.put(keys.logs, gzipSync(collected.log.join('\n') + '\n')).catch(() => undefined); // best effort, as Velero
    await ctx.store.put(keys.metadata, JSON.stringify(finalizing, null, 2), { contentType: 'application/json' });
    await ctx.store.put(keys.tarball, tarGz([{ path: 'metadata/version', data: '1.1.0\n' }, ...collected.entries]));
    await ctx.store.put(keys.resourceList, gzipSync(JSON.stringify(collected.resourceList)));
    await ctx.store.put(keys.results, gzipSync(JSON.stringify({ warnings: emptyResults(), errors: collected.errors })));
    await ctx.store.put(keys.volumeSnapshots, gzipSync('[]'));
  } catch (e) {
    await ctx.kube.patchStatus(ref, {
      ...base,
      phase: 'Failed',
      failureReason: `error uploading backup to the object store: ${(e as Error).message}`,
      completionTimestamp: ts(ctx.now()),
    });
    return;
  }
  await ctx.kube.patchStatus(ref, finalizing.status);
  const done = {
    ...base,
    phase: errors > 0 ? 'PartiallyFailed' : 'Completed',
    progress,
    completionTimestamp: ts(ctx.now()),
    errors: errors || undefined,
  };
  // Velero rewrites velero-backup.json when it finalizes: a second version on a versioned bucket
  try {
    await ctx.store.put(keys.metadata, JSON.stringify({ ...finalizing, status: done }, null, 2), {
      contentType: 'application/json',
    });
  } catch (e) {
    await ctx.kube.patchStatus(ref, {
      ...done,
      phase: 'Failed',
      failureReason: `error rewriting velero-backup.json: ${(e as Error).message}`,
    });
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

const CRDS = 'customresourcedefinitions.apiextensions.k8s.io';
const CRBS = 'clusterrolebindings.rbac.authorization.k8s.io';
const CLUSTER_ROLES = 'clusterroles.rbac.authorization.k8s.io';

/**
 * What a backup collects (pkg/backup/item_collector.go, backup.go, item_backupper.go): each served type
 * the filters include (backup-scope.ts: cluster-scoped types come along only when the namespace filter
 * covers everything, or includeClusterResources says so), then what the items bring: the volume of a
 * Bound claim (backup_pv_action.go), the ClusterRoleBindings (and ClusterRoles) that bind a ServiceAccount
 * backed up (service_account_action.go), and the CRD of each custom resource backed up, unless excluded.
 * Items being deleted, or labelled velero.io/exclude-from-backup=true, are left out.
 */
async function collect(
  kube: KubeApi,
  spec: BackupSpecFilters,
  failing: Set<string>,
  release: VeleroRelease,
): Promise<Collected> {
  const out: Collected = { entries: [], resourceList: {}, errors: emptyResults(), items: 0, log: [] };
  const discovery = await Discovery.load(kube);
  const served = (await kube.resources()).filter(
    (r) => !NEVER_BACKED_UP.has(groupResource(r.group, r.resource)) && !isVeleroOwn(r),
  );
  const resources = resourceIncludesExcludes(
    (n) => discovery.groupResource(n),
    spec.includedResources,
    spec.excludedResources,
  );
  const labelSelector = spec.labelSelector ? selectorToString(spec.labelSelector) : undefined;
  const allNs = (await kube.list({ apiVersion: 'v1', kind: 'Namespace' })).items;
  const nsFilter = backupNamespaces(
    release,
    spec.includedNamespaces,
    spec.excludedNamespaces,
    allNs.map((n) => n.metadata?.name ?? ''),
  );
  const cluster = spec.includeClusterResources;
  const done = new Set<string>();
  const backedUpTypes = new Set<string>();

  const add = (r: ServedResource, o: KubeObject): void => {
    const gr = groupResource(r.group, r.resource);
    const ns = o.metadata?.namespace;
    const name = o.metadata?.name ?? '';
    const id = `${gr}/${ns ? `${ns}/` : ''}${name}`;
    if (
      done.has(id) ||
      o.metadata?.deletionTimestamp ||
      o.metadata?.labels?.['velero.io/exclude-from-backup'] === 'true'
    )
      return;
    done.add(id);
    if (failing.has(gr)) {
      addResult(
        out.errors,
        ns,
        `error backing up item ${id}: kdrill lab fault: ${gr} are set to fail (ConfigMap ${FAULTS_CONFIGMAP})`,
      );
      return;
    }
    const rel = ns ? `namespaces/${ns}/${name}.json` : `cluster/${name}.json`;
    const json = JSON.stringify({ apiVersion: r.apiVersion, kind: r.kind, ...o });
    const version = r.apiVersion.split('/').pop()!;
    out.entries.push(
      { path: `resources/${gr}/${rel}`, data: json },
      { path: `resources/${gr}/${version}-preferredversion/${rel}`, data: json },
    );
    const key = `${r.apiVersion}/${r.kind}`;
    (out.resourceList[key] ??= []).push(ns ? `${ns}/${name}` : name);
    out.items++;
    backedUpTypes.add(gr);
  };
  const addNamed = async (gr: string, name: string): Promise<void> => {
    const r = served.find((x) => groupResource(x.group, x.resource) === gr);
    if (!r || additionalExcluded(gr, r.namespaced, resources, cluster)) return;
    const o = await kube.get({ apiVersion: r.apiVersion, kind: r.kind, name }).catch(() => undefined);
    if (o) add(r, o);
  };

  const volumes: string[] = [];
  for (const r of served) {
    const gr = groupResource(r.group, r.resource);
    if (!typeIncluded(gr, r.namespaced, resources, cluster, nsFilter)) continue;
    try {
      let items: KubeObject[];
      if (gr === 'namespaces') items = allNs.filter((n) => namespaceIncluded(nsFilter, n.metadata?.name ?? ''));
      else {
        items = (await kube.list({ apiVersion: r.apiVersion, kind: r.kind }, { labelSelector })).items;
        if (r.namespaced) items = items.filter((o) => namespaceIncluded(nsFilter, o.metadata?.namespace ?? ''));
      }
      for (const o of items) {
        add(r, o);
        if (gr === 'persistentvolumeclaims' && o.status?.phase === 'Bound' && o.spec?.volumeName)
          volumes.push(o.spec.volumeName as string);
      }
      out.log.push(`level=info msg="Listed ${items.length} items" resource=${gr}`);
    } catch (e) {
      addResult(out.errors, undefined, `error listing ${gr}: ${(e as Error).message}`);
    }
  }
  for (const v of volumes) await addNamed('persistentvolumes', v);
  // each ServiceAccount brings the ClusterRoleBindings that name it and their ClusterRoles
  // (pkg/backup/actions/service_account_action.go)
  const accounts = out.resourceList['v1/ServiceAccount'] ?? [];
  if (accounts.length) {
    const crb = served.find((x) => groupResource(x.group, x.resource) === CRBS);
    for (const b of crb
      ? (await kube.list({ apiVersion: crb.apiVersion, kind: crb.kind }).catch(() => ({ items: [] as KubeObject[] })))
          .items
      : []) {
      const subjects = (b.subjects as { kind?: string; name?: string; namespace?: string }[] | undefined) ?? [];
      if (
        !subjects.some((x) => x.kind === 'ServiceAccount' && accounts.includes(`${x.namespace ?? ''}/${x.name ?? ''}`))
      )
        continue;
      await addNamed(CRBS, b.metadata?.name ?? '');
      const ref = b.roleRef as { kind?: string; name?: string } | undefined;
      if (ref?.kind === 'ClusterRole') await addNamed(CLUSTER_ROLES, ref.name ?? '');
    }
  }
  // the CRDs of the custom resources backed up, when the filter neither takes nor refuses CRDs itself
  const crd = served.find((x) => groupResource(x.group, x.resource) === CRDS);
  if (
    crd &&
    !additionalExcluded(CRDS, false, resources, cluster) &&
    !typeIncluded(CRDS, false, resources, cluster, nsFilter)
  ) {
    for (const gr of [...backedUpTypes])
      if (served.some((x) => x.group && groupResource(x.group, x.resource) === gr)) await addNamed(CRDS, gr);
  }
  for (const k of Object.keys(out.resourceList)) out.resourceList[k]!.sort();
  return out;
}
