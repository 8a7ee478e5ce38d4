import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/types.js';
import {
  blockingBudgets,
  ephemeralData,
  longGrace,
  placement,
  singleReplicas,
  tokenSecrets,
  unselected,
} from '../../src/lint/checks.js';
import type { LintInput } from '../../src/lint/collect.js';

const deploy = (
  name: string,
  replicas: number | undefined,
  spec: Record<string, unknown> = {},
  kind = 'Deployment',
): KubeObject => ({
  apiVersion: 'apps/v1',
  kind,
  metadata: { name, namespace: 'shop' },
  spec: {
    ...(replicas === undefined ? {} : { replicas }),
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } },
  },
});
const pod = (app: string, node: string, i: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `${app}-${i}`, namespace: 'shop', labels: { app } },
  spec: { nodeName: node },
  status: { phase: 'Running' },
});
const node = (name: string, zone: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } },
});
const pdb = (name: string, spec: Record<string, unknown>, app = 'web'): KubeObject => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name, namespace: 'shop' },
  spec: { selector: { matchLabels: { app } }, ...spec },
});

const input = (o: Partial<LintInput>): LintInput => ({
  context: 't',
  namespaces: ['shop'],
  workloads: [],
  pods: [],
  pdbs: [],
  tokenSecrets: [],
  serviceAccounts: [],
  nodes: [],
  schedules: [],
  veleroArgs: [],
  uncovered: [],
  unreadable: [],
  ...o,
});
const keys = (fs: { severity: string; code: string; key?: string }[]): string[] =>
  fs.map((f) => `${f.severity} ${f.code} ${f.key}`);

