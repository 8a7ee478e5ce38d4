import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AwsObjectStore } from '../../../src/backupstore/aws-object-store.js';
import type { KubeApi } from '../../../src/kube/kube-api.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { LabS3Server } from '../../../packages/lab/src/s3/server.js';
import { startVelero, type VeleroHandle } from '../../../packages/lab/src/velero/controller.js';
import { installVelero, prepareBucket } from '../../../packages/lab/src/velero/install.js';
import { backupKeys, restoreKeys } from '../../../packages/lab/src/velero/layout.js';
import { eventually } from '../../support/eventually.js';
import { HARDENED_LABEL, type KubeTarget } from './targets.js';

const V = (kind: string) => ({ apiVersion: 'velero.io/v1', kind });
const NETPOL = 'networkpolicies.networking.k8s.io';

function app(ns: string): KubeObject[] {
  const labels = (n: string) => ({ app: n });
  const tpl = (n: string) => ({
    metadata: { labels: labels(n) },
    spec: { containers: [{ name: n, image: `registry.invalid/${n}:1` }] },
  });
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', namespace: ns },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kdrill-sentinel', namespace: ns },
      data: { runId: 'proof-1' },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'query', namespace: ns },
      spec: { selector: labels('query'), ports: [{ port: 9090 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'query', namespace: ns },
      spec: { replicas: 2, selector: { matchLabels: labels('query') }, template: tpl('query') },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'store', namespace: ns },
      spec: {
        replicas: 1,
        serviceName: 'store',
        selector: { matchLabels: labels('store') },
        template: tpl('store'),
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      },
    },
  ];
}

const phaseOf = async (kube: KubeApi, kind: string, name: string): Promise<string | undefined> =>
  (await kube.get({ ...V(kind), namespace: 'velero', name }))?.status?.phase as string | undefined;

async function workloadsReady(kube: KubeApi, ns: string): Promise<boolean> {
  const d = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'query' });
  const s = await kube.get({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns, name: 'store' });
  return d?.status?.readyReplicas === 2 && s?.status?.readyReplicas === 1;
}

async function gone(kube: KubeApi, ns: string): Promise<void> {
  await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
  await eventually(
    async () => !(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })),
    `namespace ${ns} to be gone`,
    90_000,
    200,
  );
}

async function results(
  store: AwsObjectStore,
  restore: string,
): Promise<{ errors: { namespaces: Record<string, string[]> } }> {
  return JSON.parse(gunzipSync((await store.get(restoreKeys('', restore).results))!).toString()) as {
    errors: { namespaces: Record<string, string[]> };
  };
}

/**
 * Issue B's proof, on any Kubernetes target: a one-phase restore into a hardened namespace ends
 * PartiallyFailed with the refused workloads in its results; NetworkPolicies first, then the rest,
 * ends Completed with every workload Ready.
 */
