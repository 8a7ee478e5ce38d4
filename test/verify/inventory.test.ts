import { describe, expect, it } from 'vitest';
import { diffInventory, specHash } from '../../src/verify/inventory.js';

describe('inventory spec hash', () => {
  it("ignores a ServiceAccount's token Secret list (random names, made by the cluster) but not the rest", () => {
    const sa = (secrets: string[], automount?: boolean) => ({ apiVersion: 'v1', metadata: { name: 'app' }, secrets: secrets.map((name) => ({ name })), ...(automount === undefined ? {} : { automountServiceAccountToken: automount }) });
    expect(specHash(sa(['app-token-abcde']), 'ServiceAccount')).toBe(specHash(sa(['app-token-vwxyz']), 'ServiceAccount'));
    expect(specHash(sa(['app-token-abcde']), 'ServiceAccount')).not.toBe(specHash(sa(['app-token-abcde'], false), 'ServiceAccount'));
    // only for ServiceAccounts: elsewhere a field of that name is content
    expect(specHash({ secrets: ['a'] }, 'Widget')).not.toBe(specHash({ secrets: ['b'] }, 'Widget'));
  });
  it('ignores server-assigned spec fields and counts the rest', () => {
    const svc = (ip: string, port: number) => ({ kind: 'Service', spec: { clusterIP: ip, clusterIPs: [ip], ports: [{ port }] } });
    expect(specHash(svc('10.0.0.1', 80))).toBe(specHash(svc('10.0.0.9', 80)));
    expect(specHash(svc('10.0.0.1', 80))).not.toBe(specHash(svc('10.0.0.1', 81)));
  });
  it('diffs missing, extra and changed objects', () => {
    const i = (name: string, h: string) => ({ kind: '/ConfigMap', namespace: 'a', name, specHash: h });
    expect(diffInventory([i('x', '1'), i('y', '1')], [i('y', '2'), i('z', '1')])).toEqual({ missing: ['/ConfigMap a/x'], extra: ['/ConfigMap a/z'], changed: ['/ConfigMap a/y'] });
  });
});
