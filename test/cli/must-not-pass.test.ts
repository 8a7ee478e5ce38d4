import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { DrillResult } from '../../src/drill/types.js';
import { connectKube } from '../../src/kube/client-node.js';
import type { KubeApi } from '../../src/kube/kube-api.js';
import { kdrill } from '../support/cli.js';
import { eventually } from '../support/eventually.js';

/**
 * The must-not-pass corpus: drills sabotaged in the ways real ones go wrong, each run in a lab of
 * its own with the built CLI. None may pass; each must end with its exit code and name its finding.
 */
type Spec = Record<string, any>;
interface Case {
  name: string;
  lab?: string[];
  /** The lab's environment (KDRILL_LAB_RESTORE_ITEM_DELAY_MS slows its restores, as a big namespace would). */
  labEnv?: Record<string, string>;
  /** Done to the lab before the drill. */
  sabotage?: (k: { kube: KubeApi; recovery?: KubeApi }) => Promise<void>;
  /** Changes to scenarios/namespace-loss.yaml (or `base`). */
  scenario?: (spec: Spec) => void;
  base?: string;
  exit: 3 | 4;
  code: string;
  /** What the message must say, to prove the finding names the right thing. */
  says?: RegExp;
}

const quick = (spec: Spec): void => {
  for (const v of spec.verify as { type: string; timeout?: string }[])
    if (v.type === 'workloads-ready' || v.type === 'http') v.timeout = '5s';
};
const faults = (kube: KubeApi, data: Record<string, string>) =>
  kube.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'kdrill-lab-faults', namespace: 'velero' },
    data,
  });
const freshBackup = (spec: Spec): void => void (spec.backup = { take: true });

