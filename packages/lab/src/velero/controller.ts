import type { KubeApi } from '../core.js';
import { Informer } from '../controllers/informer.js';
import { bslValidation } from './reconcilers/backup-storage-location.js';
import { backupSync } from './reconcilers/backup-sync.js';
import { schedules } from './reconcilers/schedule.js';
import { backups } from './reconcilers/backup.js';
import { restores } from './reconcilers/restore.js';
import { downloadRequests } from './reconcilers/download-request.js';
import { backupDeletion } from './reconcilers/backup-deletion.js';
import {
  KINDS,
  SERVER_DEPLOYMENT,
  newVeleroServer,
  type Reconciler,
  type VeleroOptions,
  type VeleroServer,
} from './reconcilers/server.js';

export { SERVER_DEPLOYMENT, type VeleroOptions } from './reconcilers/server.js';
export { backupFromSchedule } from './reconcilers/schedule.js';

export interface VeleroHandle {
  stop(): Promise<void>;
  errors(): string[];
}

/**
 * A stand-in Velero server: BSL validation and sync, Schedules, Backups, Restores, DownloadRequests
 * and DeleteBackupRequests, with Velero's phases, labels and storage layout. It drives any API server
 * through the KubeApi port and any S3 through the ObjectStore port. One reconciler per kind, as
 * Velero's pkg/controller has them (reconcilers/), run in turn by one loop; one item at a time, as Velero.
 */
export async function startVelero(kube: KubeApi, opts: VeleroOptions = {}): Promise<VeleroHandle> {
  const s = newVeleroServer(kube, opts);
  const deployments = new Informer({ apiVersion: 'apps/v1', kind: 'Deployment' });
  // the server runs in the pod of its Deployment (pkg/install/deployment.go): no ready replica, no Velero
  const serverUp = (): boolean =>
    opts.gate === 'none' || Number(deployments.get(s.ns, SERVER_DEPLOYMENT)?.status?.readyReplicas ?? 0) > 0;
  const abort = new AbortController();
  const loop = reconcileLoop(s, serverUp, abort.signal);
  await Promise.all([
    ...KINDS.map((k) => s.inf[k].start(kube, loop.kick, abort.signal)),
    ...(opts.gate === 'none' ? [] : [deployments.start(kube, loop.kick, abort.signal)]),
  ]);
  // a pass at least every second, for what no watch event announces: validation and sync periods, schedules;
  // never 0 ms, which a clock may run at once, within tick itself
  const periodMs = Math.max(1, Math.min(opts.validationMs ?? 1000, opts.syncMs ?? 2000, 1000));
  let timer: { clear(): void } | undefined;
  const tick = (): void => {
    loop.kick();
    timer = s.clock.timeout(tick, periodMs);
  };
  tick();
  return {
    errors: () => s.errors(),
    stop: async () => {
      abort.abort();
      timer?.clear();
      await loop.settled();
    },
  };
}

/** The reconcilers in the order each pass runs them. */
function reconcilers(s: VeleroServer): Reconciler[] {
  return [
    bslValidation(s),
    backupSync(s),
    schedules(s),
    backups(s),
    restores(s),
    downloadRequests(s),
    backupDeletion(s),
  ];
}

/**
 * One serial loop over the reconcilers: a kick while it runs makes it go round again, as does a
 * reconciler that left work queued behind the one item it processed. A failure is noted, not thrown.
 */
function reconcileLoop(
  s: VeleroServer,
  serverUp: () => boolean,
  signal: AbortSignal,
): { kick: () => void; settled: () => Promise<void> } {
  const all = reconcilers(s);
  let dirty = true;
  let running: Promise<void> | undefined;
  const step = async (r: Reconciler): Promise<boolean> => {
    try {
      return await r.reconcile();
    } catch (e) {
      if (!signal.aborted) s.note(`${r.name}: ${(e as Error).message}`);
      return false;
    }
  };
  const reconcile = async (): Promise<void> => {
    while (dirty && !signal.aborted) {
      dirty = false;
      if (!serverUp()) break; // the server is not running: nothing happens until its pod is back
      let more = false;
      for (const r of all) if (await step(r)) more = true;
      // more work may be queued behind the one item just processed
      if (more) dirty = true;
    }
  };
  return {
    kick: () => {
      dirty = true;
      // cleared when the loop ends, even when it ends before its first await (the server is down)
      if (!running && !signal.aborted) running = reconcile().finally(() => (running = undefined));
    },
    settled: async () => void (await running?.catch(() => undefined)),
  };
}
