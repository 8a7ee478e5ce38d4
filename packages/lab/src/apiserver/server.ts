import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { SelectorSyntaxError, matchesRequirements } from '../core.js';
import type { KubeObject, Requirement } from '../core.js';
import { listenLoopback } from '../listen.js';
import { LabCluster, type LabClusterOptions } from './core.js';
import { AggregatedUnavailable, discovery, type Aggregated } from './discovery.js';
import { matchesFields, parseFieldSelector, type FieldRequirement } from './fields.js';
import { json, notFoundPath, parseSelector, readJson, text } from './http.js';
import { ListPager } from './paging.js';
import { groupVersion, type ResourceType } from './resources.js';
import { ApiError, badRequest, methodNotAllowed, notFound } from './status.js';
import { toTable, wantsTable } from './tables.js';
import { serveWatch } from './watch.js';

export interface LabApiServerOptions extends LabClusterOptions {
  port?: number;
  /** Bearer token clients must send; undefined accepts any client (tests). */
  token?: string;
  bookmarkIntervalMs?: number;
  maxBodyBytes?: number;
}

export const LAB_VERSION = { major: '1', minor: '30', gitVersion: 'v1.30.0+kdrill-lab', platform: 'linux/amd64' };

/** A Kubernetes REST API on 127.0.0.1, over node:http, in front of a LabCluster. See src/lab/SPEC.md. */
export class LabApiServer {
  readonly cluster: LabCluster;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly opts: LabApiServerOptions;
  private readonly pager = new ListPager();

