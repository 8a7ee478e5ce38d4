import { createServer } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { expectCleanError, kdrill } from '../support/cli.js';

const run = promisify(execFile);

describe('kdrill lab up | status | down', () => {
  it('starts a lab in the background that kubectl can use, reports it, refuses a second one, and stops it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-lab-'));
    const up = await kdrill(['lab', 'up', '--dir', dir]);
    expect(up.code, up.stderr).toBe(0);
    try {
      const st = await kdrill(['lab', 'status', '--dir', dir, '-o', 'json']);
      const s = JSON.parse(st.stdout) as { running: boolean; pid: number; apiServer: string; kubeconfig: string; contexts: string[] };
      expect(s.running).toBe(true);
      expect(s.contexts).toEqual(['kdrill-lab']);
      expect(s.kubeconfig).toBe(join(dir, 'kubeconfig'));
      const { stdout } = await run('kubectl', ['--kubeconfig', s.kubeconfig, 'get', 'nodes', '-L', 'topology.kubernetes.io/zone', '--no-headers']);
      const zones = new Set(stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).pop()));
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

  it('refuses a busy port with a clear message', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    try {
      const dir = await mkdtemp(join(tmpdir(), 'kdrill-lab-'));
      expectCleanError(await kdrill(['lab', 'up', '--dir', dir, '--port', String(port)]), 4, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
    } finally {
      srv.close();
    }
  });
});