export function veleroProofSuite(target: () => KubeTarget): void {
  let s3: LabS3Server;
  let velero: VeleroHandle;
  let store: AwsObjectStore;
  const ns = `proof-${Math.random().toString(36).slice(2, 7)}`;
  const credentials = { accessKeyId: 'PROOFKEY', secretAccessKey: 'proof-secret' };

  beforeAll(async () => {
    const kube = target().kube;
    s3 = new LabS3Server({ credentials });
    const settings = {
      endpoint: await s3.listen(0),
      region: 'us-east-1',
      bucket: `velero-${ns}`,
      prefix: '',
      forcePathStyle: true,
      credentials,
    };
    store = new AwsObjectStore(settings);
    await prepareBucket(store, { objectLock: true, retentionDays: 31 });
    await installVelero(kube, { namespace: 'velero', bsl: 'default', settings, ttl: '720h' });
    // another run against the same cluster may have left a BSL pointing elsewhere
    await kube.patch(
      { ...V('BackupStorageLocation'), namespace: 'velero', name: 'default' },
      {
        spec: {
          objectStorage: { bucket: settings.bucket },
          config: { s3Url: settings.endpoint, region: 'us-east-1', s3ForcePathStyle: 'true' },
        },
      },
    );
    velero = await startVelero(kube, { validationMs: 300, syncMs: 1000, gate: 'none' });
    await eventually(
      async () => (await phaseOf(kube, 'BackupStorageLocation', 'default')) === 'Available',
      'the BSL to be Available',
      30_000,
      100,
    );
  });
  afterAll(async () => {
    await velero?.stop();
    await s3?.close();
  });

  it("backs up a hardened namespace into Velero's layout, under Object Lock", async () => {
    const kube = target().kube;
    await kube.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { [HARDENED_LABEL]: 'true', team: 'observability' } },
    });
    for (const o of app(ns)) await kube.create(o);
    await eventually(() => workloadsReady(kube, ns), 'the app to be ready', 60_000, 200);
    await kube.create({
      ...V('Backup'),
      metadata: { name: `${ns}-b1`, namespace: 'velero' },
      spec: { includedNamespaces: [ns], ttl: '720h0m0s' },
    });
    await eventually(
      async () => (await phaseOf(kube, 'Backup', `${ns}-b1`)) === 'Completed',
      'the backup to complete',
      30_000,
      100,
    );
    const b = await kube.get({ ...V('Backup'), namespace: 'velero', name: `${ns}-b1` });
    expect(b?.metadata?.labels?.['velero.io/storage-location']).toBe('default');
    expect(Date.parse(b?.status?.expiration) - Date.parse(b?.status?.startTimestamp)).toBe(720 * 3600_000);
    const keys = backupKeys('', `${ns}-b1`);
    for (const k of Object.values(keys)) expect(await store.get(k), k).toBeDefined();
    const list = JSON.parse(gunzipSync((await store.get(keys.resourceList))!).toString()) as Record<string, string[]>;
    expect(list['apps/v1/Deployment']).toEqual([`${ns}/query`]);
    expect(list['networking.k8s.io/v1/NetworkPolicy']).toEqual([`${ns}/default-deny`]);
    expect(list['v1/Namespace']).toEqual([ns]);
    // velero-backup.json was written twice (Finalizing, then Completed): two locked versions
    const versions = [];
    for await (const v of store.listVersions(keys.metadata)) versions.push(v);
    expect(versions).toHaveLength(2);
    expect((await store.lockOf(keys.metadata, versions[0]!.versionId)).mode).toBe('GOVERNANCE');
  });

  it('a one-phase restore into the hardened namespace ends PartiallyFailed, listing the refused workloads', async () => {
    const kube = target().kube;
    await gone(kube, ns);
    await kube.create({
      ...V('Restore'),
      metadata: { name: `${ns}-one`, namespace: 'velero' },
      spec: { backupName: `${ns}-b1`, includedNamespaces: [ns] },
    });
    await eventually(
      async () =>
        ['PartiallyFailed', 'Completed', 'Failed'].includes(String(await phaseOf(kube, 'Restore', `${ns}-one`))),
      'the restore to end',
      30_000,
      100,
    );
    expect(await phaseOf(kube, 'Restore', `${ns}-one`)).toBe('PartiallyFailed');
    const errs = (await results(store, `${ns}-one`)).errors.namespaces[ns] ?? [];
    expect(errs.some((e) => e.includes(`deployments.apps/${ns}/query`) && e.includes('require-networkpolicy'))).toBe(
      true,
    );
    expect(errs.some((e) => e.includes(`statefulsets.apps/${ns}/store`))).toBe(false); // after NetworkPolicies in Velero's order: admitted
    const ns0 = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    expect(ns0?.metadata?.labels?.team).toBe('observability'); // the namespace came back with its labels
    // created by Velero's namespace path, which adds no restore labels (pkg/restore/restore.go)
    expect(ns0?.metadata?.labels?.['velero.io/restore-name']).toBeUndefined();
  });

  it('NetworkPolicies first, then the rest: both Completed, every workload Ready', async () => {
    const kube = target().kube;
    await gone(kube, ns);
    await kube.create({
      ...V('Restore'),
      metadata: { name: `${ns}-p1`, namespace: 'velero' },
      spec: { backupName: `${ns}-b1`, includedNamespaces: [ns], includedResources: [NETPOL] },
    });
    await eventually(
      async () => (await phaseOf(kube, 'Restore', `${ns}-p1`)) === 'Completed',
      'phase 1 to complete',
      30_000,
      100,
    );
    await kube.create({
      ...V('Restore'),
      metadata: { name: `${ns}-p2`, namespace: 'velero' },
      spec: { backupName: `${ns}-b1`, includedNamespaces: [ns], excludedResources: [NETPOL] },
    });
    await eventually(
      async () =>
        ['Completed', 'PartiallyFailed', 'Failed'].includes(String(await phaseOf(kube, 'Restore', `${ns}-p2`))),
      'phase 2 to end',
      30_000,
      100,
    );
    expect(await phaseOf(kube, 'Restore', `${ns}-p2`)).toBe('Completed');
    expect((await results(store, `${ns}-p2`)).errors.namespaces).toEqual({});
    await eventually(() => workloadsReady(kube, ns), 'every workload to be Ready again', 90_000, 200);
    const cm = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'kdrill-sentinel' });
    expect((cm?.data as Record<string, string> | undefined)?.runId).toBe('proof-1');
    expect(cm?.metadata?.labels?.['velero.io/backup-name']).toBe(`${ns}-b1`);
    const pvc = await kube.get({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      namespace: ns,
      name: 'data-store-0',
    });
    expect(pvc?.status?.phase).toBe('Bound');
  });

  it('a restore of a missing backup fails validation; a corrupt tarball fails with a reason, nothing crashes', async () => {
    const kube = target().kube;
    await kube.create({
      ...V('Restore'),
      metadata: { name: `${ns}-nob`, namespace: 'velero' },
      spec: { backupName: 'no-such-backup' },
    });
    await eventually(
      async () => (await phaseOf(kube, 'Restore', `${ns}-nob`)) === 'FailedValidation',
      'validation to fail',
      30_000,
      100,
    );
    const r = await kube.get({ ...V('Restore'), namespace: 'velero', name: `${ns}-nob` });
    expect(r?.status?.validationErrors?.[0]).toMatch(/no-such-backup/);
    // a corrupt tarball: overwrite it with garbage (a new version: the locked original stays in the bucket)
    await store.put(backupKeys('', `${ns}-b1`).tarball, 'not a tarball');
    await kube.create({
      ...V('Restore'),
      metadata: { name: `${ns}-bad`, namespace: 'velero' },
      spec: { backupName: `${ns}-b1`, includedNamespaces: ['nothing-here'] },
    });
    await eventually(
      async () => (await phaseOf(kube, 'Restore', `${ns}-bad`)) === 'Failed',
      'the restore to fail',
      30_000,
      100,
    );
    expect(
      (await kube.get({ ...V('Restore'), namespace: 'velero', name: `${ns}-bad` }))?.status?.failureReason,
    ).toMatch(/not a gzip file/);
    expect(velero.errors().filter((e) => !e.startsWith('validate'))).toEqual([]);
  });
}
