import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/core.js';
import { PodNetwork, findPodNetwork, hostAddressesIn } from '../src/controllers/pod-network.js';

const run = promisify(execFile);
const script = (name: string): string => fileURLToPath(new URL(`../../../scripts/${name}`, import.meta.url));

function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: ip netns add needs it';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return '`ip netns` is not available';
  }
  return undefined;
}
const skip = whyNot();

// names of this run's own, so it neither meets nor disturbs the pod network .ci/run sets up (10.244.0.0/16
// into kdrill-pods): another CIDR, another veth and /30
const pid = process.pid;
const env = {
  KDRILL_POD_NETNS: `kdrill-fwd-${pid}`,
  KDRILL_PODNET_CIDR: `10.250.${pid % 250}.0/24`,
  KDRILL_PODNET_LINK: `169.254.246.${(pid % 63) * 4}`,
  KDRILL_PODNET_IF: `kdfwd${pid % 1_000_000}`,
};
const NS = env.KDRILL_POD_NETNS;
const POD_IP = `10.250.${pid % 250}.7`;
const PORT = 10902;

function pod(ready: boolean): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: 'thanos', name: 'thanos-query-0' },
    spec: { containers: [{ name: 'query', ports: [{ containerPort: PORT }, { containerPort: 53, protocol: 'UDP' }] }] },
    status: { phase: 'Running', podIP: POD_IP, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

/** One request on a connection of its own: a pooled one could hide a port that closed. */
function get(host: string, port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/-/ready', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Every 10.x address on the host's interfaces, as `ip -4 addr` shows them outside any namespace. */
async function host10(): Promise<string[]> {
  const { stdout } = await run('ip', ['-4', '-o', 'addr', 'show']);
  return [...stdout.matchAll(/^\d+:\s+(\S+)\s+inet (10\.\S+)/gm)].map((m) => `${m[1]} ${m[2]}`);
}

const podnet = (name: string) => run('bash', [script(name)], { env: { ...process.env, ...env } }).then((r) => r.stdout);

describe.skipIf(skip !== undefined)(
  `PodNetwork: pods served from a network namespace by the forwarder${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    const notes: string[] = [];
    let net: PodNetwork | undefined;

    beforeAll(async () => {
      expect(await host10()).toEqual([]);
      expect(await podnet('podnet-up.sh')).toMatch(
        new RegExp(`added network namespace ${NS}[^]*routed ${env.KDRILL_PODNET_CIDR.replace(/\./g, '\\.')} via`),
      );
      // again: nothing to do, and it says so
      const again = await podnet('podnet-up.sh');
      expect(again).toContain(`network namespace ${NS} exists`);
      expect(again).not.toMatch(/added|routed/);
    });

    afterAll(async () => {
      await net?.close();
      if (skip) return;
      expect(await podnet('podnet-down.sh')).toContain(`removed network namespace ${NS}`);
      expect(await podnet('podnet-down.sh')).toContain('nothing to remove');
      expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(NS);
      expect(await host10()).toEqual([]);
    });

    it('finds the namespace only when the pod addresses are routed into it', async () => {
      // the route check comes first: no request goes to POD_IP unless it ends inside the namespace
      expect(await findPodNetwork(NS, [POD_IP])).toEqual({ netns: NS });
      expect(await findPodNetwork(`kdrill-no-such-${pid}`, [POD_IP])).toMatchObject({
        reason: expect.stringMatching(/no network namespace kdrill-no-such/),
        misconfigured: true,
      });
      expect(await findPodNetwork(NS, [`10.251.${pid % 250}.7`])).toMatchObject({
        reason: expect.stringMatching(new RegExp(`not into network namespace ${NS}`)),
      });
      // .ci/run sets it for the whole test run
      const set = process.env.KDRILL_POD_NETNS;
      delete process.env.KDRILL_POD_NETNS;
      try {
        expect(await findPodNetwork()).toMatchObject({
          reason: expect.stringMatching(/KDRILL_POD_NETNS is not set/),
          misconfigured: false,
        });
      } finally {
        if (set !== undefined) process.env.KDRILL_POD_NETNS = set;
      }
    });

    it('answers a request from the host as the Ready pod, from a port bound inside the namespace only', async () => {
      net = new PodNetwork(NS, (m) => notes.push(m));
      await net.sync([pod(true)]);
      expect(await get(POD_IP, PORT)).toEqual({
        status: 200,
        body: 'kdrill lab: pod thanos/thanos-query-0 is ready\n',
      });
      const inside = (await run('ip', ['netns', 'exec', NS, 'ss', '-Hltn'])).stdout;
      expect(inside).toContain(`${POD_IP}:${PORT}`);
      expect((await run('ss', ['-Hltn'])).stdout).not.toContain(POD_IP);
      expect(hostAddressesIn('10.0.0.0/8')).toEqual([]);
      expect(await host10()).toEqual([]);
      expect(notes).toEqual([]);
    });

    it('closes the port when the pod stops being Ready, and opens it again when it is', async () => {
      await net!.sync([pod(false)]);
      await expect(get(POD_IP, PORT)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await net!.sync([pod(true)]);
      expect((await get(POD_IP, PORT)).body).toContain('thanos/thanos-query-0');
      await net!.sync([]);
      await expect(get(POD_IP, PORT)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });

    it('stops its forwarder on close: nothing is left running in the namespace', async () => {
      await net!.sync([pod(true)]);
      expect((await run('ip', ['netns', 'pids', NS])).stdout.trim()).not.toBe('');
      await net!.close();
      net = undefined;
      expect((await run('ip', ['netns', 'pids', NS])).stdout.trim()).toBe('');
    });

    it('removes the socket directory a killed lab left behind, and only such', async () => {
      const dead = spawnSync(process.execPath, ['-e', '']).pid;
      const left = await mkdtemp(join(tmpdir(), 'kdrill-podnet-'));
      await writeFile(join(left, 'owner.pid'), String(dead));
      const live = await mkdtemp(join(tmpdir(), 'kdrill-podnet-'));
      await writeFile(join(live, 'owner.pid'), String(process.pid));
      const other = new PodNetwork(NS, (m) => notes.push(m));
      try {
        await other.sync([pod(true)]);
        expect(existsSync(left)).toBe(false);
        expect(existsSync(live)).toBe(true);
      } finally {
        await other.close();
        await rm(live, { recursive: true, force: true });
      }
    });

    it('says once that a forwarder cannot start, and keeps reconciling', async () => {
      const said: string[] = [];
      const broken = new PodNetwork(`kdrill-no-such-${pid}`, (m) => said.push(m));
      await broken.sync([pod(true)]);
      await broken.sync([pod(true)]);
      await broken.close();
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(
        /forwarder in network namespace kdrill-no-such-\d+ exited .*Cannot open network namespace/,
      );
    });
  },
);
