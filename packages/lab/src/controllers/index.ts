import { systemClock } from '../core.js';
import type { Clock, KubeApi } from '../core.js';
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
  /** Pod start and eviction delays, and every timestamp the controllers write (systemClock by default). */
  clock?: Clock;
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
  const ctx = new ControllerContext(kube, opts.clock ?? systemClock);
  const net = await podNetworkFor(ctx, opts, isLab);
  const abort = new AbortController();
  await ensureNodes(kube, layout);
  const loop = reconcileLoop(ctx, reconcilePass(ctx, opts, layout, workloads, net), abort.signal);
  await Promise.all(Object.values(ctx.informers).map((inf) => inf.start(kube, loop.kick, abort.signal)));
  loop.kick();
  return {
    errors: () => [...ctx.errors],
    idle: loop.idle,
    stop: async () => {
      abort.abort();
      await loop.stop();
      await net?.close();
    },
  };
}

/** The pod network when it is asked for and set up; why not, noted, when one was meant. */
async function podNetworkFor(
  ctx: ControllerContext,
  opts: ControllerOptions,
  isLab: boolean,
): Promise<PodNetwork | undefined> {
  const auto = opts.podNetwork === 'auto' || opts.podNetwork === undefined;
  const setup = (auto ? !isLab : opts.podNetwork) ? await findPodNetwork() : undefined;
  // without a pod network the http checks through the proxy fail honestly; say why when one was meant
  if (setup && 'reason' in setup && (!auto || setup.misconfigured)) ctx.note(`pod network: ${setup.reason}`);
  return setup && 'netns' in setup ? new PodNetwork(setup.netns, (m) => ctx.note(m)) : undefined;
}

// the lab's API server has no TLS of its own: the CA it publishes stands for the one a cluster would have
const CA_PEM = '-----BEGIN CERTIFICATE-----\nkdrill-lab-cluster-ca\n-----END CERTIFICATE-----\n';

/** One pass of every controller, in order; returns the ms until the kubelet next has something to do. */
function reconcilePass(
  ctx: ControllerContext,
  opts: ControllerOptions,
  layout: NodeLayout,
  workloads: boolean,
  net: PodNetwork | undefined,
): () => Promise<number | undefined> {
  const boundAt = new Map<string, number>();
  const turn = { n: 0 };
  let ipCounter = 2;
  const ips = new Map<string, string>();
  const ipFor = (uid: string): string => {
    if (!ips.has(uid)) ips.set(uid, podIpAt(opts.cluster ?? 0, ipCounter++));
    return ips.get(uid)!;
  };
  const namespacesDone = new Set<string>();
  const kubelet = { startDelayMs: opts.startDelayMs ?? 300, evictionDelayMs: opts.evictionDelayMs ?? 5000 };
  return async () => {
    if (workloads) await reconcileNamespaces(ctx, namespacesDone, CA_PEM);
    if (workloads) await reconcileWorkloads(ctx);
    await reconcileVolumes(ctx, layout.zones, turn);
    await schedule(ctx);
    const next = await runKubelet(ctx, kubelet, boundAt, ipFor);
    await net?.sync(ctx.of('pod').list());
    return next;
  };
}

/**
 * The serial loop: a kick while a pass runs makes it go round again; the kubelet's next due time, or a
 * retry after a failure, kicks it on the controllers' clock.
 */
function reconcileLoop(
  ctx: ControllerContext,
  pass: () => Promise<number | undefined>,
  signal: AbortSignal,
): { kick: () => void; idle: () => Promise<void>; stop: () => Promise<void> } {
  let dirty = true;
  let running: Promise<void> | undefined;
  let timer: { clear(): void } | undefined;
  let idleWaiters: (() => void)[] = [];
  const reconcile = async (): Promise<void> => {
    while (dirty && !signal.aborted) {
      dirty = false;
      try {
        const next = await pass();
        if (next !== undefined && !signal.aborted) {
          timer?.clear();
          timer = ctx.clock.timeout(kick, next + 5);
        }
      } catch (e) {
        if (signal.aborted) return;
        ctx.note(`reconcile: ${(e as Error).message}`);
        if (!timer) timer = ctx.clock.timeout(kick, 500);
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
    if (!running && !signal.aborted) running = reconcile();
  }
  return {
    kick,
    idle: () => (running || dirty ? new Promise<void>((r) => idleWaiters.push(r)) : Promise.resolve()),
    stop: async () => {
      timer?.clear();
      await running?.catch(() => undefined);
    },
  };
}