const CASES: Case[] = [
  {
    name: 'the target namespace does not exist',
    scenario: (s) => {
      s.target.namespaces = ['monitoring'];
      s.disaster = [{ type: 'delete-namespace', namespaces: ['monitoring'] }];
      s.sentinel = { configMap: 'kdrill-sentinel', namespace: 'monitoring' };
    },
    exit: 4,
    code: 'TARGET_MISSING',
    says: /namespace monitoring does not exist/,
  },
  {
    name: 'the target namespace is empty (a fresh backup would hold nothing of it)',
    sabotage: async ({ kube }) =>
      void (await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'empty' } })),
    scenario: (s) => {
      freshBackup(s);
      s.target.namespaces = ['empty'];
      s.disaster = [{ type: 'delete-namespace', namespaces: ['empty'] }];
      s.verify = [{ type: 'inventory' }];
    },
    exit: 4,
    code: 'TARGET_EMPTY',
  },
  {
    name: 'the backup does not contain the target',
    sabotage: async ({ kube }) => {
      await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } });
      await kube.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'ledger', namespace: 'payments' },
        data: { a: '1' },
      });
    },
    scenario: (s) => {
      s.target.namespaces = ['payments'];
      s.disaster = [{ type: 'delete-namespace', namespaces: ['payments'] }];
      s.verify = [{ type: 'inventory' }];
    },
    exit: 4,
    code: 'BACKUP_MISSES_TARGET',
    says: /holds nothing of namespace payments/,
  },
  {
    name: 'the backup lacks one workload (created after it)',
    sabotage: async ({ kube }) => {
      const labels = { app: 'late' };
      await kube.create({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'late-arrival', namespace: 'thanos', labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
        },
      });
    },
    scenario: quick,
    exit: 3,
    code: 'BACKUP_SCOPE_GAP',
    says: /apps\/Deployment thanos\/late-arrival/,
  },
  {
    name: 'the recovery cluster already holds the namespace',
    lab: ['--clusters', '2'],
    base: 'scenarios/datacenter-loss.yaml',
    sabotage: async ({ recovery }) =>
      void (await recovery!.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'thanos' } })),
    exit: 4,
    code: 'RECOVERY_TARGET_NOT_EMPTY',
  },
  {
    name: 'the Velero server is scaled to 0',
    sabotage: async ({ kube }) => {
      await kube.patch(
        { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'velero', name: 'velero' },
        { spec: { replicas: 0 } },
      );
      await eventually(
        async () =>
          Number(
            (await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'velero', name: 'velero' }))?.status
              ?.readyReplicas ?? 0,
          ) === 0,
        'Velero to stop',
      );
    },
    exit: 4,
    code: 'VELERO_NOT_RUNNING',
    says: /Deployment velero\/velero has 0 ready/,
  },
  {
    name: 'the BSL is Unavailable',
    sabotage: async ({ kube }) => {
      const ref = { apiVersion: 'velero.io/v1', kind: 'BackupStorageLocation', namespace: 'velero', name: 'default' };
      await kube.patch(ref, { spec: { objectStorage: { bucket: 'no-such-bucket' } } });
      await eventually(
        async () => (await kube.get(ref))?.status?.phase === 'Unavailable',
        'the BSL to turn Unavailable',
      );
    },
    exit: 4,
    code: 'BSL_UNAVAILABLE',
  },
  {
    name: 'a Restore ends PartiallyFailed (results readable)',
    lab: ['--hardened'],
    base: 'scenarios/hardened-one-phase.yaml',
    scenario: quick,
    exit: 3,
    code: 'RESTORE_ORDER_NETWORKPOLICY',
    says: /refused because no NetworkPolicy existed yet/,
  },
  {
    name: 'a Restore ends PartiallyFailed and its results cannot be read',
    lab: ['--hardened'],
    base: 'scenarios/hardened-one-phase.yaml',
    sabotage: async ({ kube }) => void (await faults(kube, { restoreResults: 'missing' })),
    scenario: quick,
    exit: 3,
    code: 'RESTORE_RESULTS_UNREADABLE',
  },
  {
    name: 'a workload never turns Ready (pinned to a node that is lost)',
    sabotage: async ({ kube }) => {
      const labels = { app: 'pinned' };
      await kube.create({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'pinned', namespace: 'thanos', labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              nodeSelector: { 'kubernetes.io/hostname': 'lab-zone-a-1' },
              containers: [{ name: 'c', image: 'busybox' }],
            },
          },
        },
      });
      await eventually(
        async () =>
          Number(
            (await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'thanos', name: 'pinned' }))?.status
              ?.readyReplicas ?? 0,
          ) === 1,
        'the pinned Deployment to be ready',
      );
    },
    scenario: (s) => {
      freshBackup(s);
      s.disaster = [
        { type: 'stop-nodes', nodes: ['lab-zone-a-1'] },
        { type: 'delete-namespace', namespaces: ['thanos'] },
      ];
      quick(s);
    },
    exit: 3,
    code: 'VERIFY_WORKLOADS_READY',
    says: /Deployment thanos\/pinned not available/,
  },
  {
    name: 'an http probe gets the wrong body',
    scenario: (s) => ((s.verify[1].bodyRegex = 'this text is not there'), quick(s)),
    exit: 3,
    code: 'VERIFY_HTTP',
    says: /body does not match/,
  },
  {
    name: 'the sentinel does not match',
    sabotage: async ({ kube }) =>
      void (await kube.patch(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'thanos', name: 'kdrill-sentinel' },
        { data: { runId: 'written-after-the-backup' } },
      )),
    // the workloads die, the sentinel stays: Velero skips what exists, so it still holds the later value
    scenario: (s) =>
      void (s.disaster = [
        { type: 'delete-workload', namespace: 'thanos', selector: 'app.kubernetes.io/name=thanos-query' },
      ]),
    exit: 3,
    code: 'VERIFY_SENTINEL',
    says: /expected "seed"/,
  },
  {
    name: 'an object is missing after the restore',
    scenario: (s) =>
      void (s.recovery = {
        phases: [
          { include: ['networkpolicies.networking.k8s.io'] },
          { exclude: ['networkpolicies.networking.k8s.io', 'configmaps'] },
        ],
      }),
    exit: 3,
    code: 'VERIFY_INVENTORY',
    says: /missing \d+: \/ConfigMap thanos\//,
  },
  {
    name: 'an object comes back without one of its labels',
    sabotage: async ({ kube }) =>
      void (await kube.patch(
        { apiVersion: 'v1', kind: 'Service', namespace: 'thanos', name: 'thanos-query' },
        { metadata: { labels: { tier: 'query-frontline' } } },
      )),
    exit: 3,
    code: 'VERIFY_INVENTORY',
    says: /\/Service thanos\/thanos-query \(label tier: "query-frontline" → absent\)/,
  },
  {
    name: 'the RTO is breached',
    labEnv: { KDRILL_LAB_RESTORE_ITEM_DELAY_MS: '30' },
    scenario: (s) => void (s.objectives.rto = '1s'),
    exit: 3,
    code: 'RTO_BREACHED',
    says: /recovery took [\d.]+s against 1/,
  },
  {
    name: 'the RPO is breached at the start',
    // the lab's newest backup is taken as it starts: let it grow older than the RPO before the drill reads it
    sabotage: () => new Promise((r) => setTimeout(r, 2500)),
    scenario: (s) => void (s.objectives.rpo = '1s'),
    exit: 3,
    code: 'RPO_BREACHED_AT_START',
  },
  { name: 'Object Lock is not enforced', lab: ['--no-object-lock'], exit: 3, code: 'BUCKET_NO_OBJECT_LOCK' },
  {
    name: 'a fresh backup ends PartiallyFailed',
    sabotage: async ({ kube }) => void (await faults(kube, { backupItemErrors: 'configmaps' })),
    scenario: freshBackup,
    exit: 4,
    code: 'BACKUP_FAILED',
    says: /ended PartiallyFailed/,
  },
];

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => kdrill(['lab', 'down', '--dir', d])));
});

