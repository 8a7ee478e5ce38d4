import type { Clock, KubeObject } from '../core.js';
import { k8sTime } from '../core.js';

export const POD = { apiVersion: 'v1', kind: 'Pod' } as const;

export function conditionOf(
  o: KubeObject | undefined,
  type: string,
): { status: string; lastTransitionTime?: string } | undefined {
  return (o?.status?.conditions as { type: string; status: string; lastTransitionTime?: string }[] | undefined)?.find(
    (c) => c.type === type,
  );
}

export function isPodReady(p: KubeObject): boolean {
  return !p.metadata?.deletionTimestamp && p.status?.phase === 'Running' && conditionOf(p, 'Ready')?.status === 'True';
}

export function isPodActive(p: KubeObject): boolean {
  return !p.metadata?.deletionTimestamp && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded';
}

/** The status a kubelet reports for a started (or, on a stopped node, unreachable) pod. */
export function podStatus(
  pod: KubeObject,
  node: string,
  ready: boolean,
  podIp: string,
  at: Date,
): Record<string, unknown> {
  const t = k8sTime(at);
  const cond = (type: string, status: boolean): object => ({
    type,
    status: status ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: t,
  });
  const containers = ((pod.spec?.containers as { name: string; image?: string }[] | undefined) ?? []).map((c) => ({
    name: c.name,
    image: c.image ?? '',
    imageID: '',
    ready,
    started: ready,
    restartCount: 0,
    state: ready ? { running: { startedAt: t } } : { waiting: { reason: 'NodeNotReady' } },
  }));
  return {
    phase: 'Running',
    hostIP: `192.168.0.${hostOctet(node)}`,
    podIP: podIp,
    podIPs: [{ ip: podIp }],
    startTime: pod.status?.startTime ?? t,
    conditions: [
      cond('Initialized', true),
      cond('Ready', ready),
      cond('ContainersReady', ready),
      cond('PodScheduled', true),
    ],
    containerStatuses: containers,
  };
}

function hostOctet(node: string): number {
  let h = 0;
  for (const ch of node) h = (h * 31 + ch.charCodeAt(0)) % 200;
  return h + 10;
}

/** The pod template of a workload turned into a Pod body, owned by the workload. */
export function podFromTemplate(
  owner: KubeObject,
  name: { name?: string; generateName?: string },
  extraLabels: Record<string, string> = {},
): KubeObject {
  const tpl = (owner.spec?.template ?? {}) as {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: object;
  };
  return {
    ...POD,
    metadata: {
      ...name,
      namespace: owner.metadata?.namespace,
      labels: { ...(tpl.metadata?.labels ?? {}), ...extraLabels },
      ...(tpl.metadata?.annotations ? { annotations: tpl.metadata.annotations } : {}),
      ownerReferences: [ownerRef(owner)],
    },
    spec: structuredClone(tpl.spec ?? {}),
  };
}

export function ownerRef(owner: KubeObject): {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: true;
  blockOwnerDeletion: true;
} {
  return {
    apiVersion: owner.apiVersion ?? '',
    kind: owner.kind ?? '',
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A controller's timestamp: now, on its clock, as metav1.Time. */
export function stamp(clock: Clock): string {
  return k8sTime(clock.now());
}
