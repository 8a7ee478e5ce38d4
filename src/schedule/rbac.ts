import type { DisasterStep, Scenario } from '../scenario/schema.js';
import { restoreTestGrants } from './rbac-restore-test.js';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** A rule and why the drill needs it: the reason goes into the manifests as an annotation. */
export interface Grant {
  rule: PolicyRule;
  why: string;
}

export interface DrillPermissions {
  /** Bound cluster-wide: the target namespaces are deleted and restored, and a RoleBinding inside one goes with it. */
  cluster: Grant[];
  /** Bound in Velero's namespace. */
  velero: Grant[];
  /** Bound in a namespace that a disaster step changes but does not delete. */
  namespaced: Record<string, Grant[]>;
  /** What the manifests cannot grant, for the operator to read. */
  notes: string[];
}

// the kinds a drill reads in its target namespaces (inventory, readiness). Secrets are left out on
// purpose: listing them reads their data, and a drill has no business holding application secrets.
const READ_APP: PolicyRule[] = [
  {
    apiGroups: [''],
    resources: ['configmaps', 'persistentvolumeclaims', 'pods', 'serviceaccounts', 'services'],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: ['apps'], resources: ['daemonsets', 'deployments', 'statefulsets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings', 'roles'], verbs: ['get', 'list', 'watch'] },
];

const WORKLOAD_RESOURCE: Record<string, [group: string, resource: string]> = {
  Deployment: ['apps', 'deployments'],
  StatefulSet: ['apps', 'statefulsets'],
  DaemonSet: ['apps', 'daemonsets'],
  Pod: ['', 'pods'],
};

/** What every drill needs in Velero's namespace; `take` and the BSL Secret are the only variables. */
function veleroGrants(take: boolean, bslSecret: string): Grant[] {
  const rule = (apiGroups: string[], resources: string[], verbs: string[], why: string, resourceNames?: string[]) => ({
    rule: { apiGroups, resources, verbs, ...(resourceNames ? { resourceNames } : {}) },
    why,
  });
  return [
    rule(
      ['velero.io'],
      ['backupstoragelocations', 'schedules'],
      ['get', 'list'],
      'preflight: Velero is there and the BSL is Available',
    ),
    rule(['apps'], ['deployments'], ['get', 'list'], 'preflight: the Velero server Deployment has a ready replica'),
    rule(
      ['velero.io'],
      ['downloadrequests'],
      ['create', 'get', 'list', 'watch'],
      "what a backup holds and a restore's results, through Velero, when the bucket cannot be read from here",
    ),
    take
      ? rule(
          ['velero.io'],
          ['backups'],
          ['create', 'get', 'list', 'watch'],
          'choose the backup, and take a fresh one (backup.take)',
        )
      : rule(['velero.io'], ['backups'], ['get', 'list', 'watch'], 'choose the backup'),
    rule(
      ['velero.io'],
      ['restores'],
      ['create', 'get', 'list', 'watch'],
      'one Restore per phase, waited on by watch; no stale Restore of the same name',
    ),
    rule([''], ['secrets'], ['get'], "the BSL's S3 credentials: audit the backups and read restore results", [
      bslSecret,
    ]),
  ];
}

/** The grants and notes gathered while reading the scenario's steps. */
interface Collected {
  cluster: Grant[];
  namespaced: Record<string, Grant[]>;
  notes: string[];
  deleteNs: Set<string>;
  nodes: boolean;
}

const grantIn = (c: Collected, ns: string, g: Grant): void => {
  (c.namespaced[ns] ??= []).push(g);
};

/** What one disaster step deletes or needs to know, and what it cannot be granted. */
function disasterGrants(d: DisasterStep, c: Collected): void {
  switch (d.type) {
    case 'delete-namespace':
      for (const n of d.namespaces) c.deleteNs.add(n);
      return;
    case 'delete-workload':
      for (const k of d.kinds) {
        const [group, resource] = WORKLOAD_RESOURCE[k]!;
        grantIn(c, d.namespace, {
          rule: { apiGroups: [group], resources: [resource], verbs: ['delete'] },
          why: `disaster: delete-workload ${k} selected by ${d.selector}`,
        });
      }
      return;
    case 'delete-pvc':
      grantIn(c, d.namespace, {
        rule: {
          apiGroups: [''],
          resources: ['persistentvolumeclaims'],
          verbs: ['delete'],
          ...(d.names ? { resourceNames: [...d.names].sort() } : {}),
        },
        why: 'disaster: delete-pvc',
      });
      grantIn(c, d.namespace, {
        rule: { apiGroups: [''], resources: ['pods'], verbs: ['delete'] },
        why: 'disaster: delete-pvc also deletes the pods that use the claims, or the claims would hang in Terminating',
      });
      return;
    case 'stop-nodes':
    case 'lose-zone':
      c.nodes = true;
      if (!d.command)
        c.notes.push(
          `${d.type}: on a cluster that is not a lab or kind, kdrill stops nodes only through your command; give that command's pod what it needs (it is not in these manifests)`,
        );
      return;
    case 'command':
      c.notes.push(
        'command: the disaster command runs in the kdrill pod with this ServiceAccount; if it calls the API, add its rules',
      );
      return;
  }
}

