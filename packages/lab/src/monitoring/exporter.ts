import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeApi, KubeObject } from '../core.js';
import { kubeStateMetrics } from './ksm.js';

/** A Service Prometheus scrapes as a target, in the namespace it belongs to. */
export interface ServiceTarget {
  namespace: string;
  name: string;
}

const selects = (selector: Record<string, string>, p: KubeObject): boolean =>
  Object.entries(selector).every(([k, v]) => p.metadata?.labels?.[k] === v);
const ready = (p: KubeObject): boolean =>
  !p.metadata?.deletionTimestamp &&
  ((p.status?.conditions as { type: string; status: string }[] | undefined)?.some(
    (c) => c.type === 'Ready' && c.status === 'True',
  ) ??
    false);

/** The Services of these namespaces whose selector picks a pod now: the app's scrape targets. */
export async function serviceTargets(kube: KubeApi, namespaces: string[]): Promise<ServiceTarget[]> {
  const out: ServiceTarget[] = [];
  for (const ns of namespaces) {
    const pods = (await kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: ns })).items;
    for (const s of (await kube.list({ apiVersion: 'v1', kind: 'Service' }, { namespace: ns })).items) {
      const sel = s.spec?.selector as Record<string, string> | undefined;
      if (sel && Object.keys(sel).length && pods.some((p) => selects(sel, p)))
        out.push({ namespace: ns, name: s.metadata?.name ?? '' });
    }
  }
  return out;
}

/**
 * The lab's exporter: `/metrics` is kube-state-metrics (computed from the cluster's objects on each
 * scrape); `/targets/<namespace>/<service>/metrics` stands in for the app's own metrics endpoint, as
 * the lab's service proxy stands in for its pods: it answers while the Service has a ready endpoint,
 * and 503 (or 404 once the Service is gone) otherwise, so `up` goes to 0 as it would on a real cluster.
 */
export class LabExporter {
  url = '';
  private readonly server: Server;
  private readonly kube: KubeApi;

  constructor(kube: KubeApi) {
    this.kube = kube;
    this.server = createServer((req, res) => {
      this.answer(req.url ?? '/').then(
        (r) => res.writeHead(r.status, { 'Content-Type': 'text/plain; version=0.0.4' }).end(r.body),
        (e: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${e.message}\n`),
      );
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  private async answer(path: string): Promise<{ status: number; body: string }> {
    if (path === '/metrics') return { status: 200, body: await kubeStateMetrics(this.kube) };
    const m = /^\/targets\/([^/]+)\/([^/]+)\/metrics$/.exec(path);
    if (!m) return { status: 404, body: 'not found\n' };
    const [ns, name] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
    const svc = await this.kube.get({ apiVersion: 'v1', kind: 'Service', namespace: ns, name });
    if (!svc) return { status: 404, body: `service ${ns}/${name} not found\n` };
    const sel = (svc.spec?.selector ?? {}) as Record<string, string>;
    const pods = (await this.kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: ns })).items;
    const n = pods.filter((p) => selects(sel, p) && ready(p)).length;
    if (!n) return { status: 503, body: `service ${ns}/${name} has no ready endpoints\n` };
    return {
      status: 200,
      body: `# HELP kdrill_lab_service_ready_endpoints Ready pods behind the Service.\n# TYPE kdrill_lab_service_ready_endpoints gauge\nkdrill_lab_service_ready_endpoints ${n}\n`,
    };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
