import { readFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { connectKube } from '../../../src/kube/client-node.js';
import { isKubeApiError } from '../../../src/kube/errors.js';
import { expectCleanError, kdrill } from '../../support/cli.js';
import { eventually } from '../../support/eventually.js';
import type { KubeTarget } from './targets.js';

const pod = (ns: string, name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

/**
 * A hardened lab on a real apiserver, killed with SIGKILL: its webhook stays registered (failurePolicy
 * Fail) and nothing answers it. kube-system's pods must still be admitted; a new lab must refuse to
 * start beside it and name the gc command; `lab down` of the dead lab must remove what it left.
 */
export function realHygieneSuite(target: () => KubeTarget): void {
  it('a killed hardened lab never blocks kube-system, and lab down removes its webhook, objects and Lease', async () => {
    const kc = target().kubeconfig;
    const kube = connectKube({ kubeconfig: kc });
    const dir = join(await mkdtemp(join(tmpdir(), 'kdrill-killed-')), 'lab');
    const up = await kdrill(
      [
        'lab',
        'up',
        '--dir',
        dir,
        '--k8s',
        'real',
        '--real-kubeconfig',
        kc,
        '--hardened',
        '--no-seed',
        '--start-delay',
        '50',
      ],
      { timeoutMs: 240_000 },
    );
    expect(up.code, up.stderr + up.stdout).toBe(0);
    const { pid } = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { pid: number };
    process.kill(pid, 'SIGKILL');
    await eventually(
      () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      'the lab process to die',
      10_000,
    ).catch(() => undefined);
    await kube
      .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kdrill-victim' } })
      .catch(() => undefined);
    try {
      // the dead webhook: a guarded namespace refuses every Pod, kube-system does not
      // v1.20 refuses Pods of a new namespace until the token controller has made its default ServiceAccount's token
      let refused: unknown;
      for (let i = 0; i < 60; i++) {
        refused = await kube.create(pod('kdrill-victim', 'p1')).catch((e: unknown) => e);
        if (!String((refused as Error)?.message).includes('No API token found')) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(isKubeApiError(refused), String(refused)).toBe(true);
      expect((refused as Error).message, (refused as Error).message).toMatch(/require-networkpolicy\.kdrill\.dev/);
      await kube.create(pod('kube-system', 'kdrill-probe'));
      await kube.delete(
        { apiVersion: 'v1', kind: 'Pod', namespace: 'kube-system', name: 'kdrill-probe' },
        { gracePeriodSeconds: 0 },
      );
      // a new lab refuses to start beside it, and says how to clean up
      const second = await kdrill(
        ['lab', 'up', '--dir', join(dir, '..', 'second'), '--k8s', 'real', '--real-kubeconfig', kc, '--no-seed'],
        { timeoutMs: 120_000 },
      );
      expectCleanError(second, 4, /left its admission webhook/);
      expect(second.stderr).toContain(`kdrill lab gc --kubeconfig ${kc}`);
      // lab down of the dead lab removes what it left
      const down = await kdrill(['lab', 'down', '--dir', dir], { timeoutMs: 120_000 });
      expect(down.stdout).toMatch(new RegExp(`its process \\(pid ${pid}\\) was already gone`));
      expect(down.stdout).toMatch(/ValidatingWebhookConfiguration kdrill-lab-hardened/);
      expect(down.stdout).toMatch(/Lease kube-system\/kdrill-lab/);
      await kube.create(pod('kdrill-victim', 'p2'));
      expect((await kdrill(['lab', 'gc', '--kubeconfig', kc])).stdout).toMatch(/holds nothing of a kdrill lab/);
    } finally {
      await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'kdrill-victim' }).catch(() => undefined);
      await kdrill(['lab', 'gc', '--kubeconfig', kc]);
    }
  }, 300_000);
}
