import { createServer } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { expectCleanError, kdrill } from '../support/cli.js';
import { eventually } from '../support/eventually.js';

const run = promisify(execFile);

describe('kdrill lab up | status | down', () => {
  it('starts a lab in the background that kubectl can use, reports it, refuses a second one, and stops it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-lab-'));
    const up = await kdrill(['lab', 'up', '--dir', dir]);
    expect(up.code, up.stderr).toBe(0);
    try {
      const st = await kdrill(['lab', 'status', '--dir', dir, '-o', 'json']);
      const s = JSON.parse(st.stdout) as {
        running: boolean;
        pid: number;
        apiServer: string;
        kubeconfig: string;
        contexts: string[];
      };
      expect(s.running).toBe(true);
      expect(s.contexts).toEqual(['kdrill-lab']);
      expect(s.kubeconfig).toBe(join(dir, 'kubeconfig'));
      const { stdout } = await run('kubectl', [
        '--kubeconfig',
        s.kubeconfig,
        'get',
        'nodes',
        '-L',
        'topology.kubernetes.io/zone',
        '--no-headers',
      ]);
      const zones = new Set(
        stdout
          .trim()
          .split('\n')
          .map((l) => l.trim().split(/\s+/).pop()),
      );
      expect(zones).toEqual(new Set(['zone-a', 'zone-b', 'zone-c']));
      expect(stdout.trim().split('\n')).toHaveLength(6);

      const again = await kdrill(['lab', 'up', '--dir', dir]);
      expectCleanError(again, 4, new RegExp(`a lab is already running from .* \\(pid ${s.pid}`));
    } finally {
      const down = await kdrill(['lab', 'down', '--dir', dir]);
      expect(down.stdout).toMatch(/stopped pid/);
    }
    const after = await kdrill(['lab', 'status', '--dir', dir]);
    expect(after.code).toBe(4);
    expect(after.stdout).toMatch(/no lab running/);
    expect((await kdrill(['lab', 'down', '--dir', dir])).stdout).toMatch(/no lab was running/);
  });

  it('runs Thanos applied with kubectl: every pod Running and Ready, spread across zones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-lab-'));
    expect((await kdrill(['lab', 'up', '--dir', dir, '--start-delay', '100', '--no-seed'])).code).toBe(0);
    try {
      const kc = join(dir, 'kubeconfig');
      const k = (...args: string[]) => run('kubectl', ['--kubeconfig', kc, ...args]);
      await k('create', 'namespace', 'thanos');
      // ServiceMonitors have no CRD in the lab: kubectl reports them and applies the rest
      await k('apply', '--validate=false', '-n', 'thanos', '-f', 'assets/apps/thanos/').catch(
        (e: { stderr: string }) => {
          if (!/ServiceMonitor/.test(e.stderr) || /Error from server/.test(e.stderr)) throw e;
        },
      );
      const pods = await eventually(
        async () => {
          const list = JSON.parse((await k('get', 'pods', '-n', 'thanos', '-o', 'json')).stdout) as { items: any[] };
          const ready = list.items.filter(
            (p) =>
              p.status.phase === 'Running' &&
              p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'),
          );
          return list.items.length >= 20 && ready.length === list.items.length ? list.items : undefined;
        },
        'every Thanos pod to be Running and Ready',
        60_000,
        250,
      );
      const nodes = JSON.parse((await k('get', 'nodes', '-o', 'json')).stdout) as { items: any[] };
      const zone = new Map(nodes.items.map((n) => [n.metadata.name, n.metadata.labels['topology.kubernetes.io/zone']]));
      expect(new Set(pods.map((p) => zone.get(p.spec.nodeName)))).toEqual(new Set(['zone-a', 'zone-b', 'zone-c']));
      const sts = JSON.parse((await k('get', 'statefulsets', '-n', 'thanos', '-o', 'json')).stdout) as { items: any[] };
      for (const s of sts.items) expect(s.status.readyReplicas, s.metadata.name).toBe(s.spec.replicas);
    } finally {
      await kdrill(['lab', 'down', '--dir', dir]);
    }
  });

  it('refuses a busy port with a clear message', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    try {
      const dir = await mkdtemp(join(tmpdir(), 'kdrill-lab-'));
      expectCleanError(
        await kdrill(['lab', 'up', '--dir', dir, '--port', String(port)]),
        4,
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`),
      );
    } finally {
      srv.close();
    }
  });
});
