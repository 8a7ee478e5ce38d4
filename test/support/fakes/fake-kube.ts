import { isDeepStrictEqual } from 'node:util';
import { DrillError, ExitCode } from '../../../src/errors.js';
import { fromResponse, KubeApiError } from '../../../src/kube/errors.js';
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
} from '../../../src/kube/kube-api.js';
import { matchesRequirements, parseLabelSelector, SelectorSyntaxError } from '../../../src/kube/labels.js';
import type { KubeObject, ObjectMeta } from '../../../src/kube/types.js';
import { runWatch } from '../../../src/kube/watch-loop.js';
import { matchesFields, parseFieldSelector } from '../../../packages/lab/src/apiserver/fields.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../../../packages/lab/src/apiserver/patch.js';
import {
  alreadyExists,
  ApiError,
  badRequest,
  conflict,
  forbidden,
  invalid,
  notFound,
} from '../../../packages/lab/src/apiserver/status.js';
import { systemClock, type Clock } from '../../../src/time/clock.js';
import { k8sTime } from '../../../src/time/k8s-time.js';

export type KubeVerb =
  'get' | 'list' | 'create' | 'replace' | 'patch' | 'patchStatus' | 'delete' | 'watch' | 'proxyGet' | 'bindPod';

export interface KubeCall {
  verb: KubeVerb;
  kind: string;
  namespace?: string;
  name?: string;
}

export type WriteEvent = 'ADDED' | 'MODIFIED' | 'DELETED';
export type WriteHook = (event: WriteEvent, obj: KubeObject) => void | Promise<void>;
export type ProxyHandler = (
  namespace: string,
  service: string,
  port: string | number,
  path: string,
) => Promise<{ status: number; body: string }>;

