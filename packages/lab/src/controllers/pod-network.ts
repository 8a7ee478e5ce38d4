import { createServer, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { KubeObject } from '../core.js';
import { isPodReady } from './pods.js';

/** The lab's pod addresses: 10.244.0.0/16, one /17 per cluster of a two-cluster lab. */
export const POD_CIDR = '10.244.0.0/16';

export function podIpAt(cluster: number, n: number): string {
  const i = cluster * 32768 + n;
  return `10.244.${(i >> 8) & 255}.${i & 255}`;
}

/**
 * True when POD_CIDR is an address of this machine (`ip addr add 10.244.0.0/16 dev lo`), so a
 * server bound to a pod IP is reachable by a real kube-apiserver's service proxy. Endpoints refuse
 * loopback addresses, which is why the lab cannot simply use 127.0.0.0/8 for pods.
 */
export function podNetworkIsLocal(): boolean {
  return Object.values(networkInterfaces()).some((addrs) => addrs?.some((a) => a.family === 'IPv4' && a.cidr === POD_CIDR));
}

/**
 * The containers of the lab's pods, as far as the network sees them: while a pod is Ready, each of its
 * TCP container ports answers HTTP with 200 and a line that names the pod. When the pod stops being
 * Ready or goes away, its ports close, so a real apiserver's service proxy sees what it would see in a
 * cluster: a ready endpoint answers, a dead one refuses. Used only on a real apiserver; the lab's own
 * apiserver answers its service proxy itself.
 */
export class PodNetwork {
  private readonly open = new Map<string, Server>();
  private readonly failed = new Set<string>();

  private readonly note: (msg: string) => void;

  constructor(note: (msg: string) => void) {
    this.note = note;
  }

  async sync(pods: KubeObject[]): Promise<void> {
    const want = new Map<string, KubeObject>();
    for (const p of pods) {
      const ip = p.status?.podIP as string | undefined;
      if (!ip || !isPodReady(p)) continue;
      for (const port of containerPorts(p)) want.set(`${ip}:${port}`, p);
    }
    for (const [key, server] of this.open) {
      if (want.has(key)) continue;
      this.open.delete(key);
      await closeServer(server);
    }
    for (const [key, pod] of want) {
      if (this.open.has(key) || this.failed.has(key)) continue;
      const [ip, port] = key.split(':') as [string, string];
      try {
        this.open.set(key, await listen(ip, Number(port), `${pod.metadata?.namespace}/${pod.metadata?.name}`));
      } catch (e) {
        // one address that cannot be bound must not stop the reconcile loop; say so once
        this.failed.add(key);
        this.note(`pod network: cannot listen on ${key} for ${pod.metadata?.namespace}/${pod.metadata?.name}: ${(e as Error).message}`);
      }
    }
  }

  async close(): Promise<void> {
    const servers = [...this.open.values()];
    this.open.clear();
    await Promise.all(servers.map(closeServer));
  }
}

function containerPorts(p: KubeObject): number[] {
  const containers = (p.spec?.containers as { ports?: { containerPort?: number; protocol?: string }[] }[] | undefined) ?? [];
  return containers.flatMap((c) => (c.ports ?? []).filter((x) => (x.protocol ?? 'TCP') === 'TCP' && x.containerPort).map((x) => x.containerPort!));
}

function listen(ip: string, port: number, pod: string): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`kdrill lab: pod ${pod} is ready\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, ip, () => {
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
