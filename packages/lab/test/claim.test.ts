import { mkdtemp, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabApiServer } from '../src/apiserver/server.js';
import { LEASE, claimCluster, otherHolder } from '../src/claim.js';
import { connectKube, type KubeApi } from '../src/core.js';
import { labKubeconfig } from '../src/kubeconfig.js';

const lease = (holder: string, renewed: Date) => ({
  apiVersion: LEASE.apiVersion,
  kind: LEASE.kind,
  metadata: { name: LEASE.name, namespace: LEASE.namespace },
  spec: { holderIdentity: holder, leaseDurationSeconds: 15, renewTime: renewed.toISOString() },
});

/** `lab down` of a lab that never held the cluster (it was refused) must not clean up the holder's objects. */
describe('who holds a real cluster', () => {
  let api: LabApiServer;
  let kube: KubeApi;
  beforeEach(async () => {
    api = new LabApiServer();
    const kc = join(await mkdtemp(join(tmpdir(), 'kdrill-claim-')), 'kubeconfig');
    await writeFile(kc, labKubeconfig(await api.listen(0)));
    kube = connectKube({ kubeconfig: kc });
  });
  afterEach(() => api.close());

  it('names another live lab, never this one, and nobody once the Lease is stale or its process is gone', async () => {
    const now = new Date('2026-12-01T10:00:00Z');
    expect(await otherHolder(kube, '/labs/b', now)).toBeUndefined(); // no Lease: nobody
    const holder = `${hostname()}:${process.pid}:/labs/a`;
    await kube.create(lease(holder, new Date(now.getTime() - 5_000)));
    expect(await otherHolder(kube, '/labs/b', now)).toBe(holder);
    expect(await otherHolder(kube, '/labs/a', now)).toBeUndefined(); // its own lab
    // 20 s without renewal: stale, it holds nothing
    expect(await otherHolder(kube, '/labs/b', new Date(now.getTime() + 15_000))).toBeUndefined();
    // a holder on this machine whose process is gone holds nothing either
    await kube.replace(lease(`${hostname()}:2147483646:/labs/a`, now));
    expect(await otherHolder(kube, '/labs/b', now)).toBeUndefined();
  });

  it('a second claim is refused while the first lab holds the cluster, and names how to stop it', async () => {
    const first = await claimCluster(kube, '/labs/a');
    try {
      await expect(claimCluster(kube, '/labs/b')).rejects.toThrow(
        /another kdrill lab .*kdrill lab down --dir \/labs\/a/,
      );
      expect(await otherHolder(kube, '/labs/b')).toMatch(/:\/labs\/a$/);
    } finally {
      await first.release();
    }
    expect(await otherHolder(kube, '/labs/b')).toBeUndefined();
  });
});