describe("kdrill lint: the guide's maintenance and restore traps", () => {
  it('single replicas (a replica count left out is one), not a scaled-down workload or a DaemonSet', () => {
    const i = input({
      workloads: [
        deploy('a', 1),
        deploy('b', undefined),
        deploy('c', 0),
        deploy('d', 3),
        deploy('e', 1, {}, 'StatefulSet'),
        deploy('f', undefined, {}, 'DaemonSet'),
      ],
    });
    expect(keys(singleReplicas(i))).toEqual([
      'P2 LINT_SINGLE_REPLICA Deployment shop/a',
      'P2 LINT_SINGLE_REPLICA Deployment shop/b',
      'P2 LINT_SINGLE_REPLICA StatefulSet shop/e',
    ]);
  });

  it('several replicas without spread (P3), all on one node now (P2), or all in one zone (P3)', () => {
    const spread = {
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule' },
      ],
    };
    const anti = {
      affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1 }] } },
    };
    const i = input({
      nodes: [node('n1', 'a'), node('n2', 'a'), node('n3', 'b')],
      workloads: [deploy('together', 2), deploy('spread', 2, spread), deploy('zone', 2, anti)],
      pods: [
        pod('together', 'n1', 1),
        pod('together', 'n1', 2),
        pod('spread', 'n1', 1),
        pod('spread', 'n3', 2),
        pod('zone', 'n1', 1),
        pod('zone', 'n2', 2),
      ],
    });
    expect(keys(placement(i))).toEqual([
      'P3 LINT_NO_TOPOLOGY_SPREAD Deployment shop/together',
      'P2 LINT_ALL_ON_ONE_NODE Deployment shop/together',
      'P3 LINT_ALL_IN_ONE_ZONE Deployment shop/zone',
    ]);
  });

  it('a PodDisruptionBudget that blocks every drain: maxUnavailable 0, or minAvailable at the replica count', () => {
    const i = input({
      workloads: [deploy('web', 3), deploy('db', 2)],
      pdbs: [
        pdb('zero', { maxUnavailable: 0 }),
        pdb('pct', { maxUnavailable: '0%' }),
        pdb('all', { minAvailable: 3 }),
        pdb('hundred', { minAvailable: '100%' }, 'db'),
        pdb('fine', { minAvailable: 2 }),
        pdb('one', { maxUnavailable: 1 }),
      ],
    });
    expect(keys(blockingBudgets(i))).toEqual([
      'P2 LINT_PDB_BLOCKS_DRAIN PodDisruptionBudget shop/zero',
      'P2 LINT_PDB_BLOCKS_DRAIN PodDisruptionBudget shop/pct',
      'P2 LINT_PDB_BLOCKS_DRAIN PodDisruptionBudget shop/all',
      'P2 LINT_PDB_BLOCKS_DRAIN PodDisruptionBudget shop/hundred',
    ]);
  });

  it('a termination grace period over 60 s', () => {
    const i = input({
      workloads: [
        deploy('slow', 2, { terminationGracePeriodSeconds: 120 }),
        deploy('ok', 2, { terminationGracePeriodSeconds: 60 }),
        deploy('dflt', 2),
      ],
    });
    expect(keys(longGrace(i))).toEqual(['P3 LINT_LONG_GRACE Deployment shop/slow']);
  });

  it('workloads no NetworkPolicy selects: P2 on a hardened cluster, P3 elsewhere', () => {
    const i = input({ uncovered: ['Deployment shop/web'] });
    expect(keys(unselected(i, true))).toEqual(['P2 LINT_NO_NETWORKPOLICY Deployment shop/web']);
    expect(keys(unselected(i, false))).toEqual(['P3 LINT_NO_NETWORKPOLICY Deployment shop/web']);
  });

  it("ServiceAccount token Secrets made by hand; the token controller's own are left out", () => {
    const secret = (name: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name, namespace: 'shop', annotations: { 'kubernetes.io/service-account.name': 'ci' } },
    });
    const i = input({
      tokenSecrets: [secret('ci-token-abcde'), secret('ci-long-lived')],
      serviceAccounts: [
        {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'ci', namespace: 'shop' },
          secrets: [{ name: 'ci-token-abcde' }],
        },
      ],
    });
    expect(keys(tokenSecrets(i))).toEqual(['P2 LINT_SA_TOKEN_SECRET Secret shop/ci-long-lived']);
    expect(tokenSecrets(input({ tokenSecrets: undefined }))).toEqual([]);
  });

  it('data in hostPath (P2) or emptyDir (P3) that no backup captures; read-only mounts and opted-in volumes are fine', () => {
    const vol = (name: string, v: Record<string, unknown>, readOnly = false) => ({
      v: { name, ...v },
      m: { name, mountPath: `/${name}`, readOnly },
    });
    const wl = (name: string, vs: ReturnType<typeof vol>[], annotations: Record<string, string> = {}): KubeObject => {
      const d = deploy(name, 2, {
        volumes: vs.map((x) => x.v),
        containers: [{ name: 'c', image: 'x', volumeMounts: vs.map((x) => x.m) }],
      });
      d.spec.template.metadata.annotations = annotations;
      return d;
    };
    const schedules = [
      {
        apiVersion: 'velero.io/v1',
        kind: 'Schedule',
        metadata: { name: 'n' },
        spec: { template: { includedNamespaces: ['shop'] } },
      },
    ];
    const i = input({
      schedules,
      workloads: [
        wl('logs', [vol('host', { hostPath: { path: '/var/data' } })]),
        wl('ro', [vol('host', { hostPath: { path: '/etc/ssl' } }, true)]),
        wl('scratch', [vol('tmp', { emptyDir: {} })]),
        wl('kept', [vol('tmp', { emptyDir: {} })], { 'backup.velero.io/backup-volumes': 'tmp' }),
      ],
    });
    expect(keys(ephemeralData(i))).toEqual([
      'P2 LINT_HOSTPATH_DATA Deployment shop/logs',
      'P3 LINT_EMPTYDIR_DATA Deployment shop/scratch',
    ]);
    // every volume goes to file-system backup by default: the emptyDir is captured
    expect(keys(ephemeralData({ ...i, veleroArgs: ['--default-volumes-to-fs-backup'] }))).toEqual([
      'P2 LINT_HOSTPATH_DATA Deployment shop/logs',
    ]);
  });
});
