import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabApiServer } from '../../packages/lab/src/apiserver/server.js';
import { labKubeconfig } from '../../packages/lab/src/kubeconfig.js';
import { connectKube } from '../../src/kube/client-node.js';
import type { ListOptions, TypeRef } from '../../src/kube/kube-api.js';
import type { KubeObject } from '../../src/kube/types.js';
import {
  IGNORED_ANNOTATIONS,
  IGNORED_LABELS,
  diffInventory,
  fingerprint,
  snapshotInventory,
  type InventoryItem,
} from '../../src/verify/inventory.js';
import { FakeKube } from '../support/fakes/fake-kube.js';

const item = (name: string, o: KubeObject, kind = '/ConfigMap'): InventoryItem => ({
  kind,
  namespace: 'a',
  name,
  ...fingerprint(o, kind.split('/')[1]),
});
const same = (a: KubeObject, b: KubeObject, kind?: string): boolean =>
  diffInventory([item('x', a, kind)], [item('x', b, kind)]).changed.length === 0;

describe('inventory fingerprint', () => {
  it("ignores a ServiceAccount's token Secret list (random names, made by the cluster) but not the rest", () => {
    const sa = (secrets: string[], automount?: boolean): KubeObject => ({
      apiVersion: 'v1',
      metadata: { name: 'app' },
      secrets: secrets.map((name) => ({ name })),
      ...(automount === undefined ? {} : { automountServiceAccountToken: automount }),
    });
    expect(same(sa(['app-token-abcde']), sa(['app-token-vwxyz']), '/ServiceAccount')).toBe(true);
    expect(same(sa(['app-token-abcde']), sa(['app-token-abcde'], false), '/ServiceAccount')).toBe(false);
    // only for ServiceAccounts: elsewhere a field of that name is content
    expect(same({ secrets: ['a'] }, { secrets: ['b'] }, 'x/Widget')).toBe(false);
  });

  it('ignores server-assigned spec fields and counts the rest', () => {
    const svc = (ip: string, port: number): KubeObject => ({
      kind: 'Service',
      spec: { clusterIP: ip, clusterIPs: [ip], ports: [{ port }] },
    });
    expect(same(svc('10.0.0.1', 80), svc('10.0.0.9', 80), '/Service')).toBe(true);
    expect(same(svc('10.0.0.1', 80), svc('10.0.0.1', 81), '/Service')).toBe(false);
  });

  it('a nodePort the server assigned may change on restore (Velero clears it); one set on purpose may not', () => {
    const lb = (nodePort: number, lastApplied?: unknown): KubeObject => ({
      kind: 'Service',
      metadata: {
        name: 'ingress',
        ...(lastApplied
          ? { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(lastApplied) } }
          : {}),
      },
      spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, nodePort }] },
    });
    expect(same(lb(31001), lb(32555), '/Service')).toBe(true);
    const pinned = { spec: { ports: [{ name: 'http', port: 80, nodePort: 31001 }] } };
    expect(same(lb(31001, pinned), lb(32555, pinned), '/Service')).toBe(false);
    // only Services: a field of that name elsewhere is content
    expect(same(lb(31001), lb(32555), 'x/Widget')).toBe(false);
  });

  it('sees a lost label or annotation, and names it; Velero, kubectl and controller bookkeeping does not count', () => {
    const before: KubeObject = {
      metadata: {
        name: 'web',
        labels: { app: 'web', tier: 'front' },
        annotations: { team: 'shop', 'kubectl.kubernetes.io/last-applied-configuration': '{…}' },
      },
      spec: { selector: { app: 'web' } },
    };
    const restored: KubeObject = {
      metadata: {
        name: 'web',
        labels: { app: 'web', tier: 'front', 'velero.io/backup-name': 'b', 'velero.io/restore-name': 'r' },
        annotations: { team: 'shop' },
      },
      spec: { selector: { app: 'web' } },
    };
    expect(same(before, restored, '/Service')).toBe(true);
    const lostLabel = { ...restored, metadata: { ...restored.metadata, labels: { app: 'web' } } };
    expect(diffInventory([item('web', before, '/Service')], [item('web', lostLabel, '/Service')]).changed).toEqual([
      { key: '/Service a/web', what: ['label tier: "front" → absent'] },
    ]);
    const lostAnnotation = { ...restored, metadata: { ...restored.metadata, annotations: {} } };
    expect(
      diffInventory([item('web', before, '/Service')], [item('web', lostAnnotation, '/Service')]).changed[0]!.what,
    ).toEqual(['annotation team missing']);
    const changedSpec = { ...restored, spec: { selector: { app: 'other' } } };
    expect(
      diffInventory([item('web', before, '/Service')], [item('web', changedSpec, '/Service')]).changed[0]!.what,
    ).toEqual(['spec']);
    // the documented lists hold what the server, controllers and Velero write
    expect(IGNORED_LABELS).toEqual(
      expect.arrayContaining(['velero.io/restore-name', 'pod-template-hash', 'kubernetes.io/metadata.name']),
    );
    expect(IGNORED_ANNOTATIONS).toEqual(
      expect.arrayContaining(['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision']),
    );
  });

  it('diffs missing, extra and changed objects, and says which field changed', () => {
    const cm = (v: string): KubeObject => ({ metadata: {}, data: { k: v } });
    const d = diffInventory([item('x', cm('1')), item('y', cm('1'))], [item('y', cm('2')), item('z', cm('1'))]);
    expect(d).toEqual({
      missing: ['/ConfigMap a/x'],
      extra: ['/ConfigMap a/z'],
      changed: [{ key: '/ConfigMap a/y', what: ['data'] }],
    });
    // a Secret's data is only ever kept as a hash
    const secret = item(
      's',
      { metadata: {}, data: { password: Buffer.from('hunter2').toString('base64') } },
      '/Secret',
    );
    expect(JSON.stringify(secret)).not.toContain(Buffer.from('hunter2').toString('base64'));
  });

  it('keeps the hash it always had (sha256 of the stable JSON, 16 hex digits): saved baselines still compare', () => {
    expect(fingerprint({ metadata: {}, data: { k: '1' } }).fields).toEqual({ data: '6ff656377339fd3b' });
  });

  it('takes the inventory page by page from the API server, reducing each page as it arrives', async () => {
    const api = new LabApiServer();
    try {
      const dir = await mkdtemp(join(tmpdir(), 'kdrill-inv-'));
      await writeFile(join(dir, 'kc'), labKubeconfig(await api.listen(0)));
      const kube = connectKube({ kubeconfig: join(dir, 'kc') });
      await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'inv' } });
      const t = api.cluster.type('', 'v1', 'configmaps');
      for (let i = 0; i < 1234; i++)
        api.cluster.create(t, 'inv', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `c${i}` },
          data: { i: `${i}` },
        });
      const pages: number[] = [];
      const listEach = kube.listEach.bind(kube);
      kube.listEach = (type, opts, onPage) =>
        listEach(type, opts, (items, restart) => {
          if (type.kind === 'ConfigMap') pages.push(items.length);
          onPage(items, restart);
        });
      const inv = await snapshotInventory(kube, ['inv']);
      expect(pages).toEqual([500, 500, 234]);
      expect(inv).toHaveLength(1234);
      expect(new Set(inv.map((i) => i.name)).size).toBe(1234);
      expect(inv.map((i) => i.name).slice(0, 3)).toEqual(['c0', 'c1', 'c10']);
    } finally {
      await api.close();
    }
  });

  it('forgets what a list gave before the server made it start over', async () => {
    const kube = new FakeKube();
    kube.seed(
      ['a', 'b', 'c'].map((n) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: n, namespace: 'default' },
      })),
    );
    const listEach = kube.listEach.bind(kube);
    kube.listEach = (type: TypeRef, opts: ListOptions, onPage: (items: KubeObject[], restart: boolean) => void) =>
      listEach(type, opts, (items, restart) => {
        onPage(items.slice(0, 2), restart); // a first page, then the list expired and was read again whole
        onPage(items, true);
      });
    const names = (await snapshotInventory(kube, ['default']))
      .filter((i) => i.kind === '/ConfigMap')
      .map((i) => i.name);
    expect(names).toEqual(['a', 'b', 'c']);
  });
});
