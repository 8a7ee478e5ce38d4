import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { DrillResult } from '../../../src/drill/types.js';
import { connectKube } from '../../../src/kube/client-node.js';
import type { KubeApi } from '../../../src/kube/kube-api.js';
import { kdrill } from '../../support/cli.js';
import { ctrlCDuringRestore } from '../../support/ctrl-c.js';
import { eventually } from '../../support/eventually.js';

const run = promisify(execFile);

/** What the lab suite shares: its directory and the lab's kubeconfig (contexts kdrill-lab and kdrill-lab-2). */
export interface RealLab {
  dir: string;
  kubeconfig: string;
  /** A kubeconfig that authenticates as this ServiceAccount of namespace kdrill, with its own token. */
  serviceAccountKubeconfig(sa: string): Promise<{ path: string; token: string }>;
}

const readResult = async (out: string): Promise<DrillResult> =>
  JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as DrillResult;

/** Production as the test itself sees it, through the real apiserver: every object of thanos by uid and resourceVersion. */
async function identity(kube: KubeApi, ns: string): Promise<string[]> {
  const out: string[] = [];
  for (const [apiVersion, kind] of [
    ['v1', 'Namespace'],
    ['apps/v1', 'Deployment'],
    ['apps/v1', 'StatefulSet'],
    ['v1', 'Service'],
    ['v1', 'ConfigMap'],
    ['v1', 'PersistentVolumeClaim'],
    ['networking.k8s.io/v1', 'NetworkPolicy'],
  ] as const) {
    const items =
      kind === 'Namespace'
        ? [await kube.get({ apiVersion, kind, name: ns })].filter((x) => !!x)
        : (await kube.list({ apiVersion, kind }, { namespace: ns })).items;
    for (const o of items) out.push(`${kind} ${o.metadata?.name} ${o.metadata?.uid} ${o.metadata?.resourceVersion}`);
  }
  return out.sort();
}

const sandboxes = async (kube: KubeApi): Promise<string[]> =>
  (await kube.list({ apiVersion: 'v1', kind: 'Namespace' }, { labelSelector: 'kdrill.dev/sandbox=true' })).items
    .filter((n) => !n.metadata?.deletionTimestamp)
    .map((n) => n.metadata?.name ?? '');

/** The shipped restore test, with another name and whatever the case changes. */
async function variant(lab: RealLab, name: string, change: (spec: Record<string, unknown>) => void): Promise<string> {
  const s = parse(await readFile('scenarios/restore-test.yaml', 'utf8')) as {
    metadata: { name: string };
    spec: Record<string, unknown>;
  };
  s.metadata.name = name;
  change(s.spec);
  const file = join(lab.dir, `${name}.yaml`);
  await writeFile(file, stringify(s));
  return file;
}

function expectPassed(r: { code: number | null; stderr: string }, res: DrillResult, ns: RegExp, kept = false): void {
  expect(r.code, `${r.stderr}\n${JSON.stringify(res.findings)}`).toBe(0);
  expect(res.mode).toBe('restore-test');
  expect(res.verify.map((v) => `${v.type} ${v.passed}`)).toEqual([
    'workloads-ready true',
    'http true',
    'sentinel true',
    'inventory true',
  ]);
  // answered by a pod of the sandbox, through the real apiserver's service proxy
  expect(res.verify[1]!.detail).toMatch(ns);
  expect(res.sandbox).toMatchObject({ sourceUntouched: true, teardown: { failures: [], kept } });
}

/**
 * Restore tests on the real control plane (kube-apiserver, controller-manager, etcd) with the lab's
 * Velero and RGW: into a sandbox of the same cluster, into the second cluster, interrupted by Ctrl-C,
 * and scheduled (as the CronJob's ServiceAccount). Each leaves production (thanos) as it found it, and
 * no sandbox behind.
 */
