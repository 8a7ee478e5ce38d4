import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { KubeObject } from '../core.js';
import { podForwarder, type ForwarderCommand, type ForwarderReply } from './pod-forwarder.js';
import { isPodReady } from './pods.js';

const execFileP = promisify(execFile);

/** The lab's pod addresses: 10.244.0.0/16, one /17 per cluster of a two-cluster lab. */
export const POD_CIDR = '10.244.0.0/16';

/** Names the network namespace that holds the pod addresses (scripts/podnet-up.sh makes one). */
export const POD_NETNS_ENV = 'KDRILL_POD_NETNS';

export function podIpAt(cluster: number, n: number): string {
  const i = cluster * 32768 + n;
  return `10.244.${(i >> 8) & 255}.${i & 255}`;
}

/**
 * Where the pods' ports can be served so that a real kube-apiserver's service proxy reaches them:
 * `netns` when that namespace exists and the pod addresses are routed into it. Otherwise a reason, and
 * `misconfigured` when someone evidently meant to have a pod network (the variable is set, or the pod
 * addresses sit on a host interface, which kdrill refuses to use: tests must not put 10.x on the host).
 */
export type PodNetworkSetup = { netns: string } | { reason: string; misconfigured: boolean };

export async function findPodNetwork(
  netns = process.env[POD_NETNS_ENV],
  probes = [podIpAt(0, 2), podIpAt(1, 2)],
): Promise<PodNetworkSetup> {
  const onHost = hostAddressesIn(POD_CIDR);
  if (onHost.length) {
    return {
      reason: `${onHost.join(', ')} is an address of this machine; pods are served only inside a network namespace (scripts/podnet-up.sh), so remove it (ip addr del …)`,
      misconfigured: true,
    };
  }
  if (!netns)
    return {
      reason: `${POD_NETNS_ENV} is not set, so the pods have no network a real apiserver reaches (scripts/podnet-up.sh makes one)`,
      misconfigured: false,
    };
  const bad = (reason: string): PodNetworkSetup => ({ reason, misconfigured: true });
  try {
    const spaces = (await ipJson('netns', 'list')) as { name: string; id?: number }[];
    const ns = spaces.find((s) => s.name === netns);
    if (!ns) return bad(`there is no network namespace ${netns} (${POD_NETNS_ENV}); scripts/podnet-up.sh makes it`);
    for (const ip of probes) {
      const [route] = (await ipJson('route', 'get', ip)) as { type?: string; dev?: string }[];
      if (route?.type === 'local')
        return bad(`${ip} is an address of this machine; pods are served only inside network namespace ${netns}`);
      const [link] = route?.dev
        ? ((await ipJson('link', 'show', 'dev', route.dev)) as { link_netnsid?: number }[])
        : [];
      if (ns.id === undefined || link?.link_netnsid !== ns.id)
        return bad(
          `${ip} is routed via ${route?.dev ?? 'nothing'}, not into network namespace ${netns}; scripts/podnet-up.sh routes ${POD_CIDR} there`,
        );
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    return bad(err.code === 'ENOENT' ? 'ip (iproute2) is not installed' : `ip: ${(err.stderr ?? err.message).trim()}`);
  }
  return { netns };
}

/** The IPv4 addresses of this machine's interfaces that fall inside `cidr`. */
export function hostAddressesIn(cidr: string): string[] {
  const [base, bits] = cidr.split('/') as [string, string];
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  const inside = (a: string): boolean => (ipv4(a) & mask) >>> 0 === (ipv4(base) & mask) >>> 0;
  return Object.values(networkInterfaces()).flatMap((addrs) =>
    (addrs ?? []).filter((a) => a.family === 'IPv4' && inside(a.address)).map((a) => a.address),
  );
}

function ipv4(a: string): number {
  return a.split('.').reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0);
}

async function ipJson(...args: string[]): Promise<unknown> {
  const { stdout } = await execFileP('ip', ['-j', ...args]);
  return stdout.trim() ? JSON.parse(stdout) : [];
}

