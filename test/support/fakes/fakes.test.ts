import { describe, expect, it } from 'vitest';
import { isDrillError } from '../../../src/errors.js';
import { isKubeApiError, KubeApiError } from '../../../src/kube/errors.js';
import type { WatchEvent } from '../../../src/kube/kube-api.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { FakeClock } from './fake-clock.js';
import { FakeKube } from './fake-kube.js';
import { FakeObjectStore } from './fake-object-store.js';

const CM = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const NS = { apiVersion: 'v1', kind: 'Namespace' } as const;
const RESTORE = { apiVersion: 'velero.io/v1', kind: 'Restore' } as const;
const START = new Date('2026-12-01T00:00:00Z');
const names = (items: KubeObject[]): string[] => items.map((o) => o.metadata?.name ?? '');
const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

async function kubeWithNamespace(ns = 'app'): Promise<FakeKube> {
  const kube = new FakeKube({ clock: new FakeClock() });
  await kube.create({ ...NS, metadata: { name: ns } });
  return kube;
}

describe('FakeClock', () => {
  it('starts at 2026-12-01 and sleeps exactly as long as asked', async () => {
    const clock = new FakeClock();
    expect(clock.now().toISOString()).toBe('2026-12-01T00:00:00.000Z');
    await clock.sleep(90_000);
    await clock.sleep(5_000);
    expect((clock.now().getTime() - START.getTime()) / 1000).toBe(95);
    expect(clock.sleeps).toEqual([90_000, 5_000]);
    clock.advance(1000);
    clock.set(new Date('2027-01-01T00:00:00Z'));
    expect(clock.now().toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('rejects with the reason of a signal aborted before or during the sleep, moving no time', async () => {
    const clock = new FakeClock();
    const reason = new Error('stop');
    expect(await rejection(clock.sleep(1000, AbortSignal.abort(reason)))).toBe(reason);
    const ctl = new AbortController();
    const p = clock.sleep(1000, ctl.signal);
    ctl.abort(reason);
    expect(await rejection(p)).toBe(reason);
    expect(clock.now()).toEqual(START);
  });

  it('lets other async work run while it sleeps', async () => {
    const clock = new FakeClock();
    const order: string[] = [];
    const sleeper = clock.sleep(10).then(() => order.push('slept'));
    void Promise.resolve().then(() => order.push('other'));
    await sleeper;
    expect(order).toEqual(['other', 'slept']);
  });
});

describe('FakeKube', () => {
  it('creates with server-assigned metadata, reads back, and lists by namespace, label and field', async () => {
    const kube = await kubeWithNamespace();
    await kube.create({ ...NS, metadata: { name: 'other' } });
    const a = await kube.create({
      ...CM,
      metadata: { name: 'a', namespace: 'app', labels: { tier: 'x' } },
      data: { k: 'v' },
    });
    await kube.create({ ...CM, metadata: { name: 'b', namespace: 'app', labels: { tier: 'y' } } });
    await kube.create({ ...CM, metadata: { name: 'c', namespace: 'app' } });
    await kube.create({ ...CM, metadata: { name: 'd', namespace: 'other', labels: { tier: 'x' } } });

    expect(a.metadata).toMatchObject({ namespace: 'app', generation: 1, creationTimestamp: '2026-12-01T00:00:00Z' });
    expect(a.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    const b = await kube.get({ ...CM, namespace: 'app', name: 'b' });
    expect(Number(b?.metadata?.resourceVersion)).toBeGreaterThan(Number(a.metadata?.resourceVersion));
    expect((await kube.get({ ...CM, namespace: 'app', name: 'a' }))?.data).toEqual({ k: 'v' });
    expect(await kube.get({ ...CM, namespace: 'app', name: 'nope' })).toBeUndefined();

    const list = async (o: { namespace?: string; labelSelector?: string; fieldSelector?: string }): Promise<string[]> =>
      names((await kube.list(CM, o)).items);
    expect(await list({ namespace: 'app' })).toEqual(['a', 'b', 'c']);
    expect(await list({ labelSelector: 'tier=x' })).toEqual(['a', 'd']);
    expect(await list({ namespace: 'app', labelSelector: 'tier in (x,y)' })).toEqual(['a', 'b']);
    expect(await list({ namespace: 'app', labelSelector: '!tier' })).toEqual(['c']);
    expect(await list({ labelSelector: 'tier,tier!=y' })).toEqual(['a', 'd']);
    expect(await list({ fieldSelector: 'metadata.name=b' })).toEqual(['b']);
    expect(await list({ fieldSelector: 'metadata.namespace=other' })).toEqual(['d']);
    const all = await kube.list(CM);
    expect(all.items.every((o) => o.apiVersion === 'v1' && o.kind === 'ConfigMap')).toBe(true);
    expect(Number(all.resourceVersion)).toBeGreaterThanOrEqual(Number(all.items.at(-1)?.metadata?.resourceVersion));
    // a cluster-scoped kind ignores the namespace
    expect(names((await kube.list(NS, { namespace: 'app' })).items)).toContain('other');
  });

  it('answers a duplicate with 409 AlreadyExists, a missing namespace with 404, a stale update with 409 Conflict', async () => {
    const kube = await kubeWithNamespace();
    const v1 = await kube.create({ ...CM, metadata: { name: 'c', namespace: 'app' }, data: { n: '1' } });

    const dup = await rejection(kube.create({ ...CM, metadata: { name: 'c', namespace: 'app' } }));
    expect(dup).toBeInstanceOf(KubeApiError);
    expect(isKubeApiError(dup, 409) && dup.reason).toBe('AlreadyExists');
    expect((dup as Error).message).toBe('cannot create ConfigMap app/c: configmaps "c" already exists');

    const noNs = await rejection(kube.create({ ...CM, metadata: { name: 'x', namespace: 'missing' } }));
    expect(isKubeApiError(noNs, 404)).toBe(true);
    expect((noNs as Error).message).toContain('namespaces "missing" not found');

    await kube.replace({ ...v1, data: { n: '2' } });
    const stale = await rejection(kube.replace({ ...v1, data: { n: '3' } }));
    expect(isKubeApiError(stale, 409) && stale.reason).toBe('Conflict');
    expect((await kube.get({ ...CM, namespace: 'app', name: 'c' }))?.data).toEqual({ n: '2' });

    const missing = await rejection(kube.patch({ ...CM, namespace: 'app', name: 'gone' }, { data: {} }));
    expect(isKubeApiError(missing, 404) && missing.reason).toBe('NotFound');

    const unserved = await rejection(kube.get({ apiVersion: 'example.invalid/v1', kind: 'Nothing', name: 'x' }));
    expect(isKubeApiError(unserved, 404)).toBe(true);
    expect(unserved).toMatchObject({ code: 'KUBE_UNKNOWN_KIND', exitCode: 4 });
    expect(await kube.serves({ apiVersion: 'example.invalid/v1', kind: 'Nothing' })).toBe(false);
  });

  it('merge-patches with null deleting a key, json-patches, bumps generation on spec changes only', async () => {
    const kube = await kubeWithNamespace();
    const ref = { ...CM, namespace: 'app', name: 'p' };
    await kube.create({
      ...CM,
      metadata: { name: 'p', namespace: 'app', labels: { a: '1', b: '2' } },
      data: { k: 'v', drop: 'me' },
    });
    const merged = await kube.patch(
      ref,
      { metadata: { labels: { b: null, c: '3' } }, data: { drop: null, k2: 'v2' } },
      'merge',
    );
    expect(merged.metadata?.labels).toEqual({ a: '1', c: '3' });
    expect(merged.data).toEqual({ k: 'v', k2: 'v2' });
    expect(merged.metadata?.generation).toBe(2);
    const json = await kube.patch(
      ref,
      [
        { op: 'remove', path: '/data/k' },
        { op: 'add', path: '/data/k3', value: 'v3' },
        { op: 'replace', path: '/metadata/labels/a', value: 'x' },
      ],
      'json',
    );
    expect(json.data).toEqual({ k2: 'v2', k3: 'v3' });
    expect(json.metadata?.labels?.a).toBe('x');
    expect(isKubeApiError(await rejection(kube.patch(ref, [{ op: 'remove', path: '/data/none' }], 'json')), 422)).toBe(
      true,
    );

    const restore = await kube.create({
      ...RESTORE,
      metadata: { name: 'r', namespace: 'app' },
      spec: { backupName: 'b' },
    });
    const st = await kube.patchStatus({ ...RESTORE, namespace: 'app', name: 'r' }, { phase: 'InProgress' });
    expect(st.status).toEqual({ phase: 'InProgress' });
    expect(st.metadata?.generation).toBe(restore.metadata?.generation);
    expect(st.metadata?.uid).toBe(restore.metadata?.uid);
  });

  it('deletes a namespace with everything in it, honours finalizers and collects dependents', async () => {
    const kube = await kubeWithNamespace();
    await kube.create({ ...NS, metadata: { name: 'keep' } });
    await kube.create({ ...CM, metadata: { name: 'inside', namespace: 'app' } });
    await kube.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'app' },
      spec: { replicas: 1 },
    });
    await kube.create({ ...CM, metadata: { name: 'outside', namespace: 'keep' } });

    expect(await kube.delete({ ...NS, name: 'app' })).toBe(true);
    expect(await kube.get({ ...NS, name: 'app' })).toBeUndefined();
    expect((await kube.list(CM, { namespace: 'app' })).items).toEqual([]);
    expect(
      await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'app', name: 'web' }),
    ).toBeUndefined();
    expect(names((await kube.list(CM)).items)).toEqual(['outside']);
    expect(await kube.delete({ ...NS, name: 'app' })).toBe(false);

    // a finalizer holds its object, and so its namespace, until it is removed
    await kube.create({ ...CM, metadata: { name: 'held', namespace: 'keep', finalizers: ['example.com/hold'] } });
    await kube.delete({ ...NS, name: 'keep' });
    expect((await kube.get({ ...NS, name: 'keep' }))?.status?.phase).toBe('Terminating');
    expect(
      isKubeApiError(await rejection(kube.create({ ...CM, metadata: { name: 'late', namespace: 'keep' } })), 403),
    ).toBe(true);
    await kube.patch({ ...CM, namespace: 'keep', name: 'held' }, { metadata: { finalizers: null } });
    expect(await kube.get({ ...NS, name: 'keep' })).toBeUndefined();

    const k2 = await kubeWithNamespace();
    const owner = await k2.create({ ...CM, metadata: { name: 'owner', namespace: 'app' } });
    const ownerRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! };
    await k2.create({ ...CM, metadata: { name: 'dep', namespace: 'app', ownerReferences: [ownerRef] } });
    await k2.delete({ ...CM, namespace: 'app', name: 'owner' });
    expect(await k2.get({ ...CM, namespace: 'app', name: 'dep' })).toBeUndefined();
  });

  it('watches: ADDED for what exists (after onSync), then ADDED, MODIFIED, DELETED as objects change', async () => {
    const kube = await kubeWithNamespace();
    await kube.create({ ...CM, metadata: { name: 'old', namespace: 'app' } });
    const seen: string[] = [];
    let synced: string[] = [];
    const w = kube.watch(CM, {
      namespace: 'app',
      onSync: (items) => (synced = names(items)),
      onEvent: (e: WatchEvent) => seen.push(`${e.type} ${e.object.metadata?.name}`),
    });
    await w.ready;
    expect(synced).toEqual(['old']);
    expect(seen).toEqual(['ADDED old']);

    await kube.create({ ...CM, metadata: { name: 'w', namespace: 'app' } });
    await kube.create({ ...NS, metadata: { name: 'elsewhere' } });
    await kube.create({ ...CM, metadata: { name: 'x', namespace: 'elsewhere' } });
    await kube.patch({ ...CM, namespace: 'app', name: 'w' }, { data: { a: '1' } });
    await kube.delete({ ...CM, namespace: 'app', name: 'w' });
    await kube.idle();
    expect(seen).toEqual(['ADDED old', 'ADDED w', 'MODIFIED w', 'DELETED w']);
    expect(w.stats()).toEqual({ relists: 0, reconnects: 0 });

    w.stop();
    await kube.create({ ...CM, metadata: { name: 'after-stop', namespace: 'app' } });
    await kube.idle();
    expect(seen).toHaveLength(4);
  });

  it('watches by label: an object that stops matching is DELETED for that watch; a signal ends it', async () => {
    const kube = await kubeWithNamespace();
    const seen: string[] = [];
    const ctl = new AbortController();
    const w = kube.watch(CM, {
      labelSelector: 'app=web',
      signal: ctl.signal,
      onEvent: (e) => seen.push(`${e.type} ${e.object.metadata?.name}`),
    });
    await w.ready;
    await kube.create({ ...CM, metadata: { name: 'a', namespace: 'app', labels: { app: 'web' } } });
    await kube.patch({ ...CM, namespace: 'app', name: 'a' }, { metadata: { labels: { app: 'db' } } });
    await kube.idle();
    ctl.abort();
    await kube.create({ ...CM, metadata: { name: 'b', namespace: 'app', labels: { app: 'web' } } });
    await kube.idle();
    expect(seen).toEqual(['ADDED a', 'DELETED a']);
  });

  it('runs on() hooks after the write, never inside the caller’s await', async () => {
    const kube = await kubeWithNamespace();
    const events: string[] = [];
    kube.on('Restore', async (event, obj) => {
      events.push(`${event} ${obj.status?.phase ?? '-'}`);
      if (event === 'ADDED')
        await kube.patchStatus({ ...RESTORE, namespace: 'app', name: obj.metadata!.name! }, { phase: 'Completed' });
    });
    const created = await kube.create({
      ...RESTORE,
      metadata: { name: 'r1', namespace: 'app' },
      spec: { backupName: 'b' },
    });
    expect(events).toEqual([]);
    expect(created.status).toBeUndefined();
    await kube.idle();
    expect(events).toEqual(['ADDED -', 'MODIFIED Completed']);
    expect((await kube.get({ ...RESTORE, namespace: 'app', name: 'r1' }))?.status?.phase).toBe('Completed');
  });

  it('records every call in order, not seeds, and fails the next call on request', async () => {
    const kube = new FakeKube();
    kube.seed([{ ...CM, metadata: { name: 'seeded' } }]);
    expect(kube.calls).toEqual([]);
    expect(kube.peek({ ...CM, namespace: 'default', name: 'seeded' })?.metadata?.uid).toBeTruthy();

    const boom = new Error('boom');
    kube.failNext('delete', 'ConfigMap', boom);
    expect(await rejection(kube.delete({ ...CM, namespace: 'default', name: 'seeded' }))).toBe(boom);
    expect(await kube.delete({ ...CM, namespace: 'default', name: 'seeded' })).toBe(true);
    await kube.list(CM, { namespace: 'default' });
    expect(kube.calls).toEqual([
      { verb: 'delete', kind: 'ConfigMap', namespace: 'default', name: 'seeded' },
      { verb: 'delete', kind: 'ConfigMap', namespace: 'default', name: 'seeded' },
      { verb: 'list', kind: 'ConfigMap', namespace: 'default' },
    ]);
    expect(kube.calls.filter((c) => c.verb === 'delete' && c.kind === 'Namespace')).toEqual([]);
  });

  it('binds pods, probes services through onProxyGet, and starts serving a CRD once created', async () => {
    const kube = await kubeWithNamespace();
    await kube.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'app' },
      spec: { containers: [] },
    });
    await kube.bindPod('app', 'p', 'node-1');
    expect((await kube.get({ apiVersion: 'v1', kind: 'Pod', namespace: 'app', name: 'p' }))?.spec?.nodeName).toBe(
      'node-1',
    );
    expect(isKubeApiError(await rejection(kube.bindPod('app', 'p', 'node-2')), 409)).toBe(true);

    expect(await kube.proxyGet('app', 'web', 80, '/healthz')).toEqual({
      status: 503,
      body: 'no endpoints available for service "web"',
    });
    kube.onProxyGet = async (_ns, svc, port, path) => ({ status: 200, body: `${svc}:${port}${path}` });
    expect(await kube.proxyGet('app', 'web', 80, '/healthz')).toEqual({ status: 200, body: 'web:80/healthz' });

    const W = { apiVersion: 'example.dev/v1', kind: 'Widget' };
    expect(await kube.serves(W)).toBe(false);
    await kube.create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.dev' },
      spec: {
        group: 'example.dev',
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets' },
        versions: [{ name: 'v1', served: true, storage: true }],
      },
    });
    expect(await kube.serves(W)).toBe(true);
    expect((await kube.resources()).find((r) => r.kind === 'Widget')).toMatchObject({
      apiVersion: 'example.dev/v1',
      resource: 'widgets',
      namespaced: true,
    });
    expect(await kube.serverVersion()).toEqual({ gitVersion: 'v1.30.0', major: '1', minor: '30' });
  });
});

