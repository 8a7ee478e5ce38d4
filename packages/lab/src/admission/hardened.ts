import { matchesLabelSelector } from '../core.js';
import type { KubeObject, LabelSelector } from '../core.js';

/**
 * The hardened-cluster rule (Welkin's Gatekeeper constraint): a workload or Pod that no NetworkPolicy
 * in its namespace selects is refused (`deny`) or admitted with a warning (`warn`, Gatekeeper's warn
 * enforcement action and Welkin's default). It is why kdrill restores NetworkPolicies first.
 * Pure, so the lab API server and the webhook for real API servers share it.
 */
export const RULE_NAME = 'require-networkpolicy';
export const WEBHOOK_NAME = 'require-networkpolicy.kdrill.dev';

/** Kinds the rule applies to, by `group/resource` as admission sees them: the kinds Welkin's constraint matches. */
export const GUARDED: { group: string; resource: string; kind: string }[] = [
  { group: '', resource: 'pods', kind: 'Pod' },
  { group: '', resource: 'replicationcontrollers', kind: 'ReplicationController' },
  { group: 'apps', resource: 'deployments', kind: 'Deployment' },
  { group: 'apps', resource: 'statefulsets', kind: 'StatefulSet' },
  { group: 'apps', resource: 'daemonsets', kind: 'DaemonSet' },
  { group: 'apps', resource: 'replicasets', kind: 'ReplicaSet' },
  { group: 'batch', resource: 'jobs', kind: 'Job' },
  { group: 'batch', resource: 'cronjobs', kind: 'CronJob' },
];

/** deny: refuse (403); warn: admit, with a warning the client is shown. */
export type HardenedAction = 'deny' | 'warn';

export interface HardenedScope {
  /** Namespaces the rule never applies to. */
  exemptNamespaces: string[];
  /** When set, only namespaces whose labels match are guarded (a webhook namespaceSelector). */
  namespaceSelector?: LabelSelector;
  action: HardenedAction;
}

/** kube-system and the lab's namespaces: never guarded, so a lab can never stop a cluster's own pods. */
export const DEFAULT_EXEMPT = ['kube-system', 'kube-public', 'kube-node-lease', 'velero'];

export function isGuarded(group: string, resource: string): boolean {
  return GUARDED.some((g) => g.group === group && g.resource === resource);
}

export function namespaceInScope(scope: HardenedScope, ns: string, nsLabels: Record<string, string>): boolean {
  if (scope.exemptNamespaces.includes(ns)) return false;
  return scope.namespaceSelector ? matchesLabelSelector(nsLabels, scope.namespaceSelector) : true;
}

/** Labels of the pods an object creates: its own for a Pod, the job template's for a CronJob, the template's otherwise. */
export function podLabels(obj: KubeObject): Record<string, string> {
  if (obj.kind === 'Pod') return obj.metadata?.labels ?? {};
  if (obj.kind === 'CronJob')
    return (obj.spec?.jobTemplate?.spec?.template?.metadata?.labels as Record<string, string> | undefined) ?? {};
  return (obj.spec?.template?.metadata?.labels as Record<string, string> | undefined) ?? {};
}

/** Returns the refusal message, or undefined when some NetworkPolicy selects the pods. */
export function checkHardened(obj: KubeObject, networkPolicies: KubeObject[]): string | undefined {
  const labels = podLabels(obj);
  const selected = networkPolicies.some((np) =>
    matchesLabelSelector(labels, np.spec?.podSelector as LabelSelector | undefined),
  );
  if (selected) return undefined;
  const ns = obj.metadata?.namespace ?? '';
  const shown =
    Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || '<none>';
  return (
    `[${RULE_NAME}] ${obj.kind} ${ns}/${obj.metadata?.name ?? obj.metadata?.generateName ?? ''}: ` +
    `no NetworkPolicy in namespace "${ns}" selects pods with labels {${shown}}; ` +
    `restore or create the NetworkPolicies first`
  );
}

/** The message a real apiserver shows for a webhook denial; the lab uses the same words. */
export function denialMessage(reason: string): string {
  return `admission webhook "${WEBHOOK_NAME}" denied the request: ${reason}`;
}