/** Cluster-wide: delete only the namespaces the steps name, see nodes, proxy only to the verified Services. */
function clusterGrants(spec: Scenario['spec'], c: Collected): void {
  if (c.deleteNs.size)
    c.cluster.push({
      rule: { apiGroups: [''], resources: ['namespaces'], verbs: ['delete'], resourceNames: [...c.deleteNs].sort() },
      why: 'disaster: delete-namespace (only these)',
    });
  if (c.nodes)
    c.cluster.push({
      rule: { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] },
      why: 'disaster: find the nodes of the selector or zone',
    });
  const proxies = spec.verify.flatMap((v) => (v.type === 'http' && v.service ? [v.service] : []));
  if (proxies.length) {
    const names = [...new Set(proxies.flatMap((p) => [p.name, `${p.name}:${p.port}`]))].sort();
    c.cluster.push({
      rule: { apiGroups: [''], resources: ['services/proxy'], verbs: ['get'], resourceNames: names },
      why: 'verify: http through the API server proxy, to these Services only',
    });
  }
}

/** The sentinel ConfigMap kdrill writes before a fresh backup, unless a command writes the sentinel. */
function sentinelGrants(spec: Scenario['spec'], targets: string[], c: Collected): void {
  if (!spec.verify.some((v) => v.type === 'sentinel') || spec.sentinel?.command || !spec.backup.take) return;
  const ns = spec.sentinel?.namespace ?? targets[0]!;
  grantIn(c, ns, {
    rule: { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
    why: 'sentinel: write the run id before the fresh backup',
  });
  grantIn(c, ns, {
    rule: {
      apiGroups: [''],
      resources: ['configmaps'],
      verbs: ['patch'],
      resourceNames: [spec.sentinel?.configMap ?? 'kdrill-sentinel'],
    },
    why: 'sentinel: update it on the next run',
  });
}

function closingNotes(spec: Scenario['spec'], c: Collected): void {
  if (spec.sentinel?.command)
    c.notes.push('sentinel.command runs in the kdrill pod: give it what it needs to reach the application');
  if (spec.recovery.context)
    c.notes.push(
      `recovery.context ${spec.recovery.context}: a CronJob runs in one cluster; mount a kubeconfig for the recovery cluster (Secret kdrill-kubeconfig, key config) and apply the same rules there`,
    );
  for (const ns of Object.keys(c.namespaced))
    if (c.deleteNs.has(ns))
      c.notes.push(
        `namespace ${ns} is both deleted and changed: its Role goes with it, so re-apply the manifests after a drill restores it from an older backup`,
      );
}

/**
 * The least privilege a scheduled `kdrill run` of this scenario needs, derived from what it does:
 * read Velero's objects and create Restores, read (not write) the target namespaces, and delete only
 * what its disaster steps name. `bslSecret` is the Secret holding the BSL's S3 credentials, which
 * the preflight reads to audit the bucket.
 */
export function drillPermissions(s: Scenario, opts: { bslSecret: string }): DrillPermissions {
  const spec = s.spec;
  const targets = [...spec.target.namespaces].sort();
  const c: Collected = {
    cluster: [
      {
        rule: { apiGroups: [''], resources: ['namespaces'], verbs: ['get'], resourceNames: targets },
        why: 'see whether the target namespaces exist',
      },
      ...READ_APP.map((rule) => ({ rule, why: 'inventory and readiness of the target namespaces, before and after' })),
    ],
    namespaced: {},
    notes: [],
    deleteNs: new Set(),
    nodes: false,
  };
  for (const d of spec.disaster) disasterGrants(d, c);
  clusterGrants(spec, c);
  sentinelGrants(spec, targets, c);
  closingNotes(spec, c);
  const velero = veleroGrants(!!spec.backup.take, opts.bslSecret);
  if (spec.mode === 'restore-test') {
    const rt = restoreTestGrants(s);
    c.cluster.push(...rt.cluster);
    velero.push(...rt.velero);
    for (const [ns, gs] of Object.entries(rt.namespaced)) for (const g of gs) grantIn(c, ns, g);
    c.notes.push(...rt.notes);
  }
  return { cluster: c.cluster, velero, namespaced: c.namespaced, notes: c.notes };
}