  constructor(opts: LabApiServerOptions = {}) {
    this.opts = opts;
    this.cluster = new LabCluster(opts);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    });
  }

  async listen(port = this.opts.port ?? 0): Promise<string> {
    await listenLoopback(this.server, port, this.sockets);
    return this.url;
  }

  get url(): string {
    const a = this.server.address();
    if (!a || typeof a === 'string') throw new Error('lab API server is not listening');
    return `http://127.0.0.1:${a.port}`;
  }

  /** Cuts every open connection, watches included: what a network blip does to clients. */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.cluster.lifecycle.stop();
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A write's answer, with the admission warnings it raised as Warning headers (RFC 7234 code 299, as kube-apiserver sends them). */
  private written(res: ServerResponse, code: number, body: unknown): void {
    const warnings = this.cluster.takeWarnings();
    if (warnings.length)
      res.setHeader(
        'Warning',
        warnings.map((w) => `299 - "${w.replace(/["\\]/g, (c) => `\\${c}`)}"`),
      );
    json(res, code, body);
  }

  /** APIServices served by another server: the lab has no aggregation proxy, so none of them answers. */
  private aggregated(): Aggregated[] {
    const t = this.cluster.registry.lookup('apiregistration.k8s.io', 'v1', 'apiservices');
    if (!t) return [];
    return this.cluster
      .list(t, undefined)
      .filter((a) => a.spec?.service)
      .map((a) => ({ group: String(a.spec.group ?? ''), version: String(a.spec.version ?? '') }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.opts.token !== undefined && req.headers.authorization !== `Bearer ${this.opts.token}`) {
      throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    }
    const url = new URL(req.url ?? '/', 'http://lab');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';

    if (path === '/healthz' || path === '/readyz' || path === '/livez') return text(res, 200, 'ok');
    if (path === '/version')
      return json(res, 200, {
        ...LAB_VERSION,
        gitCommit: 'lab',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'node',
        compiler: 'node',
      });
    let disc: object | null | undefined;
    try {
      disc = discovery(this.cluster.registry, path, this.aggregated());
    } catch (e) {
      if (!(e instanceof AggregatedUnavailable)) throw e;
      throw new ApiError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
    }
    if (disc !== undefined) {
      if (disc === null) throw notFoundPath();
      return json(res, 200, disc);
    }

    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/(.+)$/.exec(path);
    if (!m) throw notFoundPath();
    const group = m[2] ?? '';
    const version = m[1] ?? m[3]!;
    const segs = m[4]!.split('/').map(decodeURIComponent);
    let ns: string | undefined;
    if (
      segs[0] === 'namespaces' &&
      segs.length >= 3 &&
      !(segs.length === 3 && (segs[2] === 'status' || segs[2] === 'finalize'))
    ) {
      ns = segs[1];
      segs.splice(0, 2);
    }
    const [resource, name, sub, ...extra] = segs;
    if (resource === 'services' && sub === 'proxy' && ns !== undefined && name !== undefined && method === 'GET')
      return this.serviceProxy(ns, name, res);
    if (!resource || extra.length > 0) throw notFoundPath();
    const t = this.cluster.registry.lookup(group, version, resource);
    if (!t) throw notFoundPath();
    if (t.namespaced !== (ns !== undefined) && name !== undefined) throw notFoundPath();
    const q = url.searchParams;

    if (name === undefined) return this.collection(t, ns, method, q, req, res);
    if (sub !== undefined && !['status', 'binding', 'finalize'].includes(sub)) throw notFoundPath();
    return this.item(t, ns, name, sub, method, q, req, res);
  }

  private async collection(
    t: ResourceType,
    ns: string | undefined,
    method: string,
    q: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    // a bad selector is refused whatever the method, as kube-apiserver does
    const labels = parseSelector(q.get('labelSelector'));
    const fields = parseFieldSelector(q.get('fieldSelector') ?? undefined);
    const selected = (): KubeObject[] =>
      this.cluster
        .list(t, ns)
        .filter((o) => matchesRequirements(o.metadata?.labels ?? {}, labels) && matchesFields(o, fields));
    if (method === 'GET' && (q.get('watch') === 'true' || q.get('watch') === '1'))
      return this.watch({ t, ns, q, req, res, labels, fields });
    if (method === 'GET') return this.listPage(t, ns, selected, q, req, res);
    if (method === 'POST') {
      const body = await readJson(req, this.opts.maxBodyBytes);
      return this.written(res, 201, this.cluster.create(t, ns, body));
    }
    if (method === 'DELETE') {
      const deleted = selected().map((o) => this.cluster.delete(t, ns, o.metadata?.name ?? ''));
      return json(res, 200, { kind: t.listKind, apiVersion: groupVersion(t), metadata: {}, items: deleted });
    }
    throw methodNotAllowed(`${method} is not supported on a collection`);
  }

  private watch(w: {
    t: ResourceType;
    ns: string | undefined;
    q: URLSearchParams;
    req: IncomingMessage;
    res: ServerResponse;
    labels: Requirement[];
    fields: FieldRequirement[];
  }): void {
    const timeoutS = Number(w.q.get('timeoutSeconds') ?? '1800');
    serveWatch(
      this.cluster,
      {
        type: w.t,
        namespace: w.ns,
        resourceVersion: w.q.get('resourceVersion') ?? undefined,
        labels: w.labels,
        fields: w.fields,
        bookmarks: w.q.get('allowWatchBookmarks') === 'true',
        timeoutMs: (Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS : 1800) * 1000,
        bookmarkIntervalMs: this.opts.bookmarkIntervalMs ?? 5000,
      },
      w.res,
      (fn) => {
        w.req.on('close', fn);
        w.res.on('close', fn);
      },
    );
  }

  /** A page of a list (`limit`, `continue`, as a real server pages: see paging.ts), as JSON or, for kubectl, as a Table. */
  private listPage(
    t: ResourceType,
    ns: string | undefined,
    select: () => KubeObject[],
    q: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    const query = `${t.group}/${t.resource} ${ns ?? ''} ${q.get('labelSelector') ?? ''} ${q.get('fieldSelector') ?? ''}`;
    const versions = {
      rv: this.cluster.store.currentResourceVersion(),
      floor: this.cluster.store.oldestResourceVersion(),
    };
    const p = this.pager.page(q, query, select, versions);
    if (wantsTable(req.headers.accept))
      return json(res, 200, toTable(t, p.items, p.resourceVersion, this.cluster.clock.now().getTime()));
    return json(res, 200, {
      kind: t.listKind,
      apiVersion: groupVersion(t),
      metadata: {
        resourceVersion: p.resourceVersion,
        ...(p.continue ? { continue: p.continue, remainingItemCount: p.remainingItemCount } : {}),
      },
      items: p.items,
    });
  }

  private async item(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    sub: string | undefined,
    method: string,
    q: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    if (sub === 'binding') {
      if (method !== 'POST' || t.resource !== 'pods' || t.group !== '') throw notFoundPath();
      return json(res, 201, this.cluster.bind(ns!, name, await readJson(req, this.opts.maxBodyBytes)));
    }
    const status = sub === 'status' ? 'status' : undefined;
    if (sub === 'status' && !t.statusSubresource) throw notFoundPath();
    if (sub === 'finalize') {
      if (t.resource !== 'namespaces' || method !== 'PUT') throw notFoundPath();
      return this.finalize(t, name, req, res);
    }
    switch (method) {
      case 'GET': {
        const o = this.cluster.get(t, ns, name);
        if (wantsTable(req.headers.accept)) {
          const rv = String(this.cluster.store.currentResourceVersion());
          return json(res, 200, toTable(t, [o], rv, this.cluster.clock.now().getTime()));
        }
        return json(res, 200, o);
      }
      case 'PUT': {
        const body = await readJson(req, this.opts.maxBodyBytes);
        return this.written(res, 200, this.cluster.update(t, ns, name, body, status));
      }
      case 'PATCH': {
        const type = this.cluster.parsePatchType(req.headers['content-type']);
        const body = await readJson(req, this.opts.maxBodyBytes, true);
        return this.written(res, 200, this.cluster.patch(t, ns, name, type, body, status));
      }
      case 'DELETE':
        return this.deleteItem(t, ns, name, q, req, res);
      default:
        throw methodNotAllowed(`${method} is not supported`);
    }
  }

  /** PUT namespaces/<n>/finalize: the namespace's spec.finalizers replaced, as the namespace controller does. */
  private async finalize(t: ResourceType, name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req, this.opts.maxBodyBytes);
    const cur = this.cluster.get(t, undefined, name);
    const finalized = { ...cur, spec: { ...cur.spec, finalizers: body.spec?.finalizers ?? [] } };
    json(res, 200, this.cluster.update(t, undefined, name, finalized));
  }

  private async deleteItem(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    q: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const body = (await readJson(req, this.opts.maxBodyBytes, true, true)) as
      { propagationPolicy?: string; preconditions?: object } | undefined;
    const policy = (q.get('propagationPolicy') ?? body?.propagationPolicy) as
      'Background' | 'Foreground' | 'Orphan' | undefined;
    if (policy && !['Background', 'Foreground', 'Orphan'].includes(policy))
      throw badRequest(`invalid propagationPolicy "${policy}"`);
    json(res, 200, this.cluster.delete(t, ns, name, { propagationPolicy: policy, preconditions: body?.preconditions }));
  }

  /**
   * The service proxy of a real apiserver forwards to a pod of the Service. The lab has no processes, so
   * it answers as a healthy app would while the Service has a Ready pod behind it, and 503 otherwise.
   */
  private serviceProxy(ns: string, nameAndPort: string, res: ServerResponse): void {
    const name = nameAndPort.split(':')[0]!;
    const svc = this.cluster.store.get('/services', ns, name);
    if (!svc) throw notFound('', 'services', name);
    const selector = (svc.spec?.selector ?? {}) as Record<string, string>;
    const pods = this.cluster.store
      .list('/pods', ns)
      .filter((p) => Object.entries(selector).every(([k, v]) => p.metadata?.labels?.[k] === v));
    const ready = pods.filter(
      (p) =>
        !p.metadata?.deletionTimestamp &&
        (p.status?.conditions as { type: string; status: string }[] | undefined)?.some(
          (c) => c.type === 'Ready' && c.status === 'True',
        ),
    );
    if (ready.length === 0) {
      res
        .writeHead(503, { 'Content-Type': 'text/plain' })
        .end(`kdrill lab: service ${ns}/${name} has no ready endpoints\n`);
      return;
    }
    res
      .writeHead(200, { 'Content-Type': 'text/plain' })
      .end(`kdrill lab: ${ns}/${name} is ready (${ready.length}/${pods.length} endpoints)\n`);
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof ApiError) return json(res, err.code, err.toStatus());
    if (err instanceof SelectorSyntaxError) return json(res, 400, badRequest(err.message).toStatus());
    const e = new ApiError(
      500,
      'InternalError',
      `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`,
    );
    json(res, 500, e.toStatus());
  }
}
