import type { KubeApi } from '../core.js';
import type { KubeObject } from '../core.js';
import { LAB_NODE_LABEL, ZONE_LABEL, readyCondition } from '../core.js';

export { ZONE_LABEL };
export const NODE = { apiVersion: 'v1', kind: 'Node' } as const;

export interface NodeLayout {
  zones: string[];
  perZone: number;
}

export const DEFAULT_LAYOUT: NodeLayout = { zones: ['zone-a', 'zone-b', 'zone-c'], perZone: 2 };

export function nodeNames(layout: NodeLayout): { name: string; zone: string }[] {
  return layout.zones.flatMap((zone) =>
    Array.from({ length: layout.perZone }, (_, i) => ({ name: `lab-${zone}-${i + 1}`, zone })),
  );
}

/** Creates the lab's nodes where missing; existing ones are left as they are (they may be stopped). */
export async function ensureNodes(kube: KubeApi, layout: NodeLayout): Promise<void> {
  for (const { name, zone } of nodeNames(layout)) {
    if (await kube.get({ ...NODE, name })) continue;
    const region = zone.replace(/-[a-z]$/, '');
    await kube.create({
      ...NODE,
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          [ZONE_LABEL]: zone,
          'topology.kubernetes.io/region': region || 'lab',
          [LAB_NODE_LABEL]: 'true',
        },
      },
      spec: {},
    });
    await setNodeReady(kube, name, true);
  }
}

/** Marks a node Ready or NotReady, as its kubelet's heartbeat would. NotReady takes its pods down. */
export async function setNodeReady(kube: KubeApi, name: string, ready: boolean): Promise<KubeObject> {
  return kube.patchStatus(
    { ...NODE, name },
    {
      capacity: { cpu: '8', memory: '32Gi', pods: '110' },
      allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
      conditions: [readyCondition(ready)],
      addresses: [{ type: 'Hostname', address: name }],
      nodeInfo: { kubeletVersion: 'v1.30.0-kdrill-lab', operatingSystem: 'linux', architecture: 'amd64' },
    },
  );
}

export function isNodeReady(node: KubeObject | undefined): boolean {
  const c = (node?.status?.conditions as { type: string; status: string }[] | undefined)?.find(
    (x) => x.type === 'Ready',
  );
  return c?.status === 'True' && !node?.spec?.unschedulable;
}