export interface FakeKubeOptions {
  context?: string;
  server?: string;
  version?: { gitVersion: string; major: string; minor: string };
  resources?: ServedResource[];
  /** Stamps creationTimestamp and deletionTimestamp. */
  clock?: Clock;
  /** Namespaces that exist from the start; by default those of a new cluster. */
  namespaces?: string[];
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function served(apiVersion: string, kind: string, resource: string, namespaced: boolean): ServedResource {
  return {
    apiVersion,
    group: apiVersion.includes('/') ? apiVersion.split('/')[0]! : '',
    kind,
    resource,
    namespaced,
    verbs: [...VERBS],
  };
}

/** The built-ins kdrill touches, and Velero's kinds as if its CRDs were installed. */
export function defaultResources(): ServedResource[] {
  return [
    served('v1', 'Namespace', 'namespaces', false),
    served('v1', 'Pod', 'pods', true),
    served('v1', 'Service', 'services', true),
    served('v1', 'ConfigMap', 'configmaps', true),
    served('v1', 'Secret', 'secrets', true),
    served('v1', 'ServiceAccount', 'serviceaccounts', true),
    served('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true),
    served('v1', 'Endpoints', 'endpoints', true),
    served('v1', 'Event', 'events', true),
    served('v1', 'PersistentVolume', 'persistentvolumes', false),
    served('v1', 'Node', 'nodes', false),
    served('apps/v1', 'Deployment', 'deployments', true),
    served('apps/v1', 'StatefulSet', 'statefulsets', true),
    served('apps/v1', 'DaemonSet', 'daemonsets', true),
    served('apps/v1', 'ReplicaSet', 'replicasets', true),
    served('batch/v1', 'Job', 'jobs', true),
    served('batch/v1', 'CronJob', 'cronjobs', true),
    served('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', true),
    served('rbac.authorization.k8s.io/v1', 'Role', 'roles', true),
    served('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', true),
    served('rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false),
    served('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
    served('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true),
    served('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false),
    served('velero.io/v1', 'Backup', 'backups', true),
    served('velero.io/v1', 'Restore', 'restores', true),
    served('velero.io/v1', 'Schedule', 'schedules', true),
    served('velero.io/v1', 'BackupStorageLocation', 'backupstoragelocations', true),
    served('velero.io/v1', 'DownloadRequest', 'downloadrequests', true),
    served('velero.io/v1', 'DeleteBackupRequest', 'deletebackuprequests', true),
  ];
}

/** What the real adapter throws for a kind the server does not serve: code KUBE_UNKNOWN_KIND, exit 4. */
class UnknownKindError extends KubeApiError {
  override readonly exitCode: ExitCode = ExitCode.Precondition;

  constructor(server: string, type: TypeRef) {
    super(
      404,
      'UnknownKind',
      `the server at ${server} does not serve ${type.kind} (${type.apiVersion})`,
      'is the CRD installed? `kubectl api-resources` lists what the server serves',
    );
  }
}

interface Change {
  rv: number;
  type: WriteEvent;
  typeKey: string;
  object: KubeObject;
  previous?: KubeObject;
}

interface Watcher {
  typeKey: string;
  matches: (o: KubeObject) => boolean;
  onEvent: (type: string, object: KubeObject) => void;
  active: boolean;
}

const typeKey = (t: TypeRef): string => `${t.apiVersion}/${t.kind}`;
const objKey = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;
const isNamespace = (t: TypeRef): boolean => t.apiVersion === 'v1' && t.kind === 'Namespace';
const isCrd = (t: TypeRef): boolean =>
  t.apiVersion === 'apiextensions.k8s.io/v1' && t.kind === 'CustomResourceDefinition';
const clone = <T>(v: T): T => structuredClone(v);
const describe = (ref: TypeRef & { namespace?: string; name?: string }): string =>
  `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name ?? ''}`.trim();

function call(verb: KubeVerb, kind: string, namespace?: string, name?: string): KubeCall {
  const c: KubeCall = { verb, kind };
  if (namespace !== undefined) c.namespace = namespace;
  if (name !== undefined) c.name = name;
  return c;
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

/** Whatever bumps metadata.generation when it changes. */
function specOf(obj: KubeObject): unknown {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/**
 * An in-memory KubeApi with the API server's semantics for what kdrill does: conflicts, namespaces,
 * finalizers, ownerReference garbage collection, CRDs that start serving their kind, and watches.
 * Errors are the KubeApiErrors the real adapter builds from the server's Status (via fromResponse),
 * from the same Status bodies the lab API server sends.
 */
export class FakeKube implements KubeApi {
  readonly context: string;
  readonly server: string;
  /** Every KubeApi call on objects, in order (discovery calls are not recorded; seed() is not). */
  readonly calls: KubeCall[] = [];
  /** Answers proxyGet; by default a Service without endpoints. */
  onProxyGet?: ProxyHandler;

  private readonly version: { gitVersion: string; major: string; minor: string };
  private readonly clock: Clock;
  private readonly served = new Map<string, ServedResource>();
  private readonly objects = new Map<string, Map<string, KubeObject>>(); // typeKey -> objKey -> object
  private readonly log: Change[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly hooks = new Map<string, Set<WriteHook>>();
  private readonly failures: { verb: KubeVerb; kind: string; error: unknown }[] = [];
  private readonly rules: { verb: KubeVerb; kind: string; where: (namespace: string | undefined) => boolean }[] = [];
  private rv = 0;
  private serial = 0;
  private pending = 0;

  constructor(opts: FakeKubeOptions = {}) {
    this.context = opts.context ?? 'fake';
    this.server = opts.server ?? 'https://fake.invalid:6443';
    this.version = opts.version ?? { gitVersion: 'v1.30.0', major: '1', minor: '30' };
    this.clock = opts.clock ?? systemClock;
    for (const r of opts.resources ?? defaultResources()) this.addResource(r);
    const namespaces = opts.namespaces ?? ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
    this.seed(
      namespaces.map((name) => ({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
        status: { phase: 'Active' },
      })),
    );
  }

  // ---- test hooks ----

  addResource(r: ServedResource): void {
    this.served.set(typeKey(r), { ...r, verbs: [...r.verbs] });
  }

  /** Loads objects as they are (filling uid, resourceVersion and timestamps), without calls or hooks. */
  seed(objs: KubeObject[]): void {
    for (const o of objs) {
      const t = this.typeOf(refOf(o));
      const meta: ObjectMeta = { ...clone(o.metadata ?? {}) };
      if (!meta.name) throw new Error(`seed: a ${t.kind} needs metadata.name`);
      if (t.namespaced) meta.namespace ??= 'default';
      else delete meta.namespace;
      meta.uid ??= this.nextUid();
      meta.creationTimestamp ??= this.now();
      meta.generation ??= 1;
      this.put(
        t,
        { ...clone(o), apiVersion: t.apiVersion, kind: t.kind, metadata: meta },
        this.find(t, meta.namespace, meta.name),
        true,
      );
    }
  }

  /** Runs `handler` after every write to objects of `kind`, on a later turn of the event loop. Returns an unsubscribe. */
  on(kind: string, handler: WriteHook): () => void {
    let set = this.hooks.get(kind);
    if (!set) this.hooks.set(kind, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Makes the next `verb` call on `kind` throw `error` (after it is recorded in `calls`). */
  failNext(verb: KubeVerb, kind: string, error: unknown): void {
    this.failures.push({ verb, kind, error });
  }

  /** As RBAC would: every `verb` on `kind` in namespaces `where` accepts is refused with 403 from now on. */
  forbid(verb: KubeVerb, kind: string, where: (namespace: string | undefined) => boolean): void {
    this.rules.push({ verb, kind, where });
  }

  /** Resolves once every pending hook and watch delivery has run, including those they caused. */
  async idle(): Promise<void> {
    while (this.pending > 0) await new Promise((resolve) => setImmediate(resolve));
  }

  /** Reads an object without recording a call. */
  peek(ref: ObjectRef): KubeObject | undefined {
    const t = this.typeOf(ref);
    const o = this.find(t, t.namespaced ? ref.namespace : undefined, ref.name);
    return o && clone(o);
  }

  /** Lists without recording a call. */
  peekList(type: TypeRef, opts: ListOptions = {}): KubeObject[] {
    return this.listNow(this.typeOf(type), opts).items;
  }

  // ---- KubeApi ----

  async serverVersion(): Promise<{ gitVersion: string; major: string; minor: string }> {
    return { ...this.version };
  }

  async resources(o: { reuse?: boolean } = {}): Promise<ServedResource[]> {
    // as the adapter: `reuse` answers what the last discovery saw, kinds served since included or not
    if (!(o.reuse && this.lastServed))
      this.lastServed = [...this.served.values()].map((r) => ({ ...r, verbs: [...r.verbs] }));
    return this.lastServed.map((r) => ({ ...r, verbs: [...r.verbs] }));
  }
  private lastServed?: ServedResource[];

  async serves(type: TypeRef): Promise<boolean> {
    return this.served.has(typeKey(type));
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    return this.op(call('get', ref.kind, ref.namespace, ref.name), ref, `get ${describe(ref)}`, (t) => {
      const o = this.find(t, this.itemNamespace(t, ref), ref.name);
      return o && clone(o);
    });
  }

  async list(type: TypeRef, opts: ListOptions = {}): Promise<ListResult> {
    return this.op(call('list', type.kind, opts.namespace), type, `list ${type.kind}`, (t) => this.listNow(t, opts));
  }

  /** One page: the whole list, recorded as the one list call it stands for. */
  async listEach(
    type: TypeRef,
    opts: ListOptions,
    onPage: (items: KubeObject[], restart: boolean) => void,
  ): Promise<string> {
    const r = await this.list(type, opts);
    onPage(r.items, true);
    return r.resourceVersion;
  }

  async create(obj: KubeObject): Promise<KubeObject> {
    const ref = refOf(obj);
    return this.op(
      call('create', ref.kind, ref.namespace, ref.name || obj.metadata?.generateName),
      ref,
      `create ${describe(ref)}`,
      (t) => {
        if (t.namespaced && !ref.namespace)
          throw new DrillError(
            'KUBE_NAMESPACE_REQUIRED',
            `${t.kind} is namespaced: a namespace is required`,
            ExitCode.Internal,
          );
        const meta: ObjectMeta = { ...clone(obj.metadata ?? {}) };
        if (!meta.name) {
          if (!meta.generateName)
            throw invalid(t.kind, '', [
              { field: 'metadata.name', message: 'Required value: name or generateName is required' },
            ]);
          meta.name = `${meta.generateName}${(++this.serial).toString(36).padStart(5, '0')}`;
        }
        if (t.namespaced) this.requireLiveNamespace(ref.namespace!);
        else delete meta.namespace;
        if (this.find(t, meta.namespace, meta.name)) throw alreadyExists(t.group, t.resource, meta.name);
        delete meta.deletionTimestamp;
        Object.assign(meta, { uid: this.nextUid(), creationTimestamp: this.now(), generation: 1 });
        return this.put(t, { ...clone(obj), apiVersion: t.apiVersion, kind: t.kind, metadata: meta }, undefined);
      },
    );
  }

  async replace(obj: KubeObject): Promise<KubeObject> {
    const ref = refOf(obj);
    return this.op(call('replace', ref.kind, ref.namespace, ref.name), ref, `update ${describe(ref)}`, (t) => {
      const current = this.mustFind(t, ref);
      const rv = obj.metadata?.resourceVersion;
      if (rv && rv !== current.metadata?.resourceVersion) throw conflict(t.group, t.resource, ref.name);
      return this.write(t, current, clone(obj));
    });
  }

  async patch(ref: ObjectRef, patch: unknown, kind: PatchKind = 'merge'): Promise<KubeObject> {
    return this.op(call('patch', ref.kind, ref.namespace, ref.name), ref, `patch ${describe(ref)}`, (t) => {
      const current = this.mustFind(t, ref);
      const base = clone(current);
      const next =
        kind === 'json'
          ? jsonPatch(base, patch)
          : kind === 'merge'
            ? mergePatch(base, patch)
            : strategicMergePatch(base, patch);
      if (typeof next !== 'object' || next === null || Array.isArray(next))
        throw badRequest('patch produced a non-object');
      // a patch that names a resourceVersion is a precondition, as on a real server
      const rv = kind === 'json' ? undefined : (patch as KubeObject | undefined)?.metadata?.resourceVersion;
      if (rv && rv !== current.metadata?.resourceVersion) throw conflict(t.group, t.resource, ref.name);
      return this.write(t, current, next as KubeObject);
    });
  }

  async patchStatus(ref: ObjectRef, status: unknown): Promise<KubeObject> {
    return this.op(
      call('patchStatus', ref.kind, ref.namespace, ref.name),
      ref,
      `update the status of ${describe(ref)}`,
      (t) => {
        const current = this.mustFind(t, ref);
        return this.write(t, current, { ...clone(current), status: mergePatch(clone(current.status), status) });
      },
    );
  }

  async delete(ref: ObjectRef, opts: DeleteOptions = {}): Promise<boolean> {
    return this.op(call('delete', ref.kind, ref.namespace, ref.name), ref, `delete ${describe(ref)}`, (t) => {
      const current = this.find(t, this.itemNamespace(t, ref), ref.name);
      if (!current) return false;
      this.deleteObject(t, current, opts.propagationPolicy ?? 'Background');
      return true;
    });
  }

  async proxyGet(
    namespace: string,
    service: string,
    port: string | number,
    path: string,
  ): Promise<{ status: number; body: string }> {
    const ref = { apiVersion: 'v1', kind: 'Service', namespace, name: service };
    return this.op(
      call('proxyGet', 'Service', namespace, service),
      ref,
      `probe service ${namespace}/${service}`,
      async () =>
        this.onProxyGet
          ? this.onProxyGet(namespace, service, port, path)
          : { status: 503, body: `no endpoints available for service "${service}"` },
    );
  }

  async bindPod(namespace: string, name: string, node: string): Promise<void> {
    const ref = { apiVersion: 'v1', kind: 'Pod', namespace, name };
    await this.op(call('bindPod', 'Pod', namespace, name), ref, `bind pod ${namespace}/${name}`, (t) => {
      const pod = this.mustFind(t, ref);
      if (pod.spec?.nodeName)
        throw new ApiError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "${pod.spec.nodeName}"`,
        );
      const conditions = [
        ...(pod.status?.conditions ?? []),
        { type: 'PodScheduled', status: 'True', lastTransitionTime: this.now() },
      ];
      this.write(t, pod, {
        ...clone(pod),
        spec: { ...pod.spec, nodeName: node },
        status: { ...pod.status, conditions },
      });
    });
  }

  /** The real adapter's watch loop over an in-memory stream, which replays changes after the version it is given. */
  watch(type: TypeRef, opts: WatchOptions): WatchHandle {
    this.calls.push(call('watch', type.kind, opts.namespace));
    const failure = this.takeFailure('watch', type.kind);
    return runWatch(
      {
        list: async () => {
          if (failure) throw failure.error;
          return this.translate(`list ${type.kind}`, () => this.listNow(this.typeOf(type), opts));
        },
        stream: async (rv, onEvent, done) => {
          const t = this.typeOf(type);
          const w: Watcher = { typeKey: typeKey(t), matches: this.matcher(t, opts), onEvent, active: true };
          const from = Number(rv) || 0;
          for (const c of this.log) if (c.rv > from) this.deliver(w, c);
          this.watchers.add(w);
          return () => {
            if (!w.active) return;
            w.active = false;
            this.watchers.delete(w);
            setImmediate(() => done(null));
          };
        },
      },
      opts,
    );
  }

  // ---- the API server ----

  /** Records the call, fails it if asked to, and turns a Status error into what the adapter throws. */
  private async op<T>(c: KubeCall, ref: TypeRef, what: string, fn: (t: ServedResource) => T | Promise<T>): Promise<T> {
    this.calls.push(c);
    const failure = this.takeFailure(c.verb, c.kind);
    if (failure) throw failure.error;
    if (this.rules.some((r) => r.verb === c.verb && r.kind === c.kind && r.where(c.namespace)))
      throw new KubeApiError(
        403,
        'Forbidden',
        `${c.kind} is forbidden: cannot ${c.verb} in ${c.namespace ?? 'the cluster'}`,
      );
    return this.translate(what, () => fn(this.typeOf(ref)));
  }

  private async translate<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const status = e instanceof ApiError ? e : e instanceof SelectorSyntaxError ? badRequest(e.message) : undefined;
      if (!status) throw e;
      throw fromResponse(status.code, JSON.stringify(status.toStatus()), `cannot ${what}`, this.context);
    }
  }

  private takeFailure(verb: KubeVerb, kind: string): { error: unknown } | undefined {
    const i = this.failures.findIndex((f) => f.verb === verb && f.kind === kind);
    return i < 0 ? undefined : this.failures.splice(i, 1)[0];
  }

  private typeOf(type: TypeRef): ServedResource {
    const t = this.served.get(typeKey(type));
    if (!t) throw new UnknownKindError(this.server, type);
    return t;
  }

  private itemNamespace(t: ServedResource, ref: ObjectRef): string | undefined {
    if (!ref.name) throw new DrillError('KUBE_NAME_REQUIRED', `${ref.kind} needs a name`, ExitCode.Internal);
    if (!t.namespaced) return undefined;
    if (!ref.namespace)
      throw new DrillError(
        'KUBE_NAMESPACE_REQUIRED',
        `${t.kind} is namespaced: a namespace is required`,
        ExitCode.Internal,
      );
    return ref.namespace;
  }

  private table(t: TypeRef): Map<string, KubeObject> {
    let m = this.objects.get(typeKey(t));
    if (!m) this.objects.set(typeKey(t), (m = new Map()));
    return m;
  }

  private find(t: TypeRef, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(typeKey(t))?.get(objKey(namespace, name));
  }

  private mustFind(t: ServedResource, ref: ObjectRef): KubeObject {
    const o = this.find(t, this.itemNamespace(t, ref), ref.name);
    if (!o) throw notFound(t.group, t.resource, ref.name);
    return o;
  }

  private listNow(t: ServedResource, opts: ListOptions): ListResult {
    const matches = this.matcher(t, opts);
    const items = [...this.table(t).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o)
      .filter(matches)
      .map(clone);
    return { items, resourceVersion: String(this.rv) };
  }

  private matcher(t: ServedResource, opts: ListOptions): (o: KubeObject) => boolean {
    const labels = parseLabelSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector);
    const ns = t.namespaced ? opts.namespace : undefined;
    return (o) =>
      (!ns || o.metadata?.namespace === ns) &&
      matchesRequirements(o.metadata?.labels ?? {}, labels) &&
      matchesFields(o, fields);
  }

  private requireLiveNamespace(name: string): void {
    const nsType = this.served.get('v1/Namespace');
    if (!nsType) return;
    const ns = this.find(nsType, undefined, name);
    if (!ns) throw notFound('', 'namespaces', name);
    if (ns.metadata?.deletionTimestamp)
      throw forbidden(`unable to create new content in namespace ${name} because it is being terminated`);
  }

  /** An update of `current` to `next`: identity and timestamps kept, generation bumped on spec changes. */
  private write(t: ServedResource, current: KubeObject, next: KubeObject): KubeObject {
    const cm = current.metadata ?? {};
    const meta: ObjectMeta = {
      ...next.metadata,
      name: cm.name,
      uid: cm.uid,
      creationTimestamp: cm.creationTimestamp,
      resourceVersion: cm.resourceVersion,
      generation: cm.generation,
    };
    if (t.namespaced) meta.namespace = cm.namespace;
    else delete meta.namespace;
    if (cm.deletionTimestamp) meta.deletionTimestamp = cm.deletionTimestamp;
    else delete meta.deletionTimestamp;
    const updated: KubeObject = { ...next, apiVersion: t.apiVersion, kind: t.kind, metadata: meta };
    if (!isDeepStrictEqual(specOf(updated), specOf(current))) meta.generation = (cm.generation ?? 1) + 1;
    // a no-op write keeps its resourceVersion and sends no event, as on a real server
    if (isDeepStrictEqual(updated, current)) return clone(current);
    if (meta.deletionTimestamp && !meta.finalizers?.length && !(isNamespace(t) && this.hasContents(meta.name!))) {
      this.remove(t, updated);
      return clone(updated);
    }
    return this.put(t, updated, current);
  }

  private deleteObject(
    t: ServedResource,
    current: KubeObject,
    policy: NonNullable<DeleteOptions['propagationPolicy']>,
  ): void {
    if (current.metadata?.deletionTimestamp) return;
    if (policy === 'Orphan') this.orphanDependents(current);
    const marked = (): KubeObject => ({ ...current, metadata: { ...current.metadata, deletionTimestamp: this.now() } });
    if (isNamespace(t)) {
      const name = current.metadata?.name ?? '';
      this.put(t, { ...marked(), status: { ...current.status, phase: 'Terminating' } }, current);
      for (const [key, table] of this.objects) {
        const nt = this.served.get(key);
        if (!nt?.namespaced) continue;
        for (const o of [...table.values()]) if (o.metadata?.namespace === name) this.deleteObject(nt, o, 'Background');
      }
      this.finishNamespace(name);
    } else if (current.metadata?.finalizers?.length) {
      this.put(t, marked(), current);
    } else {
      this.remove(t, current);
    }
  }

  /** Removes an object for good, then what depended on it: its CRD's objects, its dependents, its namespace. */
  private remove(t: ServedResource, obj: KubeObject): void {
    const meta = obj.metadata ?? {};
    const current = this.find(t, meta.namespace, meta.name ?? '');
    if (!current) return;
    this.table(t).delete(objKey(meta.namespace, meta.name ?? ''));
    const gone = { ...obj, metadata: { ...meta, resourceVersion: String(++this.rv) } };
    this.record({ rv: this.rv, type: 'DELETED', typeKey: typeKey(t), object: gone }, false);
    if (isCrd(t)) this.unserveCrd(obj);
    this.collectDependents(meta.uid);
    if (t.namespaced && meta.namespace) this.finishNamespace(meta.namespace);
  }

  private finishNamespace(name: string): void {
    const nsType = this.served.get('v1/Namespace');
    const ns = nsType && this.find(nsType, undefined, name);
    if (!nsType || !ns?.metadata?.deletionTimestamp || ns.metadata.finalizers?.length || this.hasContents(name)) return;
    this.remove(nsType, ns);
  }

  private hasContents(namespace: string): boolean {
    for (const [key, table] of this.objects) {
      if (!this.served.get(key)?.namespaced) continue;
      for (const o of table.values()) if (o.metadata?.namespace === namespace) return true;
    }
    return false;
  }

  /** Background garbage collection: a dependent goes once none of its owners exists. */
  private collectDependents(uid: string | undefined): void {
    if (!uid) return;
    for (const { t, o } of this.dependentsOf(uid)) {
      const owners = o.metadata?.ownerReferences ?? [];
      if (owners.some((r) => r.uid !== uid && this.byUid(r.uid))) continue;
      const still = this.find(t, o.metadata?.namespace, o.metadata?.name ?? '');
      if (still) this.deleteObject(t, still, 'Background');
    }
  }

  private orphanDependents(owner: KubeObject): void {
    const uid = owner.metadata?.uid ?? '';
    for (const { t, o } of this.dependentsOf(uid)) {
      const refs = (o.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid);
      const meta: ObjectMeta = { ...o.metadata, ownerReferences: refs };
      if (!refs.length) delete meta.ownerReferences;
      this.put(t, { ...o, metadata: meta }, o);
    }
  }

  private dependentsOf(uid: string): { t: ServedResource; o: KubeObject }[] {
    const out: { t: ServedResource; o: KubeObject }[] = [];
    for (const [key, table] of this.objects) {
      const t = this.served.get(key);
      if (!t) continue;
      for (const o of table.values()) if (o.metadata?.ownerReferences?.some((r) => r.uid === uid)) out.push({ t, o });
    }
    return out;
  }

  private byUid(uid: string): KubeObject | undefined {
    for (const table of this.objects.values()) for (const o of table.values()) if (o.metadata?.uid === uid) return o;
    return undefined;
  }

  /** The kind a CRD defines, at its first served version. */
  private crdKind(crd: KubeObject): ServedResource | undefined {
    const spec = crd.spec ?? {};
    const version = ((spec.versions ?? []) as { name: string; served?: boolean }[]).find(
      (v) => v.served !== false,
    )?.name;
    if (!spec.group || !spec.names?.kind || !spec.names?.plural || !version) return undefined;
    return served(`${spec.group}/${version}`, spec.names.kind, spec.names.plural, spec.scope !== 'Cluster');
  }

  private unserveCrd(crd: KubeObject): void {
    const r = this.crdKind(crd);
    if (!r || !this.served.has(typeKey(r))) return;
    for (const o of [...this.table(r).values()]) this.remove(this.served.get(typeKey(r))!, o);
    this.served.delete(typeKey(r));
  }

  /** Stores a new version of an object under the next resourceVersion and tells watches and hooks. */
  private put(t: ServedResource, obj: KubeObject, previous: KubeObject | undefined, quiet = false): KubeObject {
    const stored = clone(obj);
    stored.metadata = { ...stored.metadata, resourceVersion: String(++this.rv) };
    this.table(t).set(objKey(stored.metadata.namespace, stored.metadata.name ?? ''), stored);
    if (isCrd(t) && !stored.metadata.deletionTimestamp) {
      const r = this.crdKind(stored);
      if (r && !this.served.has(typeKey(r))) this.addResource(r);
    }
    this.record(
      { rv: this.rv, type: previous ? 'MODIFIED' : 'ADDED', typeKey: typeKey(t), object: stored, previous },
      quiet,
    );
    return clone(stored);
  }

  private record(c: Change, quiet: boolean): void {
    this.log.push(c);
    for (const w of this.watchers) this.deliver(w, c);
    if (quiet) return;
    for (const h of this.hooks.get(c.object.kind ?? '') ?? []) this.later(() => h(c.type, clone(c.object)));
  }

  /** A change as one watch sees it: an object that starts or stops matching its selector is ADDED or DELETED. */
  private deliver(w: Watcher, c: Change): void {
    if (c.typeKey !== w.typeKey) return;
    const now = c.type !== 'DELETED' && w.matches(c.object);
    const before = c.type === 'DELETED' ? w.matches(c.object) : c.previous !== undefined && w.matches(c.previous);
    const type = now && before ? 'MODIFIED' : now ? 'ADDED' : before ? 'DELETED' : undefined;
    if (!type) return;
    this.later(() => {
      if (w.active) w.onEvent(type, clone(c.object));
    });
  }

  /** On a later turn, so a hook or an event never runs inside the caller's await. */
  private later(fn: () => unknown): void {
    this.pending++;
    setImmediate(() => {
      void (async () => {
        try {
          await fn();
        } finally {
          this.pending--;
        }
      })();
    });
  }

  private now(): string {
    return k8sTime(this.clock.now());
  }

  private nextUid(): string {
    return `00000000-0000-4000-8000-${(++this.serial).toString(16).padStart(12, '0')}`;
  }
}
