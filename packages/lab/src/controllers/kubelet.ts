import type { KubeObject } from '../core.js';
import type { ControllerContext } from './context.js';
import { isNodeReady } from './nodes.js';
import { conditionOf, podStatus } from './pods.js';

export interface KubeletOptions {
  /** From binding to Running and Ready. */
  startDelayMs: number;
  /** How long pods stay on a NotReady node before they are evicted (deleted), as the node lifecycle controller does. */
  evictionDelayMs: number;
}

/**
 * The kubelet stand-in: starts bound pods after a delay, takes pods down when their node goes
 * NotReady (and evicts them later), and completes graceful deletions that a real apiserver leaves
 * to the kubelet. Returns the ms until it next has something to do, if anything.
 */
export async function runKubelet(
  ctx: ControllerContext,
  opts: KubeletOptions,
  boundAt: Map<string, number>,
  ipFor: (uid: string) => string,
): Promise<number | undefined> {
  let next: number | undefined;
  const soon = (ms: number): void => {
    next = next === undefined ? ms : Math.min(next, ms);
  };
  const now = ctx.clock.now().getTime();
  for (const pod of ctx.of('pod').list()) {
    const uid = pod.metadata?.uid ?? '';
    const nodeName = pod.spec?.nodeName as string | undefined;
    if (!nodeName) continue;
    if (pod.metadata?.deletionTimestamp) {
      await ctx.delete('pod', pod, 0);
      continue;
    }
    const node = ctx.of('node').get(undefined, nodeName);
    const nodeUp = isNodeReady(node);
    const ready = conditionOf(pod, 'Ready')?.status === 'True';
    if (!boundAt.has(uid)) boundAt.set(uid, now);
    if (nodeUp) {
      if (pod.status?.phase === 'Running' && ready) continue;
      const due = boundAt.get(uid)! + opts.startDelayMs;
      if (now < due) {
        soon(due - now);
        continue;
      }
      await ctx.patchStatus('pod', pod, podStatus(pod, nodeName, true, ipFor(uid), ctx.clock.now()));
    } else {
      if (ready || pod.status?.phase !== 'Running')
        await ctx.patchStatus('pod', pod, podStatus(pod, nodeName, false, ipFor(uid), ctx.clock.now()));
      const downSince = nodeDownSince(node) ?? now;
      const evictAt = downSince + opts.evictionDelayMs;
      if (now >= evictAt) await ctx.delete('pod', pod, 0);
      else soon(evictAt - now);
    }
  }
  for (const uid of boundAt.keys())
    if (
      !ctx
        .of('pod')
        .list()
        .some((p) => p.metadata?.uid === uid)
    )
      boundAt.delete(uid);
  return next;
}

function nodeDownSince(node: KubeObject | undefined): number | undefined {
  const t = conditionOf(node, 'Ready')?.lastTransitionTime;
  return t ? Date.parse(t) : undefined;
}
