import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { DrillResult } from '../../src/drill/types.js';
import { kdrill } from '../support/cli.js';

const run = promisify(execFile);

/**
 * Datacenter loss of an app with CRDs (Argo CD, with an AppProject of its own) into an empty second
 * cluster: Velero restores no cluster-scoped item when the namespaces are filtered, so without the
 * cluster phase its CRDs, ClusterRoles and ClusterRoleBindings would be missing there.
 */
describe('recovery into a fresh cluster: the cluster phase', () => {
  it("brings the CRDs of the backup's custom resources and the RBAC of its ServiceAccounts, then the rest", async () => {
    const work = await mkdtemp(join(tmpdir(), 'kdrill-xc-'));
    await writeFile(
      join(work, 'appproject.yaml'),
      'apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: default, namespace: argocd}\nspec:\n  sourceRepos: ["*"]\n  destinations: [{namespace: "*", server: "*"}]\n',
    );
    const lab = join(work, 'lab');
    const up = await kdrill(
      [
        'lab',
        'up',
        '--dir',
        lab,
        '--start-delay',
        '50',
        '--clusters',
        '2',
        '--app',
        'test/fixtures/apps/argo-cd',
        '--app',
        join(work, 'appproject.yaml'),
        '--app-namespace',
        'argocd',
      ],
      { timeoutMs: 180_000 },
    );
    expect(up.code, up.stderr + up.stdout).toBe(0);
    try {
      const kubeconfig = join(lab, 'kubeconfig');
      const k2 = (...a: string[]) =>
        run('kubectl', ['--kubeconfig', kubeconfig, '--context', 'kdrill-lab-2', ...a]).then(
          (r) => r.stdout.trim(),
          () => '',
        );
      expect(await k2('get', 'crd', 'appprojects.argoproj.io', '-o', 'name')).toBe('');
      const s = parse(await readFile('scenarios/datacenter-loss.yaml', 'utf8')) as {
        metadata: { name: string };
        spec: Record<string, any>;
      };
      s.metadata.name = 'argocd-datacenter-loss';
      s.spec.target = { namespaces: ['argocd'] };
      s.spec.disaster = [{ type: 'delete-namespace', namespaces: ['argocd'] }];
      s.spec.verify = [{ type: 'workloads-ready', timeout: '2m' }, { type: 'sentinel' }, { type: 'inventory' }];
      const file = join(work, 'argocd.yaml');
      await writeFile(file, stringify(s));
      const out = join(work, 'report');
      const r = await kdrill(['run', file, '--kubeconfig', kubeconfig, '--out', out], { timeoutMs: 300_000 });
      const res = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as DrillResult;
      expect(r.code, `${r.stderr}\n${JSON.stringify(res.findings.filter((f) => f.severity !== 'P3'))}`).toBe(0);
      expect(res.restores.map((x) => [x.includedResources, x.excludedResources, x.phase])).toEqual([
        [
          [
            'customresourcedefinitions.apiextensions.k8s.io',
            'clusterroles.rbac.authorization.k8s.io',
            'clusterrolebindings.rbac.authorization.k8s.io',
          ],
          [],
          'Completed',
        ],
        [['networkpolicies.networking.k8s.io'], [], 'Completed'],
        [[], ['networkpolicies.networking.k8s.io'], 'Completed'],
      ]);
      // the custom resource's CRD came along with it (Velero backs up the CRD of each CR); the ServiceAccounts' RBAC too
      expect(await k2('get', 'crd', 'appprojects.argoproj.io', '-o', 'name')).toBe(
        'customresourcedefinition.apiextensions.k8s.io/appprojects.argoproj.io',
      );
      expect(await k2('-n', 'argocd', 'get', 'appprojects.argoproj.io', 'default', '-o', 'name')).toBe(
        'appproject.argoproj.io/default',
      );
      for (const b of ['argocd-application-controller', 'argocd-applicationset-controller', 'argocd-server']) {
        expect(await k2('get', 'clusterrolebinding', b, '-o', 'jsonpath={.subjects[0].namespace}'), b).toBe('argocd');
        expect(await k2('get', 'clusterrole', b, '-o', 'name'), b).toBe(`clusterrole.rbac.authorization.k8s.io/${b}`);
      }
      // only what the namespaces need: CRDs without a custom resource in the backup stay behind
      expect(await k2('get', 'crd', 'applicationsets.argoproj.io', '-o', 'name')).toBe('');
    } finally {
      await kdrill(['lab', 'down', '--dir', lab]);
    }
  }, 400_000);
});