/**
 * The containers of the lab's pods, as far as the network sees them: while a pod is Ready, each of its
 * TCP container ports answers HTTP with 200 and a line that names the pod. When the pod stops being
 * Ready or goes away, its ports close, so a real apiserver's service proxy sees what it would see in a
 * cluster: a ready endpoint answers, a dead one refuses. Used only on a real apiserver; the lab's own
 * apiserver answers its service proxy itself.
 *
 * The pod addresses live in a network namespace, never on the host, so the ports are bound there by a
 * forwarder (podForwarder) that relays each connection back to a unix socket of this process, where the
 * answer is made. Unix sockets by path cross network namespaces; the host's 127.0.0.1 does not.
 */
export class PodNetwork {
  private readonly open = new Map<string, Server>();
  private readonly failed = new Set<string>();
  private readonly netns: string;
  private readonly note: (msg: string) => void;
  private fwd: Forwarder | undefined;
  private broken = false;
  private restarts = 0;

  constructor(netns: string, note: (msg: string) => void) {
    this.netns = netns;
    this.note = note;
  }

  async sync(pods: KubeObject[]): Promise<void> {
    if (this.fwd?.exited) await this.forwarderDied(this.fwd);
    const want = new Map<string, KubeObject>();
    for (const p of pods) {
      const ip = p.status?.podIP as string | undefined;
      if (!ip || !isPodReady(p)) continue;
      for (const port of containerPorts(p)) want.set(`${ip}:${port}`, p);
    }
    for (const [key, server] of this.open) {
      if (want.has(key)) continue;
      this.open.delete(key);
      const [ip, port] = splitKey(key);
      // refuse new connections in the namespace first, then stop answering the ones already relayed
      await this.fwd?.request({ op: 'close', ip, port }).catch(() => undefined);
      await closeServer(server);
    }
    for (const [key, pod] of want) {
      if (this.open.has(key) || this.failed.has(key)) continue;
      const fwd = await this.forwarder();
      if (!fwd) return;
      const [ip, port] = splitKey(key);
      const name = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
      const socket = join(fwd.dir, `${ip}-${port}.sock`);
      let server: Server | undefined;
      try {
        server = await listenUnix(socket, name);
        await fwd.request({ op: 'open', ip, port, socket });
        this.open.set(key, server);
      } catch (e) {
        if (server) await closeServer(server);
        if (fwd.exited) return this.forwarderDied(fwd);
        // one address that cannot be bound must not stop the reconcile loop; say so once
        this.failed.add(key);
        this.note(
          `pod network: cannot listen on ${key} in network namespace ${this.netns} for ${name}: ${(e as Error).message}`,
        );
      }
    }
  }

  async close(): Promise<void> {
    const servers = [...this.open.values()];
    this.open.clear();
    await Promise.all(servers.map(closeServer));
    await this.fwd?.close();
    this.fwd = undefined;
  }

  private async forwarder(): Promise<Forwarder | undefined> {
    if (this.broken) return undefined;
    this.fwd ??= await Forwarder.start(this.netns);
    return this.fwd;
  }

  /**
   * Its ports went with it. One that never answered cannot start here (not root, no such namespace):
   * say so once and stop. One that worked is started again on the next sync, a few times at most.
   */
  private async forwarderDied(fwd: Forwarder): Promise<void> {
    if (this.fwd !== fwd) return;
    this.fwd = undefined;
    await fwd.close();
    const servers = [...this.open.values()];
    this.open.clear();
    this.failed.clear();
    await Promise.all(servers.map(closeServer));
    this.broken = !fwd.answered || ++this.restarts > 3;
    this.note(
      `pod network: the forwarder in network namespace ${this.netns} exited (${fwd.exited})${this.broken ? '; the pods are not reachable through a real apiserver' : '; starting it again'}`,
    );
  }
}

