import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { DrillError, ExitCode } from '../errors.js';
import { systemClock, type Clock } from '../time/clock.js';
import { goJson } from './go-json.js';
import { KeepAliveAgents } from './keep-alive.js';
import { KubeApiError, fromResponse, isKubeApiError, silent, unreachable } from './errors.js';
import type {
  DeleteOptions,
  KubeApi,
  ListOptions,
  ListResult,
  ObjectRef,
  PatchKind,
  ServedResource,
  TypeRef,
  WatchHandle,
  WatchOptions,
} from './kube-api.js';
import { defaultRetry, withRetry, type Attempt, type RetryMode, type RetryPolicy } from './retry.js';
import type { KubeObject } from './types.js';
import { runWatch } from './watch-loop.js';

export interface KubeConnectOptions {
  kubeconfig?: string;
  context?: string;
  retry?: RetryPolicy;
  /** Where a discovery warning goes (an API group that does not answer); default: stderr, once per group. */
  onWarning?: (message: string) => void;
  /** How long one request may go unanswered (kubectl's --request-timeout); default 30 s. */
  requestTimeoutMs?: number;
  /** What deadlines, backoff and discovery's skip window run on; systemClock unless given. */
  clock?: Clock;
}

/** How the adapter behaves, apart from where it connects (the KubeConfig). */
export interface ClientNodeOptions {
  /** Backoff; its sleep is the clock's unless the policy brings its own. */
  retry?: RetryPolicy;
  onWarning?: (message: string) => void;
  timeoutMs?: number;
  clock?: Clock;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Objects per list page: kubectl's chunk size (--chunk-size). */
const LIST_PAGE = 500;
/** How long a group that failed discovery is skipped before it is asked again. */
const SKIP_FOR_MS = 60_000;
/** The label of every object a drill run creates: a retried create that meets its own object has succeeded. */
export const RUN_LABEL = 'kdrill.dev/run-id';

const warnedOnce = new Set<string>();
const stderrOnce = (m: string): void => {
  if (warnedOnce.has(m)) return;
  warnedOnce.add(m);
  process.stderr.write(`warning: ${m}\n`);
};

interface Resolved {
  path: string; // collection path, with {ns} placeholder for namespaced kinds
  namespaced: boolean;
  hasStatus: boolean;
}

const PATCH_TYPES: Record<PatchKind, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

/**
 * Loads a kubeconfig the way kubectl does (--kubeconfig, else $KUBECONFIG, else ~/.kube/config) and
 * selects the context. Every problem is one DrillError with a hint, exit 4.
 */
export function loadKubeConfig(opts: KubeConnectOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (cause) {
    const where = opts.kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config';
    const msg = (cause as Error).message.split('\n')[0];
    throw new DrillError('KUBECONFIG_INVALID', `cannot read kubeconfig ${where}: ${msg}`, ExitCode.Precondition, {
      hint: 'check the file is a valid kubeconfig (kubectl config view --kubeconfig FILE), or pass --kubeconfig',
      cause,
    });
  }
  if (opts.context) {
    if (!kc.getContexts().some((c) => c.name === opts.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new DrillError(
        'KUBE_CONTEXT_UNKNOWN',
        `context "${opts.context}" is not in the kubeconfig`,
        ExitCode.Precondition,
        {
          hint: known.length
            ? `known contexts: ${known.join(', ')}`
            : 'the kubeconfig has no contexts; for the lab run `kdrill lab up`',
        },
      );
    }
    kc.setCurrentContext(opts.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!kc.getCurrentContext() || !cluster) {
    throw new DrillError(
      'KUBE_CONTEXT_UNKNOWN',
      'the kubeconfig has no current context with a cluster',
      ExitCode.Precondition,
      {
        hint: 'pass --context NAME, or set current-context in the kubeconfig',
      },
    );
  }
  try {
    new URL(cluster.server);
  } catch (cause) {
    throw new DrillError(
      'KUBECONFIG_INVALID',
      `the server URL of cluster "${cluster.name}" is not a URL: ${cluster.server}`,
      ExitCode.Precondition,
      {
        hint: 'fix clusters[].cluster.server in the kubeconfig',
        cause,
      },
    );
  }
  return kc;
}

export function connectKube(opts: KubeConnectOptions = {}): KubeApi {
  return new ClientNodeKubeApi(loadKubeConfig(opts), {
    retry: opts.retry,
    onWarning: opts.onWarning,
    timeoutMs: opts.requestTimeoutMs ?? envTimeout(),
    clock: opts.clock,
  });
}

/** KDRILL_REQUEST_TIMEOUT (seconds), which --request-timeout sets for the whole process (labs and runbooks included). */
function envTimeout(): number | undefined {
  const v = Number(process.env.KDRILL_REQUEST_TIMEOUT);
  return Number.isFinite(v) && v > 0 ? v * 1000 : undefined;
}

/**
 * The one adapter over @kubernetes/client-node: its KubeConfig for contexts, credentials and TLS,
 * its Watch for streams. Requests carry raw JSON rather than going through KubernetesObjectApi,
 * whose typed (de)serialisation turns timestamps into Dates and drops fields it does not know:
 * kdrill hashes specs and round-trips Velero objects, so it needs the server's JSON as sent.
 */
export class ClientNodeKubeApi implements KubeApi {
  readonly context: string;
  readonly server: string;
  private readonly kc: KubeConfig;
  private readonly retry: RetryPolicy;
  private readonly discovered = new Map<string, Map<string, Resolved>>(); // apiVersion -> kind -> info
  private served?: ServedResource[]; // the last resources() answer, for a caller that may reuse it
  private fixedOptions?: RequestOptions; // credentials that cannot change, worked out once
  private readonly onWarning: (message: string) => void;
  private readonly skipped = new Map<string, string>(); // group-version -> why discovery skipped it
  private warnings: string[] = [];
  private readonly skippedAt = new Map<string, number>();

  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly agents = new KeepAliveAgents();

  constructor(kc: KubeConfig, opts: ClientNodeOptions = {}) {
    this.kc = kc;
    this.clock = opts.clock ?? systemClock;
    const clock = this.clock;
    this.retry = opts.retry ?? { ...defaultRetry, sleep: (ms) => clock.sleep(ms) };
    this.onWarning = opts.onWarning ?? stderrOnce;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.context = kc.getCurrentContext();
    this.server = kc.getCurrentCluster()!.server.replace(/\/+$/, '');
  }

  async serverVersion(): Promise<{ gitVersion: string; major: string; minor: string }> {
    return JSON.parse(await this.call('GET', '/version', undefined, 'read the server version')) as {
      gitVersion: string;
      major: string;
      minor: string;
    };
  }

  /**
   * Every listable kind, at each group's preferred version. An API group that does not answer (an
   * aggregated API whose Service is down, as metrics-server often is) is skipped with one warning, as
   * kubectl skips it: discovery of everything else must not fail for it.
   */
  async resources(o: { reuse?: boolean } = {}): Promise<ServedResource[]> {
    if (o.reuse && this.served) return [...this.served];
    const out: ServedResource[] = [];
    const gvs = ['v1'];
    const groups = JSON.parse(await this.call('GET', '/apis', undefined, 'discover API groups')) as {
      groups?: { name: string; preferredVersion?: { groupVersion: string } }[];
    };
    for (const g of groups.groups ?? []) if (g.preferredVersion) gvs.push(g.preferredVersion.groupVersion);
    const lists = await Promise.all(gvs.map((gv) => this.groupVersionResources(gv)));
    for (const [i, list] of lists.entries()) {
      const gv = gvs[i]!;
      const group = gv.includes('/') ? gv.split('/')[0]! : '';
      for (const r of list ?? []) {
        if (r.name.includes('/') || !(r.verbs ?? []).includes('list')) continue;
        out.push({
          apiVersion: gv,
          group,
          kind: r.kind,
          resource: r.name,
          namespaced: r.namespaced,
          verbs: r.verbs ?? [],
          ...(r.singularName ? { singular: r.singularName } : {}),
          ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
        });
      }
    }
    this.served = out;
    return [...out];
  }

  takeWarnings(): string[] {
    const w = this.warnings;
    this.warnings = [];
    return w;
  }

  /** Group-versions discovery had to skip, and why (the same words as its warning). */
  discoveryWarnings(): string[] {
    return [...this.skipped.values()];
  }

  private async groupVersionResources(gv: string): Promise<DiscoveredResource[] | undefined> {
    const path = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
    // a group found broken a moment ago is skipped at once; a fresh failure is retried as any read
    // (a transient 500 must not drop a whole group from an inventory), so a broken one costs the backoff once
    const since = this.skippedAt.get(gv);
    if (since !== undefined && this.clock.now().getTime() - since < SKIP_FOR_MS) return undefined;
    try {
      const body = await this.call('GET', path, undefined, `discover ${gv}`, { allow404: true });
      this.skippedAt.delete(gv);
      if (body === undefined) return undefined; // a group that went away between the two calls
      const resources = (JSON.parse(body) as { resources?: DiscoveredResource[] }).resources ?? [];
      // the same document resolve() reads: kinds used next are not asked for again
      this.remember(gv, resources);
      return resources;
    } catch (e) {
      if (gv === 'v1' || !(e instanceof KubeApiError)) throw e;
      const why = `couldn't get the resource list for ${gv} (HTTP ${e.status}: ${e.message
        .replace(/^cannot discover [^:]+: /, '')
        .replace(/\s+/g, ' ')
        .trim()}); kdrill goes on without it, as kubectl does`;
      if (!this.skipped.has(gv)) this.onWarning(why);
      this.skipped.set(gv, why);
      this.skippedAt.set(gv, this.clock.now().getTime());
      return undefined;
    }
  }

  async serves(type: TypeRef): Promise<boolean> {
    return (await this.resolve(type)) !== undefined;
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const url = await this.itemPath(ref);
    const body = await this.call('GET', url, undefined, `get ${describe(ref)}`, { allow404: true });
    return body === undefined ? undefined : (JSON.parse(body) as KubeObject);
  }

  async list(type: TypeRef, opts: ListOptions = {}): Promise<ListResult> {
    let items: KubeObject[] = [];
    const resourceVersion = await this.listEach(type, opts, (page, restart) => {
      if (restart) items = [];
      for (const it of page) items.push(it);
    });
    return { items, resourceVersion };
  }

  /**
   * Pages of LIST_PAGE objects, as kubectl asks for them. A list the server expired half-way (410: its
   * snapshot was compacted) is listed again whole, without a limit, as client-go's pager does.
   */
  async listEach(
    type: TypeRef,
    opts: ListOptions,
    onPage: (items: KubeObject[], restart: boolean) => void,
  ): Promise<string> {
    const base = await this.collectionPath(type, opts.namespace, true);
    const query = (limit: number, cont: string): string => {
      const q = new URLSearchParams();
      if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
      if (opts.fieldSelector) q.set('fieldSelector', opts.fieldSelector);
      if (limit) q.set('limit', String(limit));
      if (cont) q.set('continue', cont);
      return `${base}?${q}`;
    };
    const get = async (limit: number, cont: string): Promise<ListPage> => {
      const page = JSON.parse(await this.call('GET', query(limit, cont), undefined, `list ${type.kind}`)) as ListPage;
      // a list's items carry no apiVersion and kind of their own; kdrill's objects always do
      page.items = (page.items ?? []).map((it) => ({ apiVersion: type.apiVersion, kind: type.kind, ...it }));
      return page;
    };
    let page = await get(LIST_PAGE, '');
    let restart = true;
    for (;;) {
      const cont = page.metadata?.continue;
      // the next page is asked for before this one is handed over: the server works while the caller does
      const next = cont ? get(LIST_PAGE, cont) : undefined;
      next?.catch(() => undefined); // awaited below, unless onPage throws first
      onPage(page.items ?? [], restart);
      if (!next) return page.metadata?.resourceVersion ?? '';
      try {
        page = await next;
        restart = false;
      } catch (e) {
        if (!isKubeApiError(e, 410)) throw e;
        page = await get(0, '');
        restart = true;
      }
    }
  }

  /**
   * POST, retried like any other request when the answer was lost: a retry that meets 409
   * AlreadyExists on an object with this run's label (kdrill.dev/run-id) found its own earlier
   * attempt, which succeeded. Objects without that label get the 409 as it is.
   */
  async create(obj: KubeObject): Promise<KubeObject> {
    const ref = refOf(obj);
    const url = await this.collectionPath(ref, ref.namespace);
    const runId = obj.metadata?.labels?.[RUN_LABEL];
    const safe = runId !== undefined && !!ref.name;
    try {
      return JSON.parse(
        await this.call('POST', url, goJson(obj), `create ${describe(ref)}`, { mode: safe ? 'create' : 'once' }),
      ) as KubeObject;
    } catch (e) {
      if (!safe || !isKubeApiError(e, 409)) throw e;
      const existing = await this.get(ref);
      if (existing?.metadata?.labels?.[RUN_LABEL] === runId) return existing;
      throw e;
    }
  }

  async replace(obj: KubeObject): Promise<KubeObject> {
    const ref = refOf(obj);
    return JSON.parse(
      await this.call('PUT', await this.itemPath(ref), goJson(obj), `update ${describe(ref)}`),
    ) as KubeObject;
  }

  async patch(ref: ObjectRef, patch: unknown, kind: PatchKind = 'merge'): Promise<KubeObject> {
    return JSON.parse(
      await this.call('PATCH', await this.itemPath(ref), goJson(patch), `patch ${describe(ref)}`, {
        contentType: PATCH_TYPES[kind],
      }),
    ) as KubeObject;
  }

  async patchStatus(ref: ObjectRef, status: unknown): Promise<KubeObject> {
    const info = await this.resolve(ref);
    const url = (await this.itemPath(ref)) + (info?.hasStatus ? '/status' : '');
    return JSON.parse(
      await this.call('PATCH', url, goJson({ status }), `update the status of ${describe(ref)}`, {
        contentType: PATCH_TYPES.merge,
      }),
    ) as KubeObject;
  }

  async delete(ref: ObjectRef, opts: DeleteOptions = {}): Promise<boolean> {
    const body = JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', ...opts });
    const res = await this.call('DELETE', await this.itemPath(ref), body, `delete ${describe(ref)}`, {
      allow404: true,
    });
    return res !== undefined;
  }

  async proxyGet(
    namespace: string,
    service: string,
    port: string | number,
    path: string,
  ): Promise<{ status: number; body: string }> {
    const url = `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(`${service}:${port}`)}/proxy/${path.replace(/^\//, '')}`;
    const r = await withRetry(
      () => this.once('GET', url, undefined, `probe service ${namespace}/${service}`, { raw: true }),
      true,
      this.retry,
    );
    return JSON.parse(r as string) as { status: number; body: string };
  }

  async bindPod(namespace: string, name: string, node: string): Promise<void> {
    const body = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, namespace },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    };
    await this.call(
      'POST',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/binding`,
      JSON.stringify(body),
      `bind pod ${namespace}/${name}`,
    );
  }

  watch(type: TypeRef, opts: WatchOptions): WatchHandle {
    const watcher = new Watch(this.kc);
    const params = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, allowWatchBookmarks: true };
    return runWatch(
      {
        list: () => this.list(type, opts),
        stream: async (resourceVersion, onEvent, done) => {
          const path = await this.collectionPath(type, opts.namespace, true);
          // the stream's headers must come within the request deadline, as any other answer
          const opening = watcher.watch(
            path,
            { ...params, resourceVersion },
            (phase, obj) => onEvent(phase, obj as KubeObject),
            done,
          );
          let timer: { clear(): void } | undefined;
          const late = new Promise<never>((_, reject) => {
            timer = this.clock.timeout(
              () => reject(silent(this.server, this.context, this.timeoutMs, `watch ${type.kind}`)),
              this.timeoutMs,
            );
          });
          try {
            const ctl = await Promise.race([opening, late]);
            return () => ctl.abort();
          } catch (e) {
            void opening.then(
              (ctl) => ctl.abort(),
              () => undefined,
            );
            throw e;
          } finally {
            timer?.clear();
          }
        },
      },
      opts,
      (ms) => this.clock.sleep(ms),
    );
  }

  private async collectionPath(type: TypeRef, namespace: string | undefined, anyNamespace = false): Promise<string> {
    const info = await this.resolve(type);
    if (!info)
      throw new DrillError(
        'KUBE_UNKNOWN_KIND',
        `the server at ${this.server} does not serve ${type.kind} (${type.apiVersion})`,
        ExitCode.Precondition,
        { hint: 'is the CRD installed? `kubectl api-resources` lists what the server serves' },
      );
    if (!info.namespaced) return info.path.replace('/namespaces/{ns}', '');
    if (!namespace && anyNamespace) return info.path.replace('/namespaces/{ns}', '');
    if (!namespace)
      throw new DrillError(
        'KUBE_NAMESPACE_REQUIRED',
        `${type.kind} is namespaced: a namespace is required`,
        ExitCode.Internal,
      );
    return info.path.replace('{ns}', encodeURIComponent(namespace));
  }

  private async itemPath(ref: ObjectRef): Promise<string> {
    if (!ref.name) throw new DrillError('KUBE_NAME_REQUIRED', `${ref.kind} needs a name`, ExitCode.Internal);
    return `${await this.collectionPath(ref, ref.namespace)}/${encodeURIComponent(ref.name)}`;
  }

  /** Discovery, cached per apiVersion and asked again on a miss: CRDs appear while kdrill runs. */
  private async resolve(type: TypeRef): Promise<Resolved | undefined> {
    const cached = this.discovered.get(type.apiVersion)?.get(type.kind);
    if (cached) return cached;
    const gvPath = type.apiVersion.includes('/') ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
    const body = await this.call('GET', gvPath, undefined, `discover ${type.apiVersion}`, { allow404: true });
    if (body === undefined) return undefined;
    return this.remember(
      type.apiVersion,
      (JSON.parse(body) as { resources?: DiscoveredResource[] }).resources ?? [],
    ).get(type.kind);
  }

  /** One group-version's discovery document, as resolve() looks kinds up in it. */
  private remember(gv: string, resources: DiscoveredResource[]): Map<string, Resolved> {
    const gvPath = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
    const m = new Map<string, Resolved>();
    const subs = new Set(resources.filter((r) => r.name.includes('/')).map((r) => r.name));
    for (const r of resources) {
      if (r.name.includes('/')) continue;
      m.set(r.kind, {
        path: `${gvPath}/namespaces/{ns}/${r.name}`,
        namespaced: r.namespaced,
        hasStatus: subs.has(`${r.name}/status`),
      });
    }
    this.discovered.set(gv, m);
    return m;
  }

  private async call(
    method: string,
    path: string,
    body: string | undefined,
    what: string,
    o: { allow404?: boolean; contentType?: string; raw?: boolean; once?: boolean; mode?: RetryMode } = {},
  ): Promise<string> {
    const res = await withRetry(
      () => this.once(method, path, body, what, o),
      o.mode ?? (method === 'POST' ? 'once' : 'idempotent'),
      o.once ? { ...this.retry, attempts: 1 } : this.retry,
    );
    return res as string;
  }

  private async once(
    method: string,
    path: string,
    body: string | undefined,
    what: string,
    o: AnswerOptions & { contentType?: string },
  ): Promise<Attempt<string | undefined>> {
    const url = new URL(this.server + path);
    const prepared = await this.requestOptions(method, body, o.contentType);
    if (!prepared.ok) return prepared;
    return this.send(url, prepared.opts, body, what, o);
  }

  /** Headers and the context's credentials and TLS settings for one request. */
  private async requestOptions(
    method: string,
    body: string | undefined,
    contentType: string | undefined,
  ): Promise<{ ok: true; opts: RequestOptions } | { ok: false; error: DrillError }> {
    let opts: RequestOptions;
    try {
      opts = await this.connectionOptions();
      opts.method = method;
    } catch (cause) {
      return {
        ok: false,
        error: new DrillError(
          'KUBE_CREDENTIALS',
          `cannot use the credentials of context "${this.context}": ${(cause as Error).message}`,
          ExitCode.Precondition,
          {
            hint: 'check the user and cluster entries of the kubeconfig (an http:// server needs insecure-skip-tls-verify: true)',
            cause,
          },
        ),
      };
    }
    const headers = opts.headers as Record<string, string>;
    if (body !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    return { ok: true, opts };
  }

  /**
   * The context's TLS settings, credentials and kept Agent for one request. client-node reads them afresh
   * each time (files again, a new Agent), which only matters when they can change: certificate or CA files,
   * an exec plugin or auth provider, a proxy. Credentials written into the kubeconfig are worked out once.
   */
  private async connectionOptions(): Promise<RequestOptions> {
    if (this.fixedOptions) return { ...this.fixedOptions, headers: { ...this.fixedOptions.headers } };
    const opts: RequestOptions = { headers: { Accept: 'application/json' } };
    await this.kc.applyToHTTPSOptions(opts);
    this.agents.apply(opts);
    const user = this.kc.getCurrentUser();
    const cluster = this.kc.getCurrentCluster();
    const canChange =
      !user ||
      !!(user.exec || user.authProvider || user.certFile || user.keyFile || cluster?.caFile || cluster?.proxyUrl);
    if (!canChange) this.fixedOptions = { ...opts, headers: { ...opts.headers } };
    return opts;
  }

  /** One HTTP exchange under the request deadline; every outcome, failures included, is an Attempt. */
  private send(
    url: URL,
    opts: RequestOptions,
    body: string | undefined,
    what: string,
    o: AnswerOptions,
  ): Promise<Attempt<string | undefined>> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const req = send(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (error: NodeJS.ErrnoException) =>
          resolve({ ok: false, errno: error.code, error: unreachable(this.server, this.context, error) }),
        );
        res.on('end', () => {
          this.warnings.push(...warningsOf(res.headers.warning));
          resolve(answerOf(res, Buffer.concat(chunks).toString('utf8'), `cannot ${what}`, this.context, o));
        });
      });
      // a server that accepts the connection and never answers: one clear error, never a retry
      const timer = this.clock.timeout(
        () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })),
        this.timeoutMs,
      );
      req.on('close', () => timer.clear());
      req.on('error', (error: NodeJS.ErrnoException) => {
        const err =
          error.code === 'ETIMEDOUT'
            ? silent(this.server, this.context, this.timeoutMs, what)
            : unreachable(this.server, this.context, error);
        resolve({ ok: false, errno: error.code, error: err });
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  }
}

/** One page of a list, as the server sends it. */
interface ListPage {
  items?: KubeObject[];
  metadata?: { continue?: string; resourceVersion?: string };
}

interface AnswerOptions {
  allow404?: boolean;
  /** The answer is a proxied application's: passed on as {status, body} whatever the status. */
  raw?: boolean;
}

/** What a complete answer means: a body, nothing (an allowed 404), or the server's error. */
function answerOf(
  res: IncomingMessage,
  text: string,
  doing: string,
  context: string,
  o: AnswerOptions,
): Attempt<string | undefined> {
  const status = res.statusCode ?? 0;
  // a proxied answer is the application's, whatever its status; only the apiserver's own errors retry
  if (o.raw && !(status === 503 && text.includes('"kind":"Status"')))
    return { ok: true, value: JSON.stringify({ status, body: text }) };
  if (status >= 200 && status < 300) return { ok: true, value: text };
  if (status === 404 && o.allow404) return { ok: true, value: undefined };
  return {
    ok: false,
    status,
    retryAfter: res.headers['retry-after'],
    error: fromResponse(status, text, doing, context),
  };
}

/** One entry of a discovery resource list (metav1.APIResource), as far as kdrill reads it. */
interface DiscoveredResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
  singularName?: string;
  shortNames?: string[];
}

/** `Warning: 299 - "text"` headers (RFC 7234), as admission webhooks and deprecations send them. */
function warningsOf(h: string | string[] | undefined): string[] {
  const all = Array.isArray(h) ? h : h ? [h] : [];
  return all.flatMap((v) => [...v.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\"/g, '"')));
}

function refOf(obj: KubeObject): ObjectRef {
  if (!obj.apiVersion || !obj.kind)
    throw new DrillError('KUBE_BAD_OBJECT', 'an object needs apiVersion and kind', ExitCode.Internal);
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    namespace: obj.metadata?.namespace,
    name: obj.metadata?.name ?? '',
  };
}

function describe(ref: TypeRef & { namespace?: string; name?: string }): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name ?? ''}`.trim();
}
