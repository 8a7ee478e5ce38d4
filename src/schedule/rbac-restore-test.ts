import { DrillError, ExitCode } from '../errors.js';
import { modifierName } from '../restore-test/names.js';
import type { Scenario } from '../scenario/schema.js';
import type { Grant } from './rbac.js';

/** What a restore test adds to a drill's grants, where each goes. */
export interface RestoreTestGrants {
  cluster: Grant[];
  velero: Grant[];
  namespaced: Record<string, Grant[]>;
  notes: string[];
}

/**
 * The sandbox names of a scheduled restore test. They must be fixed: delete on namespaces can be
 * granted by name only, and a ServiceAccount that may delete any namespace could delete production.
 */
export function scheduledSandboxNames(s: Scenario): string[] {
  const given = s.spec.sandbox?.namespaces ?? {};
  const missing = s.spec.target.namespaces.filter((n) => !given[n]);
  if (missing.length)
    throw new DrillError(
      'SANDBOX_NAMES_NEEDED',
      `a scheduled restore test needs a fixed sandbox name for ${missing.join(', ')}: its ServiceAccount may delete those namespaces and no other, and <namespace>-rt-<run id> changes every run`,
      ExitCode.Usage,
      {
        hint: `name them in the scenario:\n  sandbox:\n    namespaces: { ${missing.map((n) => `${n}: ${n}-rt`).join(', ')} }`,
      },
    );
  return s.spec.target.namespaces.map((n) => given[n]!).sort();
}

/**
 * The least privilege of a scheduled restore test, on top of a drill's reads: make its sandbox
 * namespaces and their deny-all fence, tear down exactly those names, and keep the resource-modifier
 * ConfigMap in Velero's namespace. Kubernetes RBAC cannot limit `create` to names (the name is not
 * known when the request is authorized), so namespace and NetworkPolicy create are cluster-wide: the
 * notes say so, for the operator to weigh.
 */
export function restoreTestGrants(s: Scenario): RestoreTestGrants {
  const sandboxes = scheduledSandboxNames(s);
  const cm = modifierName(s);
  const cluster: Grant[] = [
    {
      rule: { apiGroups: [''], resources: ['namespaces'], verbs: ['create'] },
      why: 'restore test: create the sandbox namespaces, labelled with the run and their expiry',
    },
    {
      rule: { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'delete'], resourceNames: sandboxes },
      why: 'restore test: refuse a sandbox name that exists, and tear the sandbox down (only these names)',
    },
    {
      rule: { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create'] },
      why: 'restore test: the deny-all fence in each sandbox namespace before anything is restored',
    },
  ];
  const velero: Grant[] = [
    {
      rule: { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      why: "restore test: the resource modifiers that fence the sandbox's objects off as they land",
    },
    {
      rule: { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'update', 'delete'], resourceNames: [cm] },
      why: 'restore test: update the resource modifiers of an earlier run, and remove them at the end',
    },
  ];
  // the CronJob's init container: `kdrill gc --scenario`, for what a crashed run left
  const gc = !s.spec.recovery.context;
  if (gc) {
    cluster.push({
      rule: { apiGroups: [''], resources: ['namespaces'], verbs: ['list'] },
      why: 'gc first: find the expired sandboxes of this scenario by label',
    });
    velero.push({
      rule: { apiGroups: [''], resources: ['configmaps'], verbs: ['list'] },
      why: 'gc first: find the resource modifiers a crashed run left, by label',
    });
  }
  const namespaced: Record<string, Grant[]> = {};
  if (s.spec.sandbox?.allow.includes('api-server'))
    namespaced.default = [
      {
        rule: { apiGroups: [''], resources: ['endpoints'], verbs: ['get'], resourceNames: ['kubernetes'] },
        why: "restore test: the API server's addresses, let through the sandbox's NetworkPolicy (allow: api-server)",
      },
    ];
  const notes = [
    `restore test: namespace and NetworkPolicy create are cluster-wide (RBAC cannot limit create to names); delete is limited to the sandboxes ${sandboxes.join(', ')}`,
    gc
      ? `restore test: a run that crashed leaves its sandbox until it expires (sandbox.ttl); each run first removes expired ones of this scenario (kdrill gc --scenario ${s.metadata.name}, an init container), and is refused while one has not expired`
      : `restore test: a run that crashed leaves its sandbox in ${s.spec.recovery.context}, and the next run is refused while it is there: run kdrill gc --scenario ${s.metadata.name} --context ${s.spec.recovery.context}`,
  ];
  return { cluster, velero, namespaced, notes };
}
