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

  it('agrees with diffInventory on an expected list in any order, with duplicates (the last wins) and two namespaces', async () => {
    const other = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, namespace: 'db' } });
    const before = new PagedKube();
    before.seed([
      cm('a', { k: '1' }),
      cm('b', { k: '2' }),
      cm('c', { k: '3' }),
      other(cm('a', { k: '1' })),
      svc('web', 80),
    ]);
    const snap = await snapshotInventory(before, ['app', 'db']);
    const by = (k: string) => snap.find((i) => `${i.kind} ${i.namespace}/${i.name}` === k)!;
    const staleB = { ...by('/ConfigMap app/b'), fields: { data: 'an older hash' } };
    // out of order; b twice, the stale copy first; the db namespace's a among app's
    const expected = [
      by('/Service app/web'),
      staleB,
      by('/ConfigMap db/a'),
      by('/ConfigMap app/c'),
      by('/ConfigMap app/a'),
      by('/ConfigMap app/b'),
    ];
    const after = new PagedKube();
    after.seed([cm('b', { k: '2' }), cm('c', { k: 'new' }), other(cm('x', { k: '9' })), svc('web', 80)]);
    const streamed = await compareInventory(after, ['app', 'db'], expected);
    expect(streamed).toEqual(diffInventory(expected, await snapshotInventory(after, ['app', 'db'])));
    expect(streamed.missing).toEqual(['/ConfigMap db/a', '/ConfigMap app/a']);
    expect(streamed.changed.map((c) => c.key)).toEqual(['/ConfigMap app/c']); // b's last copy is what came back
    expect(streamed.extra).toEqual(['/ConfigMap db/x']);
  });

  it('finds an object missing that was listed before the server restarted the list, and gone after it', async () => {
    const before = new FakeKube();
    before.seed([cm('a', { k: '1' }), cm('b', { k: '2' }), cm('c', { k: '3' }), cm('d', { k: '4' })]);
    const expected = await snapshotInventory(before, ['app']);
    // pages of two: a and b are handed over, then a 410, and the list from the start no longer has b
    class Restarted extends FakeKube {
      async listEach(type: TypeRef, opts: ListOptions, onPage: (items: KubeObject[], restart: boolean) => void) {
        const r = await this.list(type, opts);
        if (type.kind === 'ConfigMap') onPage([cm('a', { k: '1' }), cm('b', { k: '2' })], true);
        onPage(r.items, true);
        return r.resourceVersion;
      }
    }
    const after = new Restarted();
    after.seed([cm('a', { k: '1' }), cm('c', { k: '3' }), cm('d', { k: '4' })]);
    const d = await compareInventory(after, ['app'], expected);
    expect(d.missing).toEqual(['/ConfigMap app/b']);
    expect(d).toEqual(diffInventory(expected, await snapshotInventory(after, ['app'])));
  });

  it('counts each object once when a namespace is named twice', async () => {
    const kube = new PagedKube();
    kube.seed([cm('a', { k: '1' }), cm('b', { k: '2' })]);
    const expected = await snapshotInventory(kube, ['app', 'app']);
    expect(expected.map((i) => i.name)).toEqual(['a', 'b']);
    const after = new PagedKube();
    after.seed([cm('a', { k: 'changed' }), cm('new', { k: '3' })]);
    const d = await compareInventory(after, ['app', 'app'], expected);
    expect(d).toEqual({
      missing: ['/ConfigMap app/b'],
      extra: ['/ConfigMap app/new'],
      changed: [{ key: '/ConfigMap app/a', what: ['data'] }],
    });
  });

  it('reports every object missing when the namespace is empty, and nothing when all is back', async () => {
    const kube = new PagedKube();
    kube.seed([cm('a', { k: '1' }), cm('b', { k: '2' }), cm('c', { k: '3' })]);
    const expected = await snapshotInventory(kube, ['app']);
    expect(await compareInventory(kube, ['app'], expected)).toEqual({ missing: [], extra: [], changed: [] });
    expect((await compareInventory(new PagedKube(), ['app'], expected)).missing).toHaveLength(3);
  });
});

describe('an inventory keeps each distinct label set once', () => {
  it('shares the record of equal labels and annotations, keeps different ones apart, and diffs as before', async () => {
    const kube = new PagedKube();
    const many = Array.from({ length: 6 }, (_, i) =>
      cm(`c${i}`, { k: String(i) }, { app: 'web', shard: String(i % 2) }),
    );
    kube.seed([...many, cm('odd', { k: 'x' }, { app: 'db' })]);
    const inv = await snapshotInventory(kube, ['app']);
    const labelsOf = (n: string) => inv.find((i) => i.name === n)!.labels;
    expect(labelsOf('c0')).toBe(labelsOf('c2')); // one record for equal sets
    expect(labelsOf('c0')).not.toBe(labelsOf('c1'));
    expect(labelsOf('c1')).toEqual({ app: 'web', shard: '1' });
    expect(labelsOf('odd')).toEqual({ app: 'db' });
    expect(Object.isFrozen(labelsOf('c0'))).toBe(true);
    // a shared record changes nothing in what a diff finds
    const after = new PagedKube();
    after.seed([
      ...many.slice(1),
      cm('c0', { k: '0' }, { app: 'web', shard: '1' }),
      cm('odd', { k: 'x' }, { app: 'db' }),
    ]);
    const d = await compareInventory(after, ['app'], inv);
    expect(d.changed).toEqual([{ key: '/ConfigMap app/c0', what: ['label shard: "0" → "1"'] }]);
  });
});
