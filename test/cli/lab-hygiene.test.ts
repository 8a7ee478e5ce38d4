import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { connectKube } from '../../src/kube/client-node.js';
import { expectCleanError, kdrill } from '../support/cli.js';

const run = promisify(execFile);
const tmp = (p: string) => mkdtemp(join(tmpdir(), p));

describe('lab hygiene: what a lab leaves, and which contexts it lets kdrill break', () => {
  it("a lab's context is allowed only while that lab lives; lab down after a SIGKILL says so; lab gc removes what it made", async () => {
    const dir = join(await tmp('kdrill-hyg-'), 'lab');
    expect((await kdrill(['lab', 'up', '--dir', dir, '--start-delay', '50'], { timeoutMs: 120_000 })).code).toBe(0);
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { pid: number; kubeconfig: string };
    const kubeconfig = state.kubeconfig;
    // a copy of the lab's kubeconfig aimed at another server keeps the name, not the permission
    const kc = parse(await readFile(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
    const live = kc.clusters[0]!.cluster.server;
    kc.clusters[0]!.cluster.server = live.replace(/:(\d+)$/, (_m, p: string) => `:${Number(p) + 1}`);
    const elsewhere = join(dir, '..', 'elsewhere.kubeconfig');
    await import('node:fs/promises').then((fs) => fs.writeFile(elsewhere, stringify(kc)));
    const r = await kdrill(
      ['run', 'scenarios/namespace-loss.yaml', '--kubeconfig', elsewhere, '--out', join(dir, '..', 'r1')],
      { env: { KDRILL_ALLOW_CONTEXTS: '' } },
    );
    expectCleanError(
      r,
      4,
      /context "kdrill-lab" is named like a lab's, but no live lab serves it at http:\/\/127\.0\.0\.1:\d+/,
    );
    // the lab dies without cleaning up: its context is no longer one kdrill may break
    process.kill(state.pid, 'SIGKILL');
    await new Promise((res) => setTimeout(res, 300));
    const after = await kdrill(['plan', 'scenarios/namespace-loss.yaml', '--kubeconfig', kubeconfig, '--offline']);
    expect(after.code).toBe(0); // plan never needs permission
    const dead = await kdrill(
      ['run', 'scenarios/namespace-loss.yaml', '--kubeconfig', kubeconfig, '--out', join(dir, '..', 'r2')],
      { env: { KDRILL_ALLOW_CONTEXTS: '' } },
    );
    expect(dead.code).toBe(4);
    const down = await kdrill(['lab', 'down', '--dir', dir]);
    expect(down.stdout).toMatch(new RegExp(`lab down: its process \\(pid ${state.pid}\\) was already gone`));
  }, 180_000);

  it('lab gc removes everything labelled by a lab from a cluster, and nothing else', async () => {
    const dir = join(await tmp('kdrill-gc-'), 'lab');
    expect((await kdrill(['lab', 'up', '--dir', dir, '--start-delay', '50'], { timeoutMs: 120_000 })).code).toBe(0);
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      const kube = connectKube({ kubeconfig });
      await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mine' } });
      await kube.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'keep', namespace: 'mine' },
        data: { a: '1' },
      });
      expect((await kube.list({ apiVersion: 'v1', kind: 'Node' })).items.length).toBeGreaterThan(0);
      const gc = await kdrill(['lab', 'gc', '--kubeconfig', kubeconfig]);
      expect(gc.code, gc.stderr).toBe(0);
      expect(gc.stdout).toMatch(/lab gc: removed from context kdrill-lab:/);
      expect(gc.stdout).toMatch(/Namespace thanos/);
      expect(gc.stdout).toMatch(/Namespace velero/);
      expect(gc.stdout).toMatch(/CustomResourceDefinition backups\.velero\.io/);
      expect(gc.stdout).toMatch(/Node lab-zone-a-1/);
      for (const kind of ['ConfigMap', 'Service', 'PersistentVolume'])
        expect((await kube.list({ apiVersion: 'v1', kind }, { labelSelector: 'kdrill.dev/lab' })).items, kind).toEqual(
          [],
        );
      // what the user made stays
      expect((await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'mine', name: 'keep' }))?.data).toEqual({
        a: '1',
      });
      expect((await kdrill(['lab', 'gc', '--kubeconfig', kubeconfig])).stdout).toMatch(
        /lab gc: context kdrill-lab holds nothing of a kdrill lab/,
      );
    } finally {
      await kdrill(['lab', 'down', '--dir', dir]);
    }
  }, 180_000);

  it('--hardened warn admits what deny refuses, with a warning; network-policy-coverage then fails the drill', async () => {
    const app = join(await tmp('kdrill-warn-'), 'app.yaml');
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(
        app,
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: open, namespace: shop}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: open}}\n  template:\n    metadata: {labels: {app: open}}\n    spec: {containers: [{name: c, image: nginx}]}\n',
      ),
    );
    const deny = join(await tmp('kdrill-deny-'), 'lab');
    const d = await kdrill(['lab', 'up', '--dir', deny, '--start-delay', '50', '--app', app, '--hardened'], {
      timeoutMs: 120_000,
    });
    await kdrill(['lab', 'down', '--dir', deny]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(
      /refused Deployment shop\/open: admission webhook "require-networkpolicy\.kdrill\.dev" denied the request: \[require-networkpolicy\] Deployment shop\/open: no NetworkPolicy/,
    );
    const warn = join(await tmp('kdrill-warnlab-'), 'lab');
    const w = await kdrill(['lab', 'up', '--dir', warn, '--start-delay', '50', '--app', app, '--hardened', 'warn'], {
      timeoutMs: 120_000,
    });
    try {
      expect(w.code, w.stderr).toBe(0);
      expect(w.stdout).toMatch(/applied 1 apps\/v1 Deployment/);
      expect(w.stdout).toMatch(
        /warning for Deployment shop\/open: \[require-networkpolicy\] Deployment shop\/open: no NetworkPolicy/,
      );
      // kubectl shows the warning too, as it shows Gatekeeper's
      const kc = join(warn, 'kubeconfig');
      const out = await run('kubectl', ['--kubeconfig', kc, '-n', 'shop', 'run', 'probe', '--image', 'busybox']).then(
        (x) => x.stderr,
        (e: { stderr: string }) => e.stderr,
      );
      expect(out).toMatch(/Warning: \[require-networkpolicy\] Pod shop\/probe/);
      const s = parse(await readFile('scenarios/namespace-loss.yaml', 'utf8')) as { spec: Record<string, any> };
      s.spec.target = { namespaces: ['shop'], hardened: true };
      s.spec.disaster = [{ type: 'delete-namespace', namespaces: ['shop'] }];
      s.spec.verify = [{ type: 'inventory' }];
      const file = join(warn, '..', 'shop.yaml');
      await import('node:fs/promises').then((fs) => fs.writeFile(file, stringify(s)));
      const r = await kdrill(['run', file, '--kubeconfig', kc, '--out', join(warn, '..', 'r')], { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(3);
      const res = JSON.parse(await readFile(join(warn, '..', 'r', 'result.json'), 'utf8')) as {
        verify: { type: string; passed: boolean; detail: string }[];
        restores: { phase: string }[];
      };
      // the restore "succeeded" (a warn-mode cluster admitted everything); only the coverage check says what is wrong
      expect(res.restores.map((x) => x.phase)).toEqual(['Completed', 'Completed']);
      expect(res.verify.find((v) => v.type === 'network-policy-coverage')).toMatchObject({
        passed: false,
        detail: expect.stringMatching(/no NetworkPolicy selects the pods of 1 workload\(s\): Deployment shop\/open \(/),
      });
    } finally {
      await kdrill(['lab', 'down', '--dir', warn]);
    }
  }, 240_000);
});
