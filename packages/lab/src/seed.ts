import { join } from 'node:path';
import { assetsDir, systemClock } from './core.js';
import type { Clock, KubeApi, KubeObject } from './core.js';
import { applyManifests, readManifests, type ApplyReport } from './apply.js';
import { backupFromSchedule } from './velero/controller.js';
import { labLabels } from './gc.js';
import { pollUntil } from './poll.js';

export const SEED_NAMESPACE = 'thanos';
export const SCHEDULE = 'nightly';
export const SENTINEL = 'kdrill-sentinel';
/** Namespaces the cluster and the lab keep for themselves: never an app's backup scope by default. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'velero'];

const wait = (clock: Clock, what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> =>
  pollUntil(clock, check, { timeoutMs, everyMs: 100, timedOut: () => new Error(`timed out waiting for ${what}`) });

export interface SeedAppOptions {
  /** Manifest files or dirs; the Thanos example when empty. */
  apps: string[];
  withThanos: boolean;
  /** Where objects without a namespace go, as `kubectl apply -n`. */
  defaultNamespace?: string;
  /** The sentinel's seededAt and the wait for the workloads read it (systemClock by default). */
  clock?: Clock;
}

export interface SeededApp {
  report: ApplyReport;
  /** The namespaces the app lives in (without the cluster's own). */
  namespaces: string[];
}

const ready = (o: KubeObject): boolean => (o.status?.readyReplicas ?? 0) >= (o.spec?.replicas ?? 1);

/**
 * The application a drill targets, applied as `kubectl apply` would, with a sentinel ConfigMap in each
 * of its namespaces; waits until its workloads run. The app brings its own NetworkPolicies, or none:
 * a hardened lab then refuses its workloads, as the user's hardened cluster would.
 */
export async function seedApp(kube: KubeApi, o: SeedAppOptions): Promise<SeededApp> {
  const sources = [...(o.withThanos || o.apps.length === 0 ? [join(assetsDir(), 'apps', 'thanos')] : []), ...o.apps];
  const manifests = (await Promise.all(sources.map(readManifests))).flat();
  const dflt = o.defaultNamespace ?? 'default';
  const clock = o.clock ?? systemClock;
  const report = await applyManifests(kube, manifests, { defaultNamespace: dflt, labels: labLabels, clock });
  const namespaces = report.namespaces.filter((n) => !SYSTEM_NAMESPACES.includes(n) || n === dflt);
  for (const ns of namespaces) {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: SENTINEL, namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'kdrill' } },
      data: { seededAt: clock.now().toISOString(), runId: 'seed' },
    };
    await applyManifests(kube, [{ file: 'seed', obj: cm }], { defaultNamespace: ns, labels: labLabels, clock });
  }
  await wait(
    clock,
    `the workloads of the app to be ready (${namespaces.join(', ')})`,
    async () => {
      for (const ns of report.namespaces) {
        for (const kind of ['Deployment', 'StatefulSet'])
          if (!(await kube.list({ apiVersion: 'apps/v1', kind }, { namespace: ns })).items.every(ready)) return false;
      }
      return true;
    },
    120_000,
  );
  return { report, namespaces };
}

/** The nightly Schedule of `namespaces` and `count` Completed backups taken from it, one second apart. */
export async function seedBackups(
  kube: KubeApi,
  o: { namespaces: string[]; veleroNamespace: string; ttl: string; count: number; clock?: Clock },
): Promise<string[]> {
  const clock = o.clock ?? systemClock;
  const ref = { apiVersion: 'velero.io/v1', kind: 'Schedule', namespace: o.veleroNamespace, name: SCHEDULE };
  const template = { includedNamespaces: o.namespaces, ttl: o.ttl, storageLocation: 'default' };
  let schedule = await kube.get(ref);
  if (schedule) schedule = await kube.patch(ref, { spec: { template } });
  else
    schedule = await kube.create({
      ...ref,
      metadata: { name: SCHEDULE, namespace: o.veleroNamespace, labels: labLabels },
      spec: { schedule: '0 2 * * *', template },
    });
  await wait(
    clock,
    'the BackupStorageLocation to be Available',
    async () =>
      (
        await kube.get({
          apiVersion: 'velero.io/v1',
          kind: 'BackupStorageLocation',
          namespace: o.veleroNamespace,
          name: 'default',
        })
      )?.status?.phase === 'Available',
    60_000,
  );
  const names: string[] = [];
  for (let i = 0; i < o.count; i++) {
    if (i > 0) await clock.sleep(1000); // names carry seconds: keep them apart
    const b = await backupFromSchedule(kube, schedule, clock.now());
    const name = b.metadata?.name ?? '';
    names.push(name);
    await wait(
      clock,
      `backup ${name} to complete`,
      async () => {
        const phase = (
          await kube.get({ apiVersion: 'velero.io/v1', kind: 'Backup', namespace: o.veleroNamespace, name })
        )?.status?.phase;
        if (phase === 'Failed' || phase === 'FailedValidation' || phase === 'PartiallyFailed')
          throw new Error(`seed backup ${name} ended ${phase}`);
        return phase === 'Completed';
      },
      60_000,
    );
  }
  return names;
}
