import { selectorToString } from '../core.js';
import type { KubeApi, KubeObject, LabelSelector, ServedResource } from '../core.js';
import {
  additionalExcluded,
  backupNamespaces,
  namespaceIncluded,
  typeIncluded,
  type BackupNamespaces,
} from './backup-scope.js';
import { Discovery } from './discovery.js';
import { FAULTS_CONFIGMAP } from './faults.js';
import { NEVER_BACKED_UP, isVeleroOwn, resourceIncludesExcludes, type IncludesExcludes } from './filters.js';
import { addResult, emptyResults, groupResource } from './layout.js';
import type { VeleroRelease } from './versions.js';

export interface Collected {
  entries: { path: string; data: string }[];
  resourceList: Record<string, string[]>;
  errors: ReturnType<typeof emptyResults>;
  items: number;
  log: string[];
}

export interface BackupSpecFilters {
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

/** What the backup's filters select, resolved against the cluster once. */
interface Scope {
  served: ServedResource[];
  resources: IncludesExcludes;
  labelSelector?: string;
  allNs: KubeObject[];
  nsFilter: BackupNamespaces;
  cluster?: boolean;
}

/**
 * What a backup collects (pkg/backup/item_collector.go, backup.go, item_backupper.go): each served type
 * the filters include (backup-scope.ts: cluster-scoped types come along only when the namespace filter
 * covers everything, or includeClusterResources says so), then what the items bring: the volume of a
 * Bound claim (backup_pv_action.go), the ClusterRoleBindings (and ClusterRoles) that bind a ServiceAccount
 * backed up (service_account_action.go), and the CRD of each custom resource backed up, unless excluded.
 * Items being deleted, or labelled velero.io/exclude-from-backup=true, are left out.
 */
export async function collect(
  kube: KubeApi,
  spec: BackupSpecFilters,
  failing: Set<string>,
  release: VeleroRelease,
): Promise<Collected> {
  const c = new ItemCollector(kube, await scopeOf(kube, spec, release), failing);
  const volumes = await c.listTypes();
  for (const v of volumes) await c.addNamed('persistentvolumes', v);
  await c.addAccountBindings();
  await c.addCrds();
  for (const k of Object.keys(c.out.resourceList)) c.out.resourceList[k]!.sort();
  return c.out;
}

async function scopeOf(kube: KubeApi, spec: BackupSpecFilters, release: VeleroRelease): Promise<Scope> {
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
  return { served, resources, labelSelector, allNs, nsFilter, cluster: spec.includeClusterResources };
}

class ItemCollector {
  readonly out: Collected = { entries: [], resourceList: {}, errors: emptyResults(), items: 0, log: [] };
  private readonly done = new Set<string>();
  private readonly backedUpTypes = new Set<string>();
  private readonly kube: KubeApi;
  private readonly scope: Scope;
  private readonly failing: Set<string>;

  constructor(kube: KubeApi, scope: Scope, failing: Set<string>) {
    this.kube = kube;
    this.scope = scope;
    this.failing = failing;
  }

  /** Lists every type the filters include and adds its items; returns the volumes of Bound claims. */
  async listTypes(): Promise<string[]> {
    const { served, resources, cluster, nsFilter } = this.scope;
    const volumes: string[] = [];
    for (const r of served) {
      const gr = groupResource(r.group, r.resource);
      if (!typeIncluded(gr, r.namespaced, resources, cluster, nsFilter)) continue;
      try {
        const items = await this.itemsOf(r, gr);
        for (const o of items) {
          this.add(r, o);
          if (gr === 'persistentvolumeclaims' && o.status?.phase === 'Bound' && o.spec?.volumeName)
            volumes.push(o.spec.volumeName as string);
        }
        this.out.log.push(`level=info msg="Listed ${items.length} items" resource=${gr}`);
      } catch (e) {
        addResult(this.out.errors, undefined, `error listing ${gr}: ${(e as Error).message}`);
      }
    }
    return volumes;
  }

