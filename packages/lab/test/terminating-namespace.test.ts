import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyManifests } from '../src/apply.js';
import { LabApiServer } from '../src/apiserver/server.js';
import { connectKube, systemClock, type KubeApi } from '../src/core.js';
import { labKubeconfig } from '../src/kubeconfig.js';
import { untilNotTerminating } from '../src/namespace-ready.js';

const NS = { apiVersion: 'v1', kind: 'Namespace', name: 'shop' };
const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'shop' }, data: { a: '1' } };

/**
 * A lab brought up right after another one went down (or after a drill deleted the app's namespace) finds
 * its namespace still Terminating; the API server refuses content there until it is gone (NamespaceLifecycle).
 */
describe('a namespace that is still Terminating', () => {
  let api: LabApiServer;
  let kube: KubeApi;
  beforeEach(async () => {
    api = new LabApiServer({ namespaceFinalizeDelayMs: 600 });
    const kc = join(await mkdtemp(join(tmpdir(), 'kdrill-term-')), 'kubeconfig');
    await writeFile(kc, labKubeconfig(await api.listen(0)));
    kube = connectKube({ kubeconfig: kc });
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  });
  afterEach(() => api.close());

  it('is waited out before the app is applied into it, so nothing is refused', async () => {
    await kube.delete(NS);
    await expect(kube.create(cm)).rejects.toThrow(/being terminated/);
    const report = await applyManifests(kube, [{ file: 'app.yaml', obj: cm }], { defaultNamespace: 'shop' });
    expect(report.applied).toEqual({ 'v1 ConfigMap': 1 });
    const ns = await kube.get(NS);
    expect(ns?.metadata?.deletionTimestamp).toBeUndefined();
    expect(
      (await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'settings' }))?.data,
    ).toEqual({
      a: '1',
    });
  });

  it('fails with a plain finding when it never goes, and returns at once when it is active', async () => {
    await untilNotTerminating(kube, 'shop', systemClock, 50); // active: no wait, no error
    // someone else's finalizer holds it for good
    await kube.patch(NS, { metadata: { finalizers: ['example.com/hold'] } }, 'merge');
    await kube.delete(NS);
    const err = await untilNotTerminating(kube, 'shop', systemClock, 1500).catch((e: unknown) => e);
    expect((err as { code: string }).code).toBe('NAMESPACE_TERMINATING');
    expect((err as Error).message).toBe('namespace shop is still Terminating after 2s');
  });
});
