import { join } from 'node:path';
import { assetsDir } from './core.js';
import type { KubeApi } from './core.js';
import type { KubeObject } from './core.js';
import { applyManifests, readManifests } from './apply.js';
import { backupFromSchedule } from './velero/controller.js';

export const SEED_NAMESPACE = 'thanos';
export const SCHEDULE = 'nightly';
export const SENTINEL = 'kdrill-sentinel';

const wait = async (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** NetworkPolicies that select every pod of the namespace, so a hardened cluster admits the app. */
function networkPolicies(ns: string): KubeObject[] {
  return [
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny-ingress', namespace: ns }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-same-namespace', namespace: ns },
      spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] },
    },
  ];
}

export interface SeedAppOptions {
  /** Manifest files or dirs; the Thanos example when empty. */
  apps: string[];
  withThanos: boolean;
  namespace?: string;
}

/** The application a drill targets, with its NetworkPolicies and sentinel data; waits until it runs. */
export async function seedApp(kube: KubeApi, o: SeedAppOptions): Promise<{ namespace: string; warnings: string[] }> {
  const ns = o.namespace ?? SEED_NAMESPACE;
  const warnings: string[] = [];
  if (!(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns }))) {
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'app.kubernetes.io/part-of': 'kdrill-lab' } } });
  }
  for (const np of networkPolicies(ns)) await applyManifests(kube, [{ file: 'seed', obj: np }], ns);
  const sources = [...(o.withThanos || o.apps.length === 0 ? [join(assetsDir(), 'apps', 'thanos')] : []), ...o.apps];
  for (const src of sources) {
    const { skipped } = await applyManifests(kube, await readManifests(src), ns);
    for (const s of skipped) warnings.push(`skipped ${s}`);
  }
  await applyManifests(kube, [{ file: 'seed', obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: SENTINEL, namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'kdrill' } }, data: { seededAt: new Date().toISOString(), runId: 'seed' } } }], ns);
  await wait(
    `the workloads in ${ns} to be ready`,
    async () => {
      const ok = async (kind: string, ready: (o: KubeObject) => boolean): Promise<boolean> => (await kube.list({ apiVersion: 'apps/v1', kind }, { namespace: ns })).items.every(ready);
      return (await ok('Deployment', (d) => (d.status?.readyReplicas ?? 0) >= (d.spec?.replicas ?? 1))) && (await ok('StatefulSet', (s) => (s.status?.readyReplicas ?? 0) >= (s.spec?.replicas ?? 1)));
    },
    120_000,
  );
  return { namespace: ns, warnings };
}

/** The nightly Schedule and `count` Completed backups taken from it, one second apart. */
export async function seedBackups(kube: KubeApi, o: { namespace: string; veleroNamespace: string; ttl: string; count: number }): Promise<string[]> {
  const ref = { apiVersion: 'velero.io/v1', kind: 'Schedule', namespace: o.veleroNamespace, name: SCHEDULE };
  let schedule = await kube.get(ref);
  schedule ??= await kube.create({
    ...ref,
    metadata: { name: SCHEDULE, namespace: o.veleroNamespace },
    spec: { schedule: '0 2 * * *', template: { includedNamespaces: [o.namespace], ttl: o.ttl, storageLocation: 'default' } },
  });
  await wait('the BackupStorageLocation to be Available', async () => (await kube.get({ apiVersion: 'velero.io/v1', kind: 'BackupStorageLocation', namespace: o.veleroNamespace, name: 'default' }))?.status?.phase === 'Available', 60_000);
  const names: string[] = [];
  for (let i = 0; i < o.count; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 1000)); // names carry seconds: keep them apart
    const b = await backupFromSchedule(kube, schedule, new Date());
    const name = b.metadata?.name ?? '';
    names.push(name);
    await wait(`backup ${name} to complete`, async () => {
      const phase = (await kube.get({ apiVersion: 'velero.io/v1', kind: 'Backup', namespace: o.veleroNamespace, name }))?.status?.phase;
      if (phase === 'Failed' || phase === 'FailedValidation' || phase === 'PartiallyFailed') throw new Error(`seed backup ${name} ended ${phase}`);
      return phase === 'Completed';
    }, 60_000);
  }
  return names;
}
