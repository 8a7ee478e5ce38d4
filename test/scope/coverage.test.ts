import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.js';
import type { ScopeInput } from '../../src/scope/cluster.js';
import { scopeReport } from '../../src/scope/coverage.js';
import { impliedRpo } from '../../src/scope/filters.js';
import { scopeMarkdown } from '../../src/scope/render.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const schedule = (name: string, template: Record<string, unknown>, cron = '0 2 * * *', paused = false): KubeObject => ({
  apiVersion: 'velero.io/v1',
  kind: 'Schedule',
  metadata: { name, namespace: 'velero' },
  spec: { schedule: cron, template, ...(paused ? { paused } : {}) },
});
const backup = (name: string, schedule: string, hoursAgo: number, phase = 'Completed'): KubeObject => ({
  apiVersion: 'velero.io/v1',
  kind: 'Backup',
  metadata: { name, namespace: 'velero', labels: { 'velero.io/schedule-name': schedule } },
  status: { phase, startTimestamp: new Date(NOW.getTime() - hoursAgo * 3600_000).toISOString() },
});
const pvc = (
  namespace: string,
  name: string,
  storageClassName = 'standard',
  labels: Record<string, string> = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace, labels },
  spec: { storageClassName, volumeName: `pv-${name}` },
});
const pod = (namespace: string, name: string, claim: string, annotations: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, annotations },
  spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }] },
  status: { phase: 'Running' },
});

function input(o: Partial<ScopeInput>): ScopeInput {
  return {
    context: 'test',
    veleroNamespace: 'velero',
    now: NOW,
    schedules: [],
    backups: [],
    namespaces: [],
    pvcs: [],
    pods: [],
    nonEmpty: [],
    storageClasses: [],
    snapshotClasses: [],
    snapshotLocations: [],
    pvs: [],
    velero: { args: [], version: [1, 14], nodeAgent: true },
    ...o,
  };
}

