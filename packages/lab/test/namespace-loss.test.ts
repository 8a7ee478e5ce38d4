import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeApi } from '../../../src/kube/kube-api.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { eventually } from '../../../test/support/eventually.js';
import { startLab, type RunningLab } from '../src/lab.js';
import { SEED_NAMESPACE } from '../src/seed.js';

const V = (kind: string) => ({ apiVersion: 'velero.io/v1', kind });
const NETPOL = 'networkpolicies.networking.k8s.io';

/**
 * The lab's namespace-loss drill, in process: the seeded app's namespace deleted, restored in two phases
 * as the drill does. Velero restores Pods and ReplicaSets without owners (pkg/restore/restore.go
 * resetMetadata); the lab's controllers adopt them, so every workload ends with exactly its replicas.
 */
describe('a namespace-loss drill in the lab', () => {
  let lab: RunningLab;
  let kube: KubeApi;
  beforeAll(async () => {
    lab = await startLab({
      dir: await mkdtemp(join(tmpdir(), 'kdrill-nsloss-')),
      seed: { apps: [], withThanos: true, backups: 1 },
      startDelayMs: 50,
    });
    kube = lab.clusters[0]!.kube;
  }, 180_000);
  afterAll(() => lab?.stop());

  const list = async (apiVersion: string, kind: string): Promise<KubeObject[]> =>
    (await kube.list({ apiVersion, kind }, { namespace: SEED_NAMESPACE })).items.filter(
      (o) => !o.metadata?.deletionTimestamp,
    );
  const restore = async (name: string, spec: Record<string, unknown>): Promise<string> => {
    await kube.create({
      ...V('Restore'),
      metadata: { name, namespace: 'velero' },
      spec: {
        backupName: lab.backups[0],
        includedNamespaces: [SEED_NAMESPACE],
        existingResourcePolicy: 'none',
        ...spec,
      },
    });
    return eventually(
      async () => {
        const p = (await kube.get({ ...V('Restore'), namespace: 'velero', name }))?.status?.phase as string | undefined;
        return ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation'].includes(String(p)) ? p : undefined;
      },
      `restore ${name}`,
      60_000,
    );
  };

  it('ends with exactly the desired replicas of every workload: restored pods adopted, none doubled', async () => {
    const desired = async (): Promise<Map<string, number>> => {
      const m = new Map<string, number>();
      for (const kind of ['Deployment', 'StatefulSet'])
        for (const w of await list('apps/v1', kind))
          m.set(`${kind}/${w.metadata!.name}`, (w.spec?.replicas as number | undefined) ?? 1);
      return m;
    };
    const want = await desired();
    expect(want.size).toBeGreaterThan(3);
    const podsBefore = (await list('v1', 'Pod')).length;
    await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: SEED_NAMESPACE });
    await eventually(
      async () => !(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: SEED_NAMESPACE })),
      'the namespace to go',
      60_000,
    );
    expect(await restore('loss-1', { includedResources: [NETPOL] })).toBe('Completed');
    expect(await restore('loss-2', { excludedResources: [NETPOL] })).toBe('Completed');
    const ready = async (): Promise<boolean> => {
      for (const kind of ['Deployment', 'StatefulSet'])
        for (const w of await list('apps/v1', kind))
          if ((w.status?.readyReplicas ?? 0) < ((w.spec?.replicas as number | undefined) ?? 1)) return false;
      return true;
    };
    await eventually(ready, 'every workload to be ready again', 90_000, 200);
    expect(await desired()).toEqual(want);
    await new Promise((r) => setTimeout(r, 1000)); // room for a controller that would make more
    const pods = (await list('v1', 'Pod')).filter((p) => !['Succeeded', 'Failed'].includes(String(p.status?.phase)));
    expect(pods.length).toBe([...want.values()].reduce((a, b) => a + b, 0));
    expect(pods.length).toBe(podsBefore);
    // every pod has one controller, and it is one of the restored workloads' own
    const owners = new Set(
      [...(await list('apps/v1', 'ReplicaSet')), ...(await list('apps/v1', 'StatefulSet'))].map((o) => o.metadata!.uid),
    );
    for (const p of pods)
      expect(
        p.metadata?.ownerReferences?.filter((o) => o.controller && owners.has(o.uid)).length,
        p.metadata!.name,
      ).toBe(1);
  }, 180_000);
});
