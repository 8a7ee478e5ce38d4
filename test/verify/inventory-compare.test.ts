import { describe, expect, it } from 'vitest';
import type { ListOptions, TypeRef } from '../../src/kube/kube-api.js';
import type { KubeObject } from '../../src/kube/types.js';
import { compareInventory, diffInventory, snapshotInventory } from '../../src/verify/inventory.js';
import { FakeKube } from '../support/fakes/fake-kube.js';

const cm = (name: string, data: Record<string, string>, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'app', ...(labels ? { labels } : {}) },
  data,
});
const svc = (name: string, port: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'app' },
  spec: { ports: [{ port }] },
});

/** The fake, listing in pages of two, and once per kind starting again from the first page half-way (410). */
class PagedKube extends FakeKube {
  async listEach(
    type: TypeRef,
    opts: ListOptions,
    onPage: (items: KubeObject[], restart: boolean) => void,
  ): Promise<string> {
    const r = await this.list(type, opts);
    const pages = Array.from({ length: Math.ceil(r.items.length / 2) }, (_, i) => r.items.slice(i * 2, i * 2 + 2));
    pages.slice(0, 2).forEach((p, i) => onPage(p, i === 0));
    pages.forEach((p, i) => onPage(p, i === 0)); // the restart: every page again
    return r.resourceVersion;
  }
}

describe('the verify inventory, compared as it is listed', () => {
  it('gives what a whole second snapshot and diffInventory give, across pages and a restarted list', async () => {
    const before = new PagedKube();
    before.seed([
      cm('a', { k: '1' }),
      cm('b', { k: '2' }, { app: 'x' }),
      cm('c', { k: '3' }),
      cm('d', { k: '4' }),
      cm('e', { k: '5' }),
      cm('skipped', { k: '6' }),
      svc('web', 80),
      svc('api', 81),
    ]);
    const expected = await snapshotInventory(before, ['app']);
    const after = new PagedKube();
    after.seed([
      cm('a', { k: '1' }),
      cm('b', { k: '2' }, { app: 'y' }), // a label changed
      cm('c', { k: 'other' }), // data changed
      cm('e', { k: '5' }),
      cm('new', { k: '7' }), // extra
      cm('skipped', { k: 'changed, but ignored' }),
      svc('web', 8080), // spec changed
    ]); // d and api missing
    const ignore = ['ConfigMap/skipped'];
    const streamed = await compareInventory(after, ['app'], expected, ignore);
    expect(streamed).toEqual(diffInventory(expected, await snapshotInventory(after, ['app']), ignore));
    expect(streamed.missing).toEqual(['/ConfigMap app/d', '/Service app/api']);
    expect(streamed.extra).toEqual(['/ConfigMap app/new']);
    expect(streamed.changed.map((c) => c.key)).toEqual(['/ConfigMap app/b', '/ConfigMap app/c', '/Service app/web']);
  });

  it('reports every object missing when the namespace is empty, and nothing when all is back', async () => {
    const kube = new PagedKube();
    kube.seed([cm('a', { k: '1' }), cm('b', { k: '2' }), cm('c', { k: '3' })]);
    const expected = await snapshotInventory(kube, ['app']);
    expect(await compareInventory(kube, ['app'], expected)).toEqual({ missing: [], extra: [], changed: [] });
    expect((await compareInventory(new PagedKube(), ['app'], expected)).missing).toHaveLength(3);
  });
});
