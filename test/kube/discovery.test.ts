import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectKube } from '../../src/kube/client-node.js';
import type { KubeApi } from '../../src/kube/kube-api.js';
import { snapshotInventory } from '../../src/verify/inventory.js';
import { LabApiServer } from '../../packages/lab/src/apiserver/server.js';
import { labKubeconfig } from '../../packages/lab/src/kubeconfig.js';

/** An aggregated API whose Service is absent (metrics-server down): discovery must go on without it, as kubectl does. */
describe('discovery with a broken aggregated API', () => {
  let api: LabApiServer;
  let kube: KubeApi;
  const warnings: string[] = [];

  beforeAll(async () => {
    api = new LabApiServer({});
    const server = await api.listen(0);
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-disc-'));
    await writeFile(join(dir, 'kubeconfig'), labKubeconfig(server, 'kdrill-lab'));
    kube = connectKube({ kubeconfig: join(dir, 'kubeconfig'), onWarning: (m) => warnings.push(m) });
    await kube.create({
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1beta1.metrics.k8s.io' },
      spec: {
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        service: { namespace: 'kube-system', name: 'metrics-server' },
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    });
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } });
    await kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'app' },
      data: { a: '1' },
    });
  });
  afterAll(async () => {
    await api.close();
  });

  it('the API server answers 503 for the group, as a real one does', async () => {
    const r = await fetch(`${kube.server}/apis/metrics.k8s.io/v1beta1`);
    expect(r.status).toBe(503);
    const groups = (await (await fetch(`${kube.server}/apis`)).json()) as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name)).toContain('metrics.k8s.io');
  });

  it('skips the group with one warning, and everything else is discovered and inventoried', async () => {
    const served = await kube.resources();
    expect(served.some((r) => r.group === 'metrics.k8s.io')).toBe(false);
    expect(served.some((r) => r.kind === 'ConfigMap')).toBe(true);
    await kube.resources();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toBe(
      "couldn't get the resource list for metrics.k8s.io/v1beta1 (HTTP 503: the server is currently unable to handle the request); kdrill goes on without it, as kubectl does",
    );
    expect(kube.discoveryWarnings?.()).toEqual(warnings);
    const inv = await snapshotInventory(kube, ['app']);
    expect(inv.map((i) => `${i.kind} ${i.name}`)).toEqual(['/ConfigMap c']);
  });
});
