import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.js';
import {
  IGNORED_ANNOTATIONS,
  IGNORED_LABELS,
  diffInventory,
  fingerprint,
  type InventoryItem,
} from '../../src/verify/inventory.js';

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
});
