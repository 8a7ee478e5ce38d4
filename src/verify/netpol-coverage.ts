import type { KubeApi } from '../kube/kube-api.js';
import { matchesLabelSelector } from '../kube/labels.js';
import type { KubeObject, LabelSelector } from '../kube/types.js';

/** The kinds a hardened cluster's NetworkPolicy constraint judges (Welkin's Gatekeeper constraint), with where their pods' labels live. */
const WORKLOADS: { apiVersion: string; kind: string; labels: (o: KubeObject) => Record<string, string> | undefined }[] =
  [
    { apiVersion: 'apps/v1', kind: 'Deployment', labels: (o) => o.spec?.template?.metadata?.labels },
    { apiVersion: 'apps/v1', kind: 'StatefulSet', labels: (o) => o.spec?.template?.metadata?.labels },
    { apiVersion: 'apps/v1', kind: 'DaemonSet', labels: (o) => o.spec?.template?.metadata?.labels },
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', labels: (o) => o.spec?.template?.metadata?.labels },
    { apiVersion: 'v1', kind: 'ReplicationController', labels: (o) => o.spec?.template?.metadata?.labels },
    { apiVersion: 'batch/v1', kind: 'Job', labels: (o) => o.spec?.template?.metadata?.labels },
    { apiVersion: 'batch/v1', kind: 'CronJob', labels: (o) => o.spec?.jobTemplate?.spec?.template?.metadata?.labels },
    { apiVersion: 'v1', kind: 'Pod', labels: (o) => o.metadata?.labels },
  ];

/**
 * Workloads whose pods no NetworkPolicy in their namespace selects: what a hardened cluster in deny
 * mode refuses, and in warn mode admits with only a warning (so a wrongly ordered restore looks fine).
 * Objects owned by a controller are judged through their owner.
 */
export async function uncoveredWorkloads(
  kube: KubeApi,
  namespaces: string[],
  /** Policies that do not count (a restore test's own deny-all selects every pod). */
  ignorePolicy?: (p: KubeObject) => boolean,
): Promise<{ checked: number; uncovered: string[] }> {
  const uncovered: string[] = [];
  let checked = 0;
  for (const ns of namespaces) {
    const policies = (
      await kube.list({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' }, { namespace: ns })
    ).items.filter((p) => !ignorePolicy?.(p));
    for (const w of WORKLOADS) {
      if (!(await kube.serves(w))) continue;
      for (const o of (await kube.list(w, { namespace: ns })).items) {
        if (o.metadata?.ownerReferences?.some((r) => r.controller)) continue;
        if (w.kind === 'Pod' && (o.status?.phase === 'Succeeded' || o.status?.phase === 'Failed')) continue;
        checked++;
        const labels = w.labels(o) ?? {};
        if (!policies.some((p) => matchesLabelSelector(labels, p.spec?.podSelector as LabelSelector | undefined)))
          uncovered.push(`${w.kind} ${ns}/${o.metadata?.name}`);
      }
    }
  }
  return { checked, uncovered };
}
