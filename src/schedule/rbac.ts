import type { Scenario } from '../scenario/schema.js';

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

/**
 * The least privilege a scheduled `kdrill run` of this scenario needs, derived from what it does:
 * read Velero's objects and create Restores, read (not write) the target namespaces, and delete only
 * what its disaster steps name. `bslSecret` is the Secret holding the BSL's S3 credentials, which
 * the preflight reads to audit the bucket.
 */
export function drillPermissions(s: Scenario, opts: { bslSecret: string }): DrillPermissions {
  const spec = s.spec;
  const targets = [...spec.target.namespaces].sort();
  const cluster: Grant[] = [
    {
      rule: { apiGroups: [''], resources: ['namespaces'], verbs: ['get'], resourceNames: targets },
      why: 'see whether the target namespaces exist',
    },
    ...READ_APP.map((rule) => ({ rule, why: 'inventory and readiness of the target namespaces, before and after' })),
  ];
  const velero: Grant[] = [
    {
      rule: { apiGroups: ['velero.io'], resources: ['backupstoragelocations', 'schedules'], verbs: ['get', 'list'] },
      why: 'preflight: Velero is there and the BSL is Available',
    },
    {
      rule: { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] },
      why: 'preflight: the Velero server Deployment has a ready replica',
    },
    {
      rule: { apiGroups: ['velero.io'], resources: ['downloadrequests'], verbs: ['create', 'get', 'list', 'watch'] },
      why: "what a backup holds and a restore's results, through Velero, when the bucket cannot be read from here",
    },
    {
      rule: {
        apiGroups: ['velero.io'],
        resources: ['backups'],
        verbs: spec.backup.take ? ['create', 'get', 'list', 'watch'] : ['get', 'list', 'watch'],
      },
      why: spec.backup.take ? 'choose the backup, and take a fresh one (backup.take)' : 'choose the backup',
    },
    {
      rule: { apiGroups: ['velero.io'], resources: ['restores'], verbs: ['create', 'get', 'list', 'watch'] },
      why: 'one Restore per phase, waited on by watch; no stale Restore of the same name',
    },
    {
      rule: { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [opts.bslSecret] },
      why: "the BSL's S3 credentials: audit the backups and read restore results",
    },
  ];
  const namespaced: Record<string, Grant[]> = {};
  const notes: string[] = [];
  const add = (ns: string, g: Grant): void => {
    (namespaced[ns] ??= []).push(g);
  };

  const deleteNs = new Set<string>();
  let nodes = false;
  for (const d of spec.disaster) {
    switch (d.type) {
      case 'delete-namespace':
        for (const n of d.namespaces) deleteNs.add(n);
        break;
      case 'delete-workload': {
        const byKind: Record<string, [string, string]> = {
          Deployment: ['apps', 'deployments'],
          StatefulSet: ['apps', 'statefulsets'],
          DaemonSet: ['apps', 'daemonsets'],
          Pod: ['', 'pods'],
        };
        for (const k of d.kinds)
          add(d.namespace, {
            rule: { apiGroups: [byKind[k]![0]], resources: [byKind[k]![1]], verbs: ['delete'] },
            why: `disaster: delete-workload ${k} selected by ${d.selector}`,
          });
        break;
      }
      case 'delete-pvc':
        add(d.namespace, {
          rule: {
            apiGroups: [''],
            resources: ['persistentvolumeclaims'],
            verbs: ['delete'],
            ...(d.names ? { resourceNames: [...d.names].sort() } : {}),
          },
          why: 'disaster: delete-pvc',
        });
        add(d.namespace, {
          rule: { apiGroups: [''], resources: ['pods'], verbs: ['delete'] },
          why: 'disaster: delete-pvc also deletes the pods that use the claims, or the claims would hang in Terminating',
        });
        break;
      case 'stop-nodes':
      case 'lose-zone':
        nodes = true;
        if (!d.command)
          notes.push(
            `${d.type}: on a cluster that is not a lab or kind, kdrill stops nodes only through your command; give that command's pod what it needs (it is not in these manifests)`,
          );
        break;
      case 'command':
        notes.push(
          'command: the disaster command runs in the kdrill pod with this ServiceAccount; if it calls the API, add its rules',
        );
        break;
    }
  }
  if (deleteNs.size)
    cluster.push({
      rule: { apiGroups: [''], resources: ['namespaces'], verbs: ['delete'], resourceNames: [...deleteNs].sort() },
      why: 'disaster: delete-namespace (only these)',
    });
  if (nodes)
    cluster.push({
      rule: { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] },
      why: 'disaster: find the nodes of the selector or zone',
    });

  const proxies = spec.verify.flatMap((v) => (v.type === 'http' && v.service ? [v.service] : []));
  if (proxies.length) {
    const names = [...new Set(proxies.flatMap((p) => [p.name, `${p.name}:${p.port}`]))].sort();
    cluster.push({
      rule: { apiGroups: [''], resources: ['services/proxy'], verbs: ['get'], resourceNames: names },
      why: 'verify: http through the API server proxy, to these Services only',
    });
  }
  if (spec.verify.some((v) => v.type === 'sentinel') && !spec.sentinel?.command && spec.backup.take) {
    const ns = spec.sentinel?.namespace ?? targets[0]!;
    add(ns, {
      rule: { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      why: 'sentinel: write the run id before the fresh backup',
    });
    add(ns, {
      rule: {
        apiGroups: [''],
        resources: ['configmaps'],
        verbs: ['patch'],
        resourceNames: [spec.sentinel?.configMap ?? 'kdrill-sentinel'],
      },
      why: 'sentinel: update it on the next run',
    });
  }
  if (spec.sentinel?.command)
    notes.push('sentinel.command runs in the kdrill pod: give it what it needs to reach the application');
  if (spec.recovery.context)
    notes.push(
      `recovery.context ${spec.recovery.context}: a CronJob runs in one cluster; mount a kubeconfig for the recovery cluster (Secret kdrill-kubeconfig, key config) and apply the same rules there`,
    );
  for (const ns of Object.keys(namespaced)) {
    if (deleteNs.has(ns))
      notes.push(
        `namespace ${ns} is both deleted and changed: its Role goes with it, so re-apply the manifests after a drill restores it from an older backup`,
      );
  }
  return { cluster, velero, namespaced, notes };
}
