import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { DrillResult } from '../../src/drill/types.js';
import { connectKube } from '../../src/kube/client-node.js';
import type { KubeApi } from '../../src/kube/kube-api.js';
import { kdrill } from '../support/cli.js';
import { ctrlCDuringRestore } from '../support/ctrl-c.js';
import { eventually } from '../support/eventually.js';

const readResult = async (dir: string): Promise<DrillResult> =>
  JSON.parse(await readFile(join(dir, 'result.json'), 'utf8')) as DrillResult;

/** Production as the test itself sees it: each object of the namespace by uid and resourceVersion. */
async function identity(kube: KubeApi, ns: string): Promise<string[]> {
  const out: string[] = [];
  for (const [apiVersion, kind] of [
    ['apps/v1', 'Deployment'],
    ['v1', 'Service'],
    ['v1', 'ConfigMap'],
    ['batch/v1', 'CronJob'],
    ['networking.k8s.io/v1', 'NetworkPolicy'],
    ['networking.k8s.io/v1', 'Ingress'],
    ['policy/v1', 'PodDisruptionBudget'],
  ])
    for (const o of (await kube.list({ apiVersion: apiVersion!, kind: kind! }, { namespace: ns })).items)
      out.push(`${kind} ${o.metadata?.name} ${o.metadata?.uid} ${o.metadata?.resourceVersion}`);
  return out.sort();
}

const sandboxes = async (kube: KubeApi): Promise<string[]> =>
  (await kube.list({ apiVersion: 'v1', kind: 'Namespace' }, { labelSelector: 'kdrill.dev/sandbox=true' })).items.map(
    (n) => n.metadata?.name ?? '',
  );

function shopScenario(extra: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'kdrill.dev/v1alpha1',
    kind: 'Scenario',
    metadata: { name: 'shop-restore-test' },
    spec: {
      mode: 'restore-test',
      objectives: { rto: '1h', rpo: '24h', retention: '7d' },
      drill: { goals: ['prove the backup restores'], leader: 'ci', discovery: 'nightly', cause: 'none' },
      target: { namespaces: ['shop'] },
      backup: { from: 'latest', schedule: 'nightly' },
      sandbox: { ttl: '3s' },
      verify: [{ type: 'workloads-ready', timeout: '2m' }, { type: 'sentinel' }, { type: 'inventory' }],
      ...extra,
    },
  });
}

describe('kdrill run scenarios/restore-test.yaml --lab', () => {
  it('restores the nightly backup of Thanos into a sandbox, verifies it there, tears it down: PASS, production untouched', async () => {
    const work = await mkdtemp(join(tmpdir(), 'kdrill-rt-lab-'));
    const out = join(work, 'report');
    const r = await kdrill(
      ['run', 'scenarios/restore-test.yaml', '--lab', '--out', out, '--metrics-file', join(work, 'kdrill.prom')],
      { timeoutMs: 180_000 },
    );
    const res = await readResult(out);
    expect(r.code, `${r.stderr}\n${JSON.stringify(res.findings)}`).toBe(0);
    expect(res.mode).toBe('restore-test');
    expect(res.verify.map((v) => `${v.type} ${v.passed}`)).toEqual([
      'workloads-ready true',
      'http true',
      'sentinel true',
      'inventory true',
    ]);
    // the http check went through the lab API server's proxy to the sandbox's Service
    expect(res.verify[1]!.detail).toMatch(new RegExp(`${res.sandbox!.namespaces[0]!.sandbox}/thanos-query`));
    expect(res.sandbox).toMatchObject({ sourceUntouched: true, teardown: { failures: [], kept: false } });
    expect(res.objectives.rto.measuredSeconds).toBeGreaterThan(0);
    expect(await readFile(join(out, 'junit.xml'), 'utf8')).toMatch(
      /<property name="mode" value="restore-test"\/>[\s\S]*name="production untouched" time="0.000"><\/testcase>/,
    );
    expect(await readFile(join(out, 'retrospective.md'), 'utf8')).toMatch(
      /# Restore test retrospective[\s\S]*## Sandbox/,
    );
    expect(await readFile(join(out, 'report.html'), 'utf8')).toMatch(/<h2>Sandbox<\/h2>/);
    expect(await readFile(join(work, 'kdrill.prom'), 'utf8')).toMatch(
      /kdrill_drill_info\{scenario="restore-test",mode="restore-test"\} 1/,
    );
    const history = join(work, 'history');
    const records = (await Promise.all((await readdir(history)).map((f) => readFile(join(history, f), 'utf8')))).join(
      '',
    );
    expect(records).toMatch(/"mode":"restore-test"/);
  }, 240_000);
});