export function realRestoreTestSuite(lab: () => RealLab): void {
  const kube = (context?: string): KubeApi => connectKube({ kubeconfig: lab().kubeconfig, context });

  it('restore-test into a sandbox of the same real cluster: PASS, thanos untouched, the sandbox gone', async () => {
    const k = kube();
    const before = await identity(k, 'thanos');
    expect(before.length).toBeGreaterThan(5);
    const out = join(lab().dir, 'rt-same');
    const r = await kdrill(['run', 'scenarios/restore-test.yaml', '--kubeconfig', lab().kubeconfig, '--out', out], {
      timeoutMs: 240_000,
    });
    const res = await readResult(out);
    expectPassed(r, res, /kdrill lab: pod thanos-rt-[0-9a-f]{8}\/thanos-query-/);
    expect(await sandboxes(k)).toEqual([]);
    expect(await identity(k, 'thanos')).toEqual(before);
  }, 300_000);

  it('restore-test into the second real cluster (recovery.context): PASS, nothing left in either', async () => {
    const file = await variant(lab(), 'restore-test-dr', (spec) => {
      spec.recovery = { mode: 'velero', context: 'kdrill-lab-2' };
    });
    const [one, two] = [kube(), kube('kdrill-lab-2')];
    const before = await identity(one, 'thanos');
    const out = join(lab().dir, 'rt-second');
    const r = await kdrill(['run', file, '--kubeconfig', lab().kubeconfig, '--out', out], { timeoutMs: 240_000 });
    const res = await readResult(out);
    expectPassed(r, res, /kdrill lab: pod thanos-rt-[0-9a-f]{8}\/thanos-query-/);
    expect(res.sandbox!.context).toBe('kdrill-lab-2');
    expect(await sandboxes(two)).toEqual([]);
    expect(await sandboxes(one)).toEqual([]);
    expect(await identity(one, 'thanos')).toEqual(before);
  }, 300_000);

  it('Ctrl-C during the restore into the real cluster: exit 130, no sandbox left, thanos untouched', async () => {
    const k = kube();
    const before = await identity(k, 'thanos');
    const out = join(lab().dir, 'rt-ctrl-c');
    await ctrlCDuringRestore(
      ['run', 'scenarios/restore-test.yaml', '--kubeconfig', lab().kubeconfig, '--out', out],
      out,
      async () => {
        // the backup's ConfigMaps have begun to land in the sandbox
        const [ns] = await sandboxes(k);
        return !!ns && (await k.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: ns })).items.length > 1;
      },
      { restoreMs: 120_000, landedMs: 60_000 },
    );
    expect(await sandboxes(k)).toEqual([]);
    expect(await identity(k, 'thanos')).toEqual(before);
    const res = await readResult(out);
    expect(res.sandbox).toMatchObject({ sourceUntouched: true, teardown: { failures: [] } });
    expect(res.sandbox!.teardown!.deleted).toEqual([res.sandbox!.namespaces[0]!.sandbox]);
    expect(
      await k.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'velero', name: 'kdrill-rt-restore-test' }),
    ).toBeUndefined();
  }, 300_000);

  // the RBAC of a scheduled restore test is enough (it passes as the ServiceAccount) and no more
  it('a scheduled restore test passes as its ServiceAccount, which may delete its sandbox and no other namespace', async () => {
    const file = await variant(lab(), 'restore-test-nightly', (spec) => {
      Object.assign(spec.sandbox as object, { namespaces: { thanos: 'thanos-rt' }, ttl: '2s' });
    });
    const applied = await kdrill(['schedule', file, '--cron', '@daily', '--apply', '--kubeconfig', lab().kubeconfig]);
    expect(applied.code, applied.stderr).toBe(0);
    const as = ['--as', 'system:serviceaccount:kdrill:kdrill-restore-test-nightly'];
    const can = (...a: string[]) =>
      run('kubectl', ['--kubeconfig', lab().kubeconfig, 'auth', 'can-i', ...as, ...a]).then(
        () => true,
        () => false,
      );
    expect(await can('delete', 'namespace/thanos-rt')).toBe(true);
    expect(await can('delete', 'namespace/thanos')).toBe(false);
    expect(await can('delete', 'deployments.apps', '-n', 'thanos')).toBe(false);
    expect(await can('delete', 'networkpolicies.networking.k8s.io', '-n', 'thanos')).toBe(false);
    expect(await can('update', 'configmap/kdrill-rt-restore-test-nightly', '-n', 'velero')).toBe(true);
    expect(await can('update', 'configmap/other', '-n', 'velero')).toBe(false);
    const k = kube();
    const before = await identity(k, 'thanos');
    const sa = await lab().serviceAccountKubeconfig('kdrill-restore-test-nightly');
    const out = join(lab().dir, 'rt-as-sa');
    // --keep: as if the run had crashed, for the CronJob's first step (kdrill gc --scenario) to remove
    const r = await kdrill(['run', file, '--kubeconfig', sa.path, '--out', out, '--keep'], { timeoutMs: 240_000 });
    const res = await readResult(out);
    expectPassed(r, res, /kdrill lab: pod thanos-rt\/thanos-query-/, true);
    // its RBAC reads no Secrets: they are left out of the comparison, and the result says so
    expect(res.verify[3]!.detail).toMatch(/not compared \(kdrill may not list \/Secret here\)$/);
    expect(res.sandbox!.sourceComparison!.notCompared).toContain('/Secret');
    expect(await sandboxes(k)).toEqual(['thanos-rt']);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const gc = await kdrill(['gc', '--scenario', 'restore-test-nightly', '--kubeconfig', sa.path, '-o', 'json']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(JSON.parse(gc.stdout)).toMatchObject({
      entries: [{ kind: 'Namespace', name: 'thanos-rt', action: 'deleted' }],
    });
    await eventually(
      async () => !(await k.get({ apiVersion: 'v1', kind: 'Namespace', name: 'thanos-rt' })),
      'the kept sandbox to go',
      120_000,
    );
    expect(await identity(k, 'thanos')).toEqual(before);
    expect(await readFile(join(out, 'journal.jsonl'), 'utf8')).not.toContain(sa.token);
  }, 300_000);
}