async function drill(c: Case): Promise<{ code: number | null; out: string; stderr: string; result?: DrillResult }> {
  const work = await mkdtemp(join(tmpdir(), 'kdrill-mnp-'));
  const lab = join(work, 'lab');
  dirs.push(lab);
  const up = await kdrill(['lab', 'up', '--dir', lab, '--start-delay', '100', ...(c.lab ?? [])], {
    timeoutMs: 120_000,
    env: c.labEnv,
  });
  if (up.code !== 0) throw new Error(`lab up: ${up.stderr}`);
  const kubeconfig = join(lab, 'kubeconfig');
  const kube = connectKube({ kubeconfig, context: 'kdrill-lab' });
  const recovery = c.lab?.includes('2') ? connectKube({ kubeconfig, context: 'kdrill-lab-2' }) : undefined;
  await c.sabotage?.({ kube, recovery });
  const s = parse(await readFile(c.base ?? 'scenarios/namespace-loss.yaml', 'utf8')) as { spec: Spec };
  c.scenario?.(s.spec);
  const file = join(work, 'scenario.yaml');
  await writeFile(file, stringify(s));
  const out = join(work, 'report');
  const r = await kdrill(['run', file, '--kubeconfig', kubeconfig, '--out', out], { timeoutMs: 120_000 });
  const result = await readFile(join(out, 'result.json'), 'utf8').then(
    (t) => JSON.parse(t) as DrillResult,
    () => undefined,
  );
  return { code: r.code, out, stderr: r.stderr, result };
}

describe('the must-not-pass corpus: sabotaged lab drills, none may pass', () => {
  it.each(CASES.map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      const r = await drill(c);
      expect(r.code, r.stderr).toBe(c.exit);
      if (c.exit === 4) {
        // a precondition: one clean message, no verdict written, nothing injected
        expect(r.stderr).toMatch(new RegExp(`kdrill: .*`));
        expect(r.result).toBeUndefined();
        const journal = await readFile(join(r.out, 'journal.jsonl'), 'utf8');
        expect(journal).toContain(`"code":"${c.code}"`);
        expect(journal).not.toContain('"inject-started"');
        if (c.says) expect(r.stderr).toMatch(c.says);
        return;
      }
      expect(r.result!.verdict).toBe('fail');
      const f = r.result!.findings.find((x) => x.code === c.code);
      expect(f, `${c.code} in ${r.result!.findings.map((x) => x.code).join(', ')}`).toBeDefined();
      expect(f!.severity).not.toBe('P3');
      if (c.says) expect(`${f!.message} ${r.result!.verify.map((v) => v.detail).join(' ')}`).toMatch(c.says);
      // and the failure shows: some phase or check is marked failed, in every report
      const retro = await readFile(join(r.out, 'retrospective.md'), 'utf8');
      expect(retro).toContain('**Verdict: FAIL**');
      expect(retro).toContain(c.code);
      expect(await readFile(join(r.out, 'junit.xml'), 'utf8')).toMatch(/<failure /);
    },
    180_000,
  );

  it('covers every case the issue lists', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(18);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });
});
