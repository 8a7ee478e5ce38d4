import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectKube } from '../../src/kube/client-node.js';
import type { KubeApi } from '../../src/kube/kube-api.js';
import { compareInventory, snapshotInventory } from '../../src/verify/inventory.js';
import { eventually } from '../support/eventually.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
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

/** A run discovers once before it touches anything, and asks again after a restore that may bring CRDs. */
describe('discovery once per run, asked again when it may have changed', () => {
  let api: LabApiServer;
  let proxy: FaultProxy;
  let kube: KubeApi;
  // discovery documents: /api, /apis, /api/v1, /apis/<group>/<version>, nothing below them
  const discovery = (): string[] =>
    proxy.seen.filter((r) => /^GET \/(api|apis)(\/[^/?]+){0,2}$/.test(r) && !r.startsWith('GET /api/v1/'));

  beforeAll(async () => {
    api = new LabApiServer({});
    proxy = await startFaultProxy(await api.listen(0), {});
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-disc-'));
    await writeFile(join(dir, 'kubeconfig'), labKubeconfig(proxy.url, 'kdrill-lab'));
    kube = connectKube({ kubeconfig: join(dir, 'kubeconfig') });
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } });
    await kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'app' } });
  });
  afterAll(async () => {
    await proxy.stop();
    await api.close();
  });

  it('reuses one discovery for every read before the disaster, the kinds looked up included', async () => {
    await kube.resources();
    const first = discovery().length;
    expect(first).toBeGreaterThan(5); // /apis, v1 and each group's preferred version
    expect(discovery()).toContain('GET /apis/apps/v1');
    proxy.seen.length = 0;
    await kube.resources({ reuse: true });
    const inv = await snapshotInventory(kube, ['app'], undefined, { reuseDiscovery: true });
    expect(inv.map((i) => `${i.kind} ${i.name}`)).toEqual(['/ConfigMap c']);
    // a kind resolved for a read: its group-version was in that discovery, not asked for again
    expect(await kube.serves({ apiVersion: 'apps/v1', kind: 'Deployment' })).toBe(true);
    await kube.list({ apiVersion: 'apps/v1', kind: 'Deployment' }, { namespace: 'app' });
    expect(discovery()).toEqual([]);
    expect(proxy.seen.length).toBeGreaterThan(0); // the lists themselves went out
  });

  it('a kind a restore brought (a CRD and its objects) is seen by the inventory after it, never hidden by the reuse', async () => {
    const before = await snapshotInventory(kube, ['app'], undefined, { reuseDiscovery: true });
    await kube.create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    });
    await eventually(
      async () =>
        kube.create({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'app' } }),
      'the Widget CRD to be served',
      10_000,
    );
    // what the run's reads before the disaster saw: no such kind
    expect((await kube.resources({ reuse: true })).some((r) => r.kind === 'Widget')).toBe(false);
    // verify's comparison asks the server again, and finds the restored Widget
    const d = await compareInventory(kube, ['app'], before);
    expect(d.extra).toEqual(['example.com/Widget app/w']);
    expect((await kube.resources({ reuse: true })).some((r) => r.kind === 'Widget')).toBe(true);
  });
});
