import { stringify } from 'yaml';
import type { KubeObject } from '../kube/types.js';
import { INERT_INGRESS_CLASS } from './names.js';
import type { BackupManifest } from './manifests.js';

/** What the sandbox changes in one restored object so it cannot reach, or be reached from, production. */
export interface SandboxChange {
  kind: string;
  namespace: string;
  name: string;
  change: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386, as Velero's mergePatches apply it: what the sandbox will hold is the backup with these applied. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const CRONJOB = { spec: { suspend: true } };
// no rules: a restored policy still selects its pods (a hardened cluster admits them) but lets nothing through;
// its namespaceSelectors name production, and its allow-lists are production's
const NETWORK_POLICY = { spec: { ingress: null, egress: null, policyTypes: ['Ingress', 'Egress'] } };
const INGRESS = {
  metadata: { annotations: { 'kubernetes.io/ingress.class': INERT_INGRESS_CLASS } },
  spec: { ingressClassName: INERT_INGRESS_CLASS },
};
const EXPOSED = ['NodePort', 'LoadBalancer'];

/** A Service reachable from outside the cluster: a node port, a load balancer, or external IPs. */
function serviceExposed(svc: KubeObject): boolean {
  return EXPOSED.includes(String(svc.spec?.type)) || (svc.spec?.externalIPs?.length ?? 0) > 0;
}

function servicePatch(svc: KubeObject): Record<string, unknown> {
  const ports = ((svc.spec?.ports ?? []) as Record<string, unknown>[]).map(({ nodePort: _n, ...p }) => p);
  return {
    spec: {
      type: 'ClusterIP',
      ports,
      externalIPs: null,
      externalTrafficPolicy: null,
      healthCheckNodePort: null,
      loadBalancerIP: null,
      loadBalancerSourceRanges: null,
      loadBalancerClass: null,
      allocateLoadBalancerNodePorts: null,
    },
  };
}

/** The merge patch the sandbox applies to this backed-up object, and why; undefined when it is restored as it is. */
export function isolationPatch(m: BackupManifest): { patch: unknown; change: string } | undefined {
  const o = m.obj;
  if (m.gr === 'cronjobs.batch') return { patch: CRONJOB, change: 'restored suspended (no Job runs in the sandbox)' };
  if (m.gr === 'networkpolicies.networking.k8s.io')
    return {
      patch: NETWORK_POLICY,
      change: "restored without its rules (its pod selector stays; production's allow-lists do not)",
    };
  if (m.gr === 'ingresses.networking.k8s.io')
    return { patch: INGRESS, change: `given the ingress class ${INERT_INGRESS_CLASS}, which no controller serves` };
  if (m.gr === 'services' && serviceExposed(o))
    return {
      patch: servicePatch(o),
      change: `${String(o.spec?.type ?? 'ClusterIP')}${o.spec?.externalIPs?.length ? ' with external IPs' : ''} → ClusterIP (no node port, load balancer or external IP)`,
    };
  return undefined;
}

const GENERIC = [
  ['cronjobs.batch', CRONJOB],
  ['networkpolicies.networking.k8s.io', NETWORK_POLICY],
  ['ingresses.networking.k8s.io', INGRESS],
] as const;

/**
 * Velero resource modifier rules (v1.13+ mergePatches) that fence the sandbox off as the objects land:
 * CronJobs suspended, NetworkPolicies without their rules, Ingresses inert, and each exposed Service of
 * the backup turned into a ClusterIP one. Conditions name the source namespaces, as Velero matches them.
 */
export function isolationRules(manifests: BackupManifest[], sources: string[]): unknown[] {
  const rules: unknown[] = GENERIC.map(([groupResource, patch]) => ({
    conditions: { groupResource, namespaces: sources },
    mergePatches: [{ patchData: JSON.stringify(patch) }],
  }));
  for (const m of manifests) {
    if (m.gr !== 'services' || !serviceExposed(m.obj)) continue;
    rules.push({
      conditions: {
        groupResource: 'services',
        namespaces: [m.obj.metadata?.namespace ?? ''],
        resourceNameRegex: `^${m.obj.metadata?.name ?? ''}$`,
      },
      mergePatches: [{ patchData: JSON.stringify(servicePatch(m.obj)) }],
    });
  }
  return rules;
}

/** The changes, one per affected object of the backup, for the result. */
export function isolationChanges(manifests: BackupManifest[]): SandboxChange[] {
  return manifests.flatMap((m) => {
    const p = isolationPatch(m);
    return p
      ? [
          {
            kind: String(m.obj.kind),
            namespace: m.obj.metadata?.namespace ?? '',
            name: m.obj.metadata?.name ?? '',
            change: p.change,
          },
        ]
      : [];
  });
}

/** The ConfigMap Velero reads the rules from: exactly one data key (GetResourceModifiersFromConfig). */
export function modifierConfigMap(
  name: string,
  namespace: string,
  rules: unknown[],
  labels: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { ...labels, 'app.kubernetes.io/managed-by': 'kdrill' } },
    data: { 'restore-test.yaml': stringify({ version: 'v1', resourceModifierRules: rules }) },
  };
}
