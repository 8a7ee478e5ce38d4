import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import { systemClock } from '../time/clock.js';
import { k8sTime } from '../time/k8s-time.js';

/** The label the lab puts on its nodes: kdrill stops those by their status, as a dead kubelet would leave them. */
export const LAB_NODE_LABEL = 'kdrill.dev/lab-node';

/** A node's Ready condition as its kubelet reports it, or as the node lifecycle controller sees a node that went away. */
export function readyCondition(ready: boolean, at: Date = systemClock.now()): Record<string, string> {
  return {
    type: 'Ready',
    status: ready ? 'True' : 'False',
    reason: ready ? 'KubeletReady' : 'NodeStopped',
    message: ready ? 'kubelet is posting ready status' : 'the node was stopped (kdrill lab)',
    lastHeartbeatTime: k8sTime(at),
    lastTransitionTime: k8sTime(at),
  };
}

/** Marks a lab node Ready or NotReady: the lab's kubelet stand-in then starts or takes down its pods. */
export async function setLabNodeReady(
  kube: KubeApi,
  node: { name: string; ready: boolean; at: Date },
): Promise<KubeObject> {
  return kube.patchStatus(
    { apiVersion: 'v1', kind: 'Node', name: node.name },
    { conditions: [readyCondition(node.ready, node.at)] },
  );
}
