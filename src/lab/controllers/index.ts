import type { KubeApi } from '../../kube/kube-api.js';
import { ControllerContext } from './context.js';
import { runKubelet } from './kubelet.js';
import { DEFAULT_LAYOUT, ensureNodes, type NodeLayout } from './nodes.js';
import { schedule } from './scheduler.js';
import { reconcileVolumes } from './volumes.js';
import { reconcileWorkloads } from './workloads.js';

export interface ControllerOptions {
  layout?: NodeLayout;
  startDelayMs?: number;
  evictionDelayMs?: number;
  /**
   * Run the Deployment/StatefulSet/DaemonSet controllers. 'auto' runs them only when the server is the
   * lab's own: a real controller-manager already owns ReplicaSets and Pods.
   */
  workloads?: boolean | 'auto';
}

export interface ControllersHandle {
  stop(): Promise<void>;
  /** Recent refusals and failures the controllers met (admission denials, for one). */
  errors(): string[];
  /** Resolves once nothing is pending: no reconcile queued or running. For tests and `lab up`. */
  idle(): Promise<void>;
}

/**
 * Starts the lab controllers against any API server, through the KubeApi port: nodes, the scheduler
 * and kubelet stand-ins, PV provisioning and binding, and (on the lab's own server) the workload
 * controllers. One serial reconcile loop: simple, and plenty for a drill-sized cluster.
 */
export async function startControllers(kube: KubeApi, opts: ControllerOptions = {}): Promise<ControllersHandle> {
  const layout = opts.layout ?? DEFAULT_LAYOUT;
  const workloads = opts.workloads === 'auto' || opts.workloads === undefined ? (await kube.serverVersion()).gitVersion.includes('kdrill-lab') : opts.workloads;
  const ctx = new ControllerContext(kube);
  const abort = new AbortController();
  await ensureNodes(kube, layout);

  const boundAt = new Map<string, number>();
  const turn = { n: 0 };
  let ipCounter = 2;
  const ips = new Map<string, string>();
  const ipFor = (uid: string): string => {
    if (!ips.has(uid)) {
      const n = ipCounter++;
      ips.set(uid, `10.244.${(n >> 8) & 255}.${n & 255}`);
    }
    return ips.get(uid)!;
  };

  let dirty = true;
  let running: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let idleWaiters: (() => void)[] = [];

  const reconcile = async (): Promise<void> => {
    while (dirty && !abort.signal.aborted) {
      dirty = false;
      try {
        if (workloads) await reconcileWorkloads(ctx);
        await reconcileVolumes(ctx, layout.zones, turn);
        await schedule(ctx);
        const next = await runKubelet(ctx, { startDelayMs: opts.startDelayMs ?? 300, evictionDelayMs: opts.evictionDelayMs ?? 5000 }, Date.now, boundAt, ipFor);
        if (next !== undefined && !abort.signal.aborted) {
          if (timer) clearTimeout(timer);
          timer = setTimeout(kick, next + 5);
        }
      } catch (e) {
        if (abort.signal.aborted) return;
        ctx.note(`reconcile: ${(e as Error).message}`);
        if (!timer) timer = setTimeout(kick, 500);
      }
    }
    running = undefined;
    if (!dirty) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const f of w) f();
    }
  };
  function kick(): void {
    timer = undefined;
    dirty = true;
    if (!running && !abort.signal.aborted) running = reconcile();
  }

  await Promise.all(Object.values(ctx.informers).map((inf) => inf.start(kube, kick, abort.signal)));
  kick();

  return {
    errors: () => [...ctx.errors],
    idle: () => (running || dirty ? new Promise<void>((r) => idleWaiters.push(r)) : Promise.resolve()),
    stop: async () => {
      abort.abort();
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