describe('FakeObjectStore', () => {
  const collect = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
    const out: T[] = [];
    for await (const x of it) out.push(x);
    return out;
  };

  it('keeps every version; a delete only adds a marker', async () => {
    const s = new FakeObjectStore();
    const v1 = await s.put('backups/b1/file', 'one');
    const v2 = await s.put('backups/b1/file', 'two');
    await s.put('backups/a0/file', 'a');
    await s.put('other/file', 'x');
    expect(v1.versionId).not.toBe(v2.versionId);
    expect((await s.get('backups/b1/file'))?.toString()).toBe('two');
    expect((await s.get('backups/b1/file', v1.versionId))?.toString()).toBe('one');
    expect((await collect(s.list('backups/'))).map((o) => o.key)).toEqual(['backups/a0/file', 'backups/b1/file']);

    await s.delete('backups/b1/file');
    expect(await s.get('backups/b1/file')).toBeUndefined();
    expect((await s.get('backups/b1/file', v2.versionId))?.toString()).toBe('two');
    expect((await collect(s.list('backups/'))).map((o) => o.key)).toEqual(['backups/a0/file']);
    const versions = await collect(s.listVersions('backups/b1/'));
    expect(versions.map((v) => [v.deleteMarker, v.isLatest])).toEqual([
      [true, true],
      [false, false],
      [false, false],
    ]);
    expect(versions[1]?.versionId).toBe(v2.versionId);
    expect(await s.presignGet('backups/a0/file', 600)).toBe('fake://fake/backups/a0/file');
  });

  it('refuses deletes under retention or a legal hold; GOVERNANCE yields to bypass, COMPLIANCE does not', async () => {
    let now = new Date('2026-12-01T00:00:00Z');
    const s = new FakeObjectStore({ now: () => now });
    const until = new Date('2026-12-02T00:00:00Z');
    const gov = await s.put('g', 'x', { retention: { mode: 'GOVERNANCE', until } });
    const comp = await s.put('c', 'x', { retention: { mode: 'COMPLIANCE', until } });
    const held = await s.put('h', 'x', { legalHold: true });
    expect(await s.lockOf('g', gov.versionId!)).toEqual({ mode: 'GOVERNANCE', retainUntil: until, legalHold: false });

    expect(await s.deleteVersion('g', gov.versionId!)).toBe('refused');
    expect(await s.deleteVersion('g', gov.versionId!, { bypassGovernance: true })).toBe('deleted');
    expect(await s.get('g', gov.versionId)).toBeUndefined();
    expect(await s.deleteVersion('c', comp.versionId!, { bypassGovernance: true })).toBe('refused');
    expect(await s.deleteVersion('h', held.versionId!, { bypassGovernance: true })).toBe('refused');

    now = new Date('2026-12-03T00:00:00Z');
    expect(await s.deleteVersion('c', comp.versionId!)).toBe('deleted');
    s.setLegalHold('h', held.versionId!, false);
    expect(await s.deleteVersion('h', held.versionId!)).toBe('deleted');
  });

  it('applies default retention to later puts and reports its protection', async () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const s = new FakeObjectStore({ now: () => now });
    const before = await s.put('a', 'x');
    await s.setDefaultRetention('GOVERNANCE', 7);
    const after = await s.put('b', 'x');
    expect((await s.lockOf('a', before.versionId!)).mode).toBeUndefined();
    expect(await s.lockOf('b', after.versionId!)).toEqual({
      mode: 'GOVERNANCE',
      retainUntil: new Date('2026-12-08T00:00:00Z'),
      legalHold: false,
    });
    expect(await s.protection()).toEqual({
      versioning: 'Enabled',
      objectLock: true,
      defaultRetention: { mode: 'GOVERNANCE', days: 7 },
    });

    const plain = new FakeObjectStore({ objectLock: false, versioning: false });
    expect(await plain.protection()).toEqual({ versioning: 'Off', objectLock: false, defaultRetention: undefined });
    expect(isDrillError(await rejection(plain.setDefaultRetention('GOVERNANCE', 1)))).toBe(true);
    const put = await plain.put('k', 'x');
    expect(put.versionId).toBeUndefined();
    await plain.delete('k');
    expect(await collect(plain.listVersions(''))).toEqual([]);
  });

  it('fails as unreachable (exit 4) when told to, and fails reads that failGet picks', async () => {
    const s = new FakeObjectStore({ bucket: 'drills' });
    await s.checkAccess();
    s.unreachable = true;
    expect(await rejection(s.checkAccess())).toMatchObject({ code: 'S3_UNREACHABLE', exitCode: 4 });
    s.unreachable = false;
    await s.put('ok', 'x');
    await s.put('bad', 'x');
    s.failGet = (key) => key === 'bad';
    expect((await s.get('ok'))?.toString()).toBe('x');
    const err = await rejection(s.get('bad'));
    expect(isDrillError(err)).toBe(true);
    expect((err as Error).message).toContain('bad');
    expect(s.calls.filter((c) => c.op === 'deleteVersion')).toEqual([]);
  });
});