describe('kdrill scope: backup coverage', () => {
  it('the RPO a cron implies is its longest gap', () => {
    expect(impliedRpo('0 2 * * *', NOW)).toBe(86400);
    expect(impliedRpo('0 */6 * * *', NOW)).toBe(6 * 3600);
    expect(impliedRpo('0 2 * * 1-5', NOW)).toBe(3 * 86400); // Friday to Monday
  });

  it('per namespace: its Schedules, their RPO, the newest Completed backup and how each PVC is covered', () => {
    const r = scopeReport(
      input({
        namespaces: [ns('shop'), ns('db'), ns('cache'), ns('kube-system'), ns('velero')],
        nonEmpty: ['shop', 'db', 'cache', 'kube-system'],
        schedules: [
          schedule('nightly', { includedNamespaces: ['shop', 'db'] }),
          schedule('hourly', { includedNamespaces: ['db'], defaultVolumesToFsBackup: true }, '0 * * * *'),
        ],
        backups: [
          backup('nightly-1', 'nightly', 10),
          backup('nightly-2', 'nightly', 34),
          backup('hourly-1', 'hourly', 0.5, 'PartiallyFailed'),
          backup('hourly-0', 'hourly', 1.5),
        ],
        pvcs: [pvc('shop', 'uploads'), pvc('shop', 'snap', 'csi-fast'), pvc('db', 'pg')],
        pods: [pod('shop', 'web-1', 'uploads', { 'backup.velero.io/backup-volumes': 'data' }), pod('db', 'pg-0', 'pg')],
        storageClasses: [
          {
            apiVersion: 'storage.k8s.io/v1',
            kind: 'StorageClass',
            metadata: { name: 'csi-fast' },
            provisioner: 'ebs.csi.aws.com',
          },
        ],
        snapshotClasses: [
          {
            apiVersion: 'snapshot.storage.k8s.io/v1',
            kind: 'VolumeSnapshotClass',
            metadata: { name: 'ebs', labels: { 'velero.io/csi-volumesnapshot-class': 'true' } },
            driver: 'ebs.csi.aws.com',
          },
        ],
      }),
    );
    expect(r.namespaces.map((n) => n.namespace)).toEqual(['cache', 'db', 'shop']);
    const db = r.namespaces.find((n) => n.namespace === 'db')!;
    expect(db.schedules.map((s) => s.name)).toEqual(['nightly', 'hourly']);
    expect(db.rpoSeconds).toBe(3600);
    expect(db.newestBackup).toMatchObject({ name: 'hourly-0', schedule: 'hourly', ageSeconds: 5400 });
    expect(db.pvcs).toEqual([
      expect.objectContaining({
        name: 'pg',
        coverage: { how: 'fs-backup (default)', why: 'pod pg-0 volume data' },
        schedule: 'hourly',
      }),
    ]);
    const shop = r.namespaces.find((n) => n.namespace === 'shop')!;
    expect(shop.pvcs.map((c) => `${c.name} ${c.coverage.how}`)).toEqual([
      'uploads fs-backup (annotation)',
      'snap csi-snapshot',
    ]);
    expect(r.findings.map((f) => `${f.severity} ${f.code} ${f.key}`)).toEqual(['P3 SCOPE_NAMESPACE_UNCOVERED cache']);
    expect(scopeMarkdown(r)).toMatch(
      /\| db \| nightly, hourly \| 1h \| hourly-0, 1h30m ago \| 1: fs-backup \(default\) 1 \|/,
    );
  });

  it('P2 for a namespace with PVCs that no Schedule covers, and for PVC data no backup takes', () => {
    const r = scopeReport(
      input({
        namespaces: [ns('shop'), ns('orders')],
        nonEmpty: ['shop', 'orders'],
        schedules: [
          schedule('nightly', { includedNamespaces: ['shop'] }),
          schedule('old', { includedNamespaces: ['orders'] }, '0 2 * * *', true),
        ],
        backups: [backup('nightly-1', 'nightly', 3)],
        pvcs: [pvc('shop', 'uploads'), pvc('orders', 'ledger')],
        pods: [pod('shop', 'web-1', 'uploads')],
      }),
    );
    const codes = r.findings.map((f) => `${f.severity} ${f.code} ${f.key}`);
    expect(codes).toEqual([
      'P2 SCOPE_PVC_UNCOVERED orders',
      'P2 SCOPE_PVC_DATA_NOT_BACKED_UP shop',
      'P3 SCOPE_SCHEDULE_PAUSED old',
    ]);
    expect(r.findings[1]!.message).toMatch(/uploads \(no file-system backup picks its volume/);
  });

  it('a label selector or a resource filter can leave a claim out, and file-system backup needs the node agent', () => {
    const base = {
      namespaces: [ns('shop')],
      nonEmpty: ['shop'],
      backups: [backup('b-1', 'b', 1)],
      pvcs: [pvc('shop', 'uploads', 'standard', { tier: 'data' })],
      pods: [pod('shop', 'web-1', 'uploads', { 'backup.velero.io/backup-volumes': 'data' })],
    };
    const why = (t: Record<string, unknown>, nodeAgent = true): string =>
      scopeReport(
        input({
          ...base,
          schedules: [schedule('b', { includedNamespaces: ['shop'], ...t })],
          velero: { args: [], nodeAgent },
        }),
      ).namespaces[0]!.pvcs[0]!.coverage.why;
    expect(why({ labelSelector: { matchLabels: { tier: 'web' } } })).toMatch(/leaves the claim itself out/);
    expect(why({ excludedResources: ['persistentvolumeclaims'] })).toMatch(/leaves the claim itself out/);
    expect(why({ excludedResources: ['pods'] })).toMatch(/the Schedule does not back up that pod/);
    expect(why({}, false)).toMatch(/no node-agent DaemonSet runs/);
    expect(why({})).toBe('pod web-1 volume data');
  });
});
