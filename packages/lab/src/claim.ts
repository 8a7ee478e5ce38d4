import { hostname } from 'node:os';
import { isKubeApiError, processAlive, systemClock } from './core.js';
import type { Clock, KubeApi } from './core.js';
import type { KubeObject } from './core.js';

export const LEASE = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  namespace: 'kube-system',
  name: 'kdrill-lab',
} as const;
const DURATION_S = 15;
const RENEW_MS = 5000;

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
const microTime = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export class ClusterTakenError extends Error {}

/** Who holds the cluster now: the Lease's holder, unless its renewal is stale or (on this machine) its process is gone. */
function liveHolder(lease: KubeObject, now: Date): string | undefined {
  const holder = String(lease.spec?.holderIdentity ?? '');
  const renewed = Date.parse(String(lease.spec?.renewTime ?? ''));
  const [holderHost, holderPid] = holder.split(':');
  // a holder on this machine whose process is gone (killed) holds nothing, however fresh its last renewal
  const dead = holderHost === hostname() && !!holderPid && !processAlive(Number(holderPid));
  const fresh = now.getTime() - renewed < Number(lease.spec?.leaseDurationSeconds ?? DURATION_S) * 1000;
  return holder && !dead && fresh ? holder : undefined;
}

/**
 * The lab (by its holder identity) that holds this cluster now, when it is not the lab of `dir`: a lab
 * that was refused the cluster, or took it over long ago, must not clean up what the holder made.
 */
export async function otherHolder(kube: KubeApi, dir: string, now = new Date()): Promise<string | undefined> {
  const lease = await kube.get(LEASE);
  const holder = lease && liveHolder(lease, now);
  return holder && !holder.endsWith(`:${dir}`) ? holder : undefined;
}

/**
 * One lab per real cluster. Two labs attached to one cluster run two lab Velero controllers, and both
 * process every Restore: a drill then measures the wrong thing (a refused Deployment is created by
 * the second pass). A lab that lives holds a Lease in kube-system and renews it; a second lab is
 * refused while the Lease is fresh, and takes it over once its holder has been gone for 15 s.
 */
/**
 * One lab per real cluster. Two labs attached to one cluster run two lab Velero controllers, and both
 * process every Restore: a drill then measures the wrong thing (a refused Deployment is created by
 * the second pass). A lab that lives holds a Lease in kube-system and renews it; a second lab is
 * refused while the Lease is fresh, and takes it over once its holder has been gone for 15 s.
 */
export async function claimCluster(
  kube: KubeApi,
  dir: string,
  clock: Clock = systemClock,
): Promise<{ release(): Promise<void> }> {
  const me = `${hostname()}:${process.pid}:${dir}`;
  const existing = await kube.get(LEASE);
  if (existing) {
    refuseIfHeld(existing, me, clock.now());
    await kube.replace(leaseBody(me, clock.now(), existing.metadata?.resourceVersion));
  } else {
    try {
      await kube.create(leaseBody(me, clock.now()));
    } catch (e) {
      if (isKubeApiError(e, 409))
        throw new ClusterTakenError('another kdrill lab attached to this cluster at the same moment');
      throw e;
    }
  }
  // a heartbeat, not a deadline: Node's interval, unref'd so that a lab forgotten by a test never holds
  // its process open; the time it writes is the clock's
  const timer = setInterval(() => {
    kube.patch(LEASE, { spec: { renewTime: microTime(clock.now()) } }, 'merge').catch(() => undefined);
  }, RENEW_MS);
  timer.unref();
  return {
    release: async () => {
      clearInterval(timer);
      const cur = await kube.get(LEASE).catch(() => undefined);
      if (cur?.spec?.holderIdentity === me) await kube.delete(LEASE).catch(() => undefined);
    },
  };
}

function leaseBody(me: string, now: Date, rv?: string): KubeObject {
  return {
    apiVersion: LEASE.apiVersion,
    kind: LEASE.kind,
    metadata: {
      name: LEASE.name,
      namespace: LEASE.namespace,
      ...(rv ? { resourceVersion: rv } : {}),
      labels: { 'app.kubernetes.io/managed-by': 'kdrill', 'kdrill.dev/lab': 'true' },
    },
    spec: {
      holderIdentity: me,
      leaseDurationSeconds: DURATION_S,
      acquireTime: microTime(now),
      renewTime: microTime(now),
    },
  };
}

/** Throws while another lab, alive, holds the Lease and renewed it within its duration. */
function refuseIfHeld(existing: KubeObject, me: string, now: Date): void {
  const holder = liveHolder(existing, now);
  if (!holder || holder === me) return;
  const [host, pid, ...rest] = holder.split(':');
  throw new ClusterTakenError(
    `another kdrill lab is attached to this cluster (host ${host}, pid ${pid}); stop it first: kdrill lab down --dir ${rest.join(':')}`,
  );
}
