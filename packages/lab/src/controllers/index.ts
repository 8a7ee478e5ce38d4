import type { KubeApi } from '../core.js';
import { ControllerContext } from './context.js';
import { runKubelet } from './kubelet.js';
import { DEFAULT_LAYOUT, ensureNodes, type NodeLayout } from './nodes.js';
import { PodNetwork, findPodNetwork, podIpAt } from './pod-network.js';
import { schedule } from './scheduler.js';
import { reconcileVolumes } from './volumes.js';
import { reconcileNamespaces } from './namespaces.js';
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
  /** Which cluster of a two-cluster lab this is (0 or 1), so pod IPs do not collide between them. */
  cluster?: number;
  /**
   * Serve the Ready pods' container ports on their pod IPs (see PodNetwork), inside the network namespace
   * named by KDRILL_POD_NETNS. 'auto': only on a real apiserver, and only when that namespace is set up.
   */
  podNetwork?: boolean | 'auto';
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
  const isLab = (await kube.serverVersion()).gitVersion.includes('kdrill-lab');
  const workloads = opts.workloads === 'auto' || opts.workloads === undefined ? isLab : opts.workloads;
  const ctx = new ControllerContext(kube);
  const auto = opts.podNetwork === 'auto' || opts.podNetwork === undefined;
  const setup = (auto ? !isLab : opts.podNetwork) ? await findPodNetwork() : undefined;
  // without a pod network the http checks through the proxy fail honestly; say why when one was meant
  if (setup && 'reason' in setup && (!auto || setup.misconfigured)) ctx.note(`pod network: ${setup.reason}`);
  const net = setup && 'netns' in setup ? new PodNetwork(setup.netns, (m) => ctx.note(m)) : undefined;
  const abort = new AbortController();
  await ensureNodes(kube, layout);

  const boundAt = new Map<string, number>();
  const turn = { n: 0 };
  let ipCounter = 2;
  const ips = new Map<string, string>();
  const ipFor = (uid: string): string => {
    if (!ips.has(uid)) ips.set(uid, podIpAt(opts.cluster ?? 0, ipCounter++));
    return ips.get(uid)!;
  };

  const namespacesDone = new Set<string>();
  // the lab's API server has no TLS of its own: the CA it publishes stands for the one a cluster would have
  const caPem = '-----BEGIN CERTIFICATE-----\nkdrill-lab-cluster-ca\n-----END CERTIFICATE-----\n';
  let dirty = true;
  let running: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let idleWaiters: (() => void)[] = [];

  const reconcile = async (): Promise<void> => {
    while (dirty && !abort.signal.aborted) {
      dirty = false;
      try {
        if (workloads) await reconcileNamespaces(ctx, namespacesDone, caPem);
        if (workloads) await reconcileWorkloads(ctx);
        await reconcileVolumes(ctx, layout.zones, turn);
        await schedule(ctx);
        const next = await runKubelet(
          ctx,
          { startDelayMs: opts.startDelayMs ?? 300, evictionDelayMs: opts.evictionDelayMs ?? 5000 },
          Date.now,
          boundAt,
          ipFor,
        );
        await net?.sync(ctx.of('pod').list());
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
      await net?.close();
    },
  };
}