  private async itemsOf(r: ServedResource, gr: string): Promise<KubeObject[]> {
    const { allNs, nsFilter, labelSelector } = this.scope;
    if (gr === 'namespaces') return allNs.filter((n) => namespaceIncluded(nsFilter, n.metadata?.name ?? ''));
    const items = (await this.kube.list({ apiVersion: r.apiVersion, kind: r.kind }, { labelSelector })).items;
    return r.namespaced ? items.filter((o) => namespaceIncluded(nsFilter, o.metadata?.namespace ?? '')) : items;
  }

  /**
   * Each ServiceAccount brings the ClusterRoleBindings that name it and their ClusterRoles
   * (pkg/backup/actions/service_account_action.go).
   */
  async addAccountBindings(): Promise<void> {
    const accounts = this.out.resourceList['v1/ServiceAccount'] ?? [];
    if (!accounts.length) return;
    const crb = this.scope.served.find((x) => groupResource(x.group, x.resource) === CRBS);
    const bindings = crb
      ? (
          await this.kube
            .list({ apiVersion: crb.apiVersion, kind: crb.kind })
            .catch(() => ({ items: [] as KubeObject[] }))
        ).items
      : [];
    for (const b of bindings) {
      const subjects = (b.subjects as { kind?: string; name?: string; namespace?: string }[] | undefined) ?? [];
      if (
        !subjects.some((x) => x.kind === 'ServiceAccount' && accounts.includes(`${x.namespace ?? ''}/${x.name ?? ''}`))
      )
        continue;
      await this.addNamed(CRBS, b.metadata?.name ?? '');
      const ref = b.roleRef as { kind?: string; name?: string } | undefined;
      if (ref?.kind === 'ClusterRole') await this.addNamed(CLUSTER_ROLES, ref.name ?? '');
    }
  }

  /** The CRDs of the custom resources backed up, when the filter neither takes nor refuses CRDs itself. */
  async addCrds(): Promise<void> {
    const { served, resources, cluster, nsFilter } = this.scope;
    const crd = served.find((x) => groupResource(x.group, x.resource) === CRDS);
    if (
      !crd ||
      additionalExcluded(CRDS, false, resources, cluster) ||
      typeIncluded(CRDS, false, resources, cluster, nsFilter)
    )
      return;
    for (const gr of [...this.backedUpTypes])
      if (served.some((x) => x.group && groupResource(x.group, x.resource) === gr)) await this.addNamed(CRDS, gr);
  }

  /** An additional item, by name, unless the filters exclude its type. */
  async addNamed(gr: string, name: string): Promise<void> {
    const { served, resources, cluster } = this.scope;
    const r = served.find((x) => groupResource(x.group, x.resource) === gr);
    if (!r || additionalExcluded(gr, r.namespaced, resources, cluster)) return;
    const o = await this.kube.get({ apiVersion: r.apiVersion, kind: r.kind, name }).catch(() => undefined);
    if (o) this.add(r, o);
  }

  private add(r: ServedResource, o: KubeObject): void {
    const gr = groupResource(r.group, r.resource);
    const ns = o.metadata?.namespace;
    const name = o.metadata?.name ?? '';
    const id = `${gr}/${ns ? `${ns}/` : ''}${name}`;
    if (
      this.done.has(id) ||
      o.metadata?.deletionTimestamp ||
      o.metadata?.labels?.['velero.io/exclude-from-backup'] === 'true'
    )
      return;
    this.done.add(id);
    if (this.failing.has(gr)) {
      addResult(
        this.out.errors,
        ns,
        `error backing up item ${id}: kdrill lab fault: ${gr} are set to fail (ConfigMap ${FAULTS_CONFIGMAP})`,
      );
      return;
    }
    const rel = ns ? `namespaces/${ns}/${name}.json` : `cluster/${name}.json`;
    const json = JSON.stringify({ apiVersion: r.apiVersion, kind: r.kind, ...o });
    const version = r.apiVersion.split('/').pop()!;
    this.out.entries.push(
      { path: `resources/${gr}/${rel}`, data: json },
      { path: `resources/${gr}/${version}-preferredversion/${rel}`, data: json },
    );
    (this.out.resourceList[`${r.apiVersion}/${r.kind}`] ??= []).push(ns ? `${ns}/${name}` : name);
    this.out.items++;
    this.backedUpTypes.add(gr);
  }
}