/** The forwarder process, `ip netns exec <ns> node <its source>`, driven by JSON lines. */
class Forwarder {
  readonly dir: string;
  /** Why it is gone, once it is. */
  exited: string | undefined;
  /** Whether it ever answered a request: tells "cannot start" from "died". */
  answered = false;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly gone: Promise<void>;
  private nextId = 1;
  private stderr = '';

  private constructor(dir: string, child: ChildProcessWithoutNullStreams) {
    this.dir = dir;
    this.child = child;
    child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      let r: ForwarderReply;
      try {
        r = JSON.parse(line) as ForwarderReply;
      } catch {
        return;
      }
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      this.answered = true;
      if (r.ok) p?.resolve();
      else p?.reject(new Error(r.error ?? 'refused'));
    });
    this.gone = new Promise((resolve) => {
      const end = (why: string): void => {
        if (this.exited) return;
        this.exited = why;
        for (const p of this.pending.values()) p.reject(new Error(`the forwarder exited (${why})`));
        this.pending.clear();
        resolve();
      };
      child.on('error', (e) => end(e.message));
      child.on('close', (code, signal) => {
        // the message, not the stack under it nor node's version line
        const said = this.stderr
          .split('\n')
          .filter((l) => l.trim() && !/^\s+at |^Node\.js v/.test(l))
          .slice(-2)
          .join(' ')
          .trim();
        end(`${signal ?? `code ${code}`}${said ? `: ${said}` : ''}`);
      });
    });
  }

  static async start(netns: string): Promise<Forwarder> {
    await sweepDirsOfDeadLabs();
    const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
    await writeFile(join(dir, OWNER_FILE), String(process.pid));
    const script = join(dir, 'forwarder.mjs');
    // esbuild with keepNames (tsx, vitest) wraps the function's inner functions in its __name helper
    await writeFile(script, `const __name = (f) => f;\n(${podForwarder.toString()})();\n`);
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, script], { stdio: ['pipe', 'pipe', 'pipe'] });
    // a forwarder that died must not take the lab down with an EPIPE
    child.stdin.on('error', () => undefined);
    return new Forwarder(dir, child);
  }

  request(r: ForwarderCommand): Promise<void> {
    if (this.exited) return Promise.reject(new Error(`the forwarder exited (${this.exited})`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ ...r, id })}\n`);
    });
  }

  /** Its stdin ending is its signal to close its ports and exit; a kill only if it does not. */
  async close(): Promise<void> {
    this.child.stdin.end();
    // the grace of a real child process, which lives on the machine's time whatever the lab's clock: Node's timer
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.gone;
    clearTimeout(timer);
    await rm(this.dir, { recursive: true, force: true });
  }
}

const DIR_PREFIX = 'kdrill-podnet-';
const OWNER_FILE = 'owner.pid';

/** A lab that was killed (lab down ends one that does not stop in time) leaves its socket directory behind. */
async function sweepDirsOfDeadLabs(): Promise<void> {
  const base = tmpdir();
  for (const name of await readdir(base).catch(() => [])) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const pid = Number(await readFile(join(base, name, OWNER_FILE), 'utf8').catch(() => ''));
    if (pid > 0 && !processAlive(pid)) await rm(join(base, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(':');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}

function containerPorts(p: KubeObject): number[] {
  const containers =
    (p.spec?.containers as { ports?: { containerPort?: number; protocol?: string }[] }[] | undefined) ?? [];
  return containers.flatMap((c) =>
    (c.ports ?? []).filter((x) => (x.protocol ?? 'TCP') === 'TCP' && x.containerPort).map((x) => x.containerPort!),
  );
}

async function listenUnix(path: string, pod: string): Promise<Server> {
  // a socket file left by an earlier open of the same pod port would make listen fail
  await rm(path, { force: true });
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`kdrill lab: pod ${pod} is ready\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function closeServer(s: Server): Promise<void> {
  return new Promise((r) => {
    s.close(() => r());
    s.closeAllConnections();
  });
}