describe('restore tests against an existing lab (its kubeconfig)', () => {
  let work: string;
  let kubeconfig: string;
  let kube: KubeApi;
  const file = (name: string): string => join(work, name);
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'kdrill-rt-ext-'));
    const up = await kdrill(
      // Thanos too: the shipped scenario restore-tests it
      [
        'lab',
        'up',
        '--dir',
        file('lab'),
        '--start-delay',
        '50',
        '--app',
        'test/cli/fixtures/restore-test-shop',
        '--thanos',
      ],
      { timeoutMs: 120_000, env: { KDRILL_LAB_RESTORE_ITEM_DELAY_MS: '150' } },
    );
    expect(up.code, up.stderr).toBe(0);
    kubeconfig = file('lab/kubeconfig');
    kube = connectKube({ kubeconfig });
    await writeFile(file('shop.yaml'), shopScenario());
  }, 180_000);
  afterAll(async () => {
    if (work) await kdrill(['lab', 'down', '--dir', file('lab')]);
  });

  it('fences off what lands (CronJob suspended, Services ClusterIP, Ingress inert, policies without rules); --keep, then kdrill gc after expiry', async () => {
    const before = await identity(kube, 'shop');
    const r = await kdrill(['run', file('shop.yaml'), '--kubeconfig', kubeconfig, '--out', file('kept'), '--keep'], {
      timeoutMs: 120_000,
    });
    const res = await readResult(file('kept'));
    expect(r.code, `${r.stderr}\n${JSON.stringify(res.findings)}`).toBe(0);
    const sb = res.sandbox!.namespaces[0]!.sandbox;
    expect(await sandboxes(kube)).toEqual([sb]);
    const get = (apiVersion: string, kind: string, name: string) => kube.get({ apiVersion, kind, namespace: sb, name });
    expect((await get('batch/v1', 'CronJob', 'invoices'))?.spec?.suspend).toBe(true);
    for (const svc of ['web', 'web-public']) {
      const s = await get('v1', 'Service', svc);
      expect(s?.spec?.type, svc).toBe('ClusterIP');
      expect(s?.spec?.ports?.[0]?.nodePort, svc).toBeUndefined();
    }
    expect((await get('networking.k8s.io/v1', 'Ingress', 'web'))?.spec?.ingressClassName).toBe('kdrill-sandbox-none');
    expect((await get('networking.k8s.io/v1', 'NetworkPolicy', 'allow-web'))?.spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
    expect((await get('networking.k8s.io/v1', 'NetworkPolicy', 'kdrill-sandbox-deny-all'))?.spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
    expect(res.sandbox!.isolation!.changes.map((c) => `${c.kind} ${c.name}`).sort()).toEqual([
      'CronJob invoices',
      'Ingress web',
      'NetworkPolicy allow-web',
      'Service web',
      'Service web-public',
    ]);
    // production is as it was, object by object, as this test reads it
    expect(await identity(kube, 'shop')).toEqual(before);
    expect(
      (await kube.get({ apiVersion: 'batch/v1', kind: 'CronJob', namespace: 'shop', name: 'invoices' }))?.spec?.suspend,
    ).not.toBe(true);

    const early = await kdrill(['gc', '--kubeconfig', kubeconfig, '--dry-run']);
    expect(early.stdout).toMatch(new RegExp(`(kept|would delete) +Namespace ${sb}`));
    await new Promise((res) => setTimeout(res, 3500));
    // --scenario: another scenario's expired sandbox is not this one's to remove (a scheduled restore test's gc)
    const other = await kdrill(['gc', '--kubeconfig', kubeconfig, '--scenario', 'other', '-o', 'json']);
    expect(JSON.parse(other.stdout)).toEqual({ context: 'kdrill-lab', entries: [] });
    expect(await sandboxes(kube)).toEqual([sb]);
    const gc = await kdrill(['gc', '--kubeconfig', kubeconfig, '--scenario', 'shop-restore-test', '-o', 'json']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(JSON.parse(gc.stdout)).toMatchObject({ entries: [{ kind: 'Namespace', name: sb, action: 'deleted' }] });
    await eventually(async () => (await sandboxes(kube)).length === 0, 'the expired sandbox to go', 30_000);
  }, 180_000);

  it('the shipped scenarios/restore-test.yaml against this lab (its kubeconfig, no --allow-context): PASS, Thanos untouched', async () => {
    const before = await identity(kube, 'thanos');
    expect(before.length).toBeGreaterThan(0);
    const r = await kdrill(
      ['run', 'scenarios/restore-test.yaml', '--kubeconfig', kubeconfig, '--out', file('shipped'), '--no-history'],
      { timeoutMs: 150_000 },
    );
    const res = await readResult(file('shipped'));
    expect(r.code, `${r.stderr}\n${JSON.stringify(res.findings)}`).toBe(0);
    expect(res.sandbox).toMatchObject({
      namespaces: [{ source: 'thanos' }],
      sourceUntouched: true,
      teardown: { failures: [], kept: false },
    });
    expect(res.verify.map((v) => `${v.type} ${v.passed}`)).toEqual([
      'workloads-ready true',
      'http true',
      'sentinel true',
      'inventory true',
    ]);
    expect(await sandboxes(kube)).toEqual([]);
    expect(await identity(kube, 'thanos')).toEqual(before);
  }, 180_000);

  it('Ctrl-C during the restore: exit 130, no sandbox left behind, production untouched', async () => {
    const before = await identity(kube, 'shop');
    const out = file('ctrl-c');
    await ctrlCDuringRestore(
      ['run', file('shop.yaml'), '--kubeconfig', kubeconfig, '--out', out],
      out,
      async () =>
        // the Deployment web has landed in the sandbox
        !!(await kube.get({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: (await sandboxes(kube))[0] ?? 'none',
          name: 'web',
        })),
    );
    expect(await sandboxes(kube)).toEqual([]);
    expect(await identity(kube, 'shop')).toEqual(before);
    const res = await readResult(out);
    expect(res.sandbox).toMatchObject({ sourceUntouched: true, teardown: { failures: [] } });
    expect(res.sandbox!.teardown!.deleted).toEqual([res.sandbox!.namespaces[0]!.sandbox]);
    expect(
      await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'velero', name: 'kdrill-rt-shop-restore-test' }),
    ).toBeUndefined();
  }, 180_000);

  it('kdrill scope: the shop is in the nightly Schedule; an app loaded outside its namespaces shows the P2', async () => {
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'orders' } });
    await kube.create({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'ledger', namespace: 'orders' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    const r = await kdrill(['scope', '--kubeconfig', kubeconfig, '-o', 'json']);
    expect(r.code, r.stderr).toBe(3);
    const s = JSON.parse(r.stdout) as {
      namespaces: { namespace: string; schedules: { name: string }[] }[];
      findings: { severity: string; code: string; key: string }[];
    };
    expect(s.namespaces.find((n) => n.namespace === 'shop')!.schedules.map((x) => x.name)).toEqual(['nightly']);
    expect(s.findings.map((f) => `${f.severity} ${f.code} ${f.key}`)).toContain('P2 SCOPE_PVC_UNCOVERED orders');
    const md = await kdrill(['scope', '--kubeconfig', kubeconfig, '-o', 'markdown']);
    expect(md.stdout).toMatch(/\| orders \| NONE \|/);
    const yaml = await kdrill(['scope', '--kubeconfig', kubeconfig, '-o', 'yaml']);
    expect(yaml.code, yaml.stderr).toBe(3);
    // the same content (ages aside: each run reads the clock)
    const fromYaml = parse(yaml.stdout) as typeof s;
    expect(fromYaml.findings).toEqual(s.findings);
    expect(fromYaml.namespaces.map((n) => n.namespace)).toEqual(s.namespaces.map((n) => n.namespace));
  }, 60_000);

  it('a restore test of a namespace the backup does not hold fails with the finding, exit 4, and makes nothing', async () => {
    await writeFile(file('orders.yaml'), shopScenario({ target: { namespaces: ['orders'] } }));
    const r = await kdrill(['run', file('orders.yaml'), '--kubeconfig', kubeconfig, '--out', file('orders')], {
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(4);
    const res = await readResult(file('orders'));
    expect(res.findings.map((f) => `${f.severity} ${f.code}`)).toContain('P2 BACKUP_MISSES_TARGET');
    expect(r.stdout).toMatch(/FAIL: shop-restore-test[\s\S]*BACKUP_MISSES_TARGET/);
    expect(await sandboxes(kube)).toEqual([]);
  }, 90_000);

  it("kdrill lint: the shop's traps, each with its object and fix (exit 3), as JSON and Markdown", async () => {
    const r = await kdrill(['lint', '--kubeconfig', kubeconfig, '-n', 'shop', '-o', 'json']);
    expect(r.code, r.stderr).toBe(3);
    const l = JSON.parse(r.stdout) as { findings: { severity: string; code: string; key: string; fix: string }[] };
    expect(l.findings.map((f) => `${f.severity} ${f.code} ${f.key}`)).toEqual(
      expect.arrayContaining([
        'P2 LINT_SINGLE_REPLICA Deployment shop/worker',
        'P2 LINT_PDB_BLOCKS_DRAIN PodDisruptionBudget shop/web',
        'P3 LINT_LONG_GRACE Deployment shop/web',
        'P2 LINT_HOSTPATH_DATA Deployment shop/worker',
      ]),
    );
    for (const f of l.findings) expect(f.fix.length, f.code).toBeGreaterThan(10);
    const yaml = await kdrill(['lint', '--kubeconfig', kubeconfig, '-n', 'shop', '-o', 'yaml']);
    expect(yaml.code, yaml.stderr).toBe(3);
    expect(parse(yaml.stdout)).toEqual(l);
    const md = await kdrill(['lint', '--kubeconfig', kubeconfig, '-n', 'shop', '-o', 'markdown']);
    expect(md.stdout).toMatch(
      /- \*\*P2\*\* `LINT_PDB_BLOCKS_DRAIN` `PodDisruptionBudget shop\/web`: .*maxUnavailable is 0/,
    );
  }, 60_000);

  it('fails, exit 4 with a P1 finding, when Velero is not running, and makes nothing', async () => {
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'velero', name: 'velero' };
    await kube.patch(ref, { spec: { replicas: 0 } });
    try {
      await eventually(async () => !(await kube.get(ref))?.status?.readyReplicas, 'Velero to stop', 30_000);
      const r = await kdrill(['run', file('shop.yaml'), '--kubeconfig', kubeconfig, '--out', file('no-velero')], {
        timeoutMs: 60_000,
      });
      expect(r.code, r.stderr).toBe(4);
      const res = await readResult(file('no-velero'));
      expect(res.findings.map((f) => `${f.severity} ${f.code}`)).toContain('P1 VELERO_NOT_RUNNING');
      expect(await sandboxes(kube)).toEqual([]);
    } finally {
      await kube.patch(ref, { spec: { replicas: 1 } });
    }
  }, 90_000);
});
