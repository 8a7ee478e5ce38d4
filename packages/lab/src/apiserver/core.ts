import { nameProblem } from './names.js';
import { randomUUID } from 'node:crypto';
import { systemClock } from '../core.js';
import type { Clock, KubeObject } from '../core.js';
import {
  checkHardened,
  denialMessage,
  isGuarded,
  namespaceInScope,
  type HardenedScope,
} from '../admission/hardened.js';
import { establishedStatus, typesForCrd } from './crds.js';
import { defaultOnCreate, specOf } from './defaults.js';
import { Lifecycle } from './lifecycle.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { ResourceRegistry, groupVersion, storageKey, type ResourceType } from './resources.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  invalid,
  notFound,
  unsupportedMediaType,
  ApiError,
} from './status.js';
import { ObjectStore } from './store.js';
import { k8sTime } from '../core.js';

export interface LabClusterOptions {
  historyCapacity?: number;
  /** Hardened admission, built in; undefined turns it off. */
  hardened?: HardenedScope;
  /** How long a deleted namespace stays Terminating before its contents go (ms). */
  namespaceFinalizeDelayMs?: number;
  /** creationTimestamp, deletionTimestamp, conditions and the Age column read it (systemClock by default). */
  clock?: Clock;
}

export type PatchType = 'merge' | 'json' | 'strategic';

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
}

/**
 * The lab cluster's API semantics, independent of HTTP: what a real apiserver does on create, update,
 * patch and delete, including namespaces, finalizers, garbage collection, CRDs and admission.
 */
export class LabCluster {
  readonly registry = new ResourceRegistry();
  readonly store: ObjectStore;
  readonly lifecycle: Lifecycle;
  readonly clock: Clock;
  hardened: HardenedScope | undefined;
  private warnings: string[] = [];

  constructor(opts: LabClusterOptions = {}) {
    this.store = new ObjectStore({ historyCapacity: opts.historyCapacity });
    this.clock = opts.clock ?? systemClock;
    this.hardened = opts.hardened;
    this.lifecycle = new Lifecycle(this, opts.namespaceFinalizeDelayMs ?? 100);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.create(this.type('', 'v1', 'namespaces'), undefined, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
      });
    }
  }

  /** Now, on the cluster's clock, as metav1.Time. */
  now(): string {
    return k8sTime(this.clock.now());
  }

  type(group: string, version: string, resource: string): ResourceType {
    const t = this.registry.lookup(group, version, resource);
    if (!t) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    return t;
  }

  get(t: ResourceType, ns: string | undefined, name: string): KubeObject {
    const o = this.store.get(storageKey(t), t.namespaced ? ns : undefined, name);
    if (!o) throw notFound(t.group, t.resource, name);
    return this.present(t, o);
  }

  list(t: ResourceType, ns: string | undefined): KubeObject[] {
    return this.store.list(storageKey(t), t.namespaced ? ns : undefined).map((o) => this.present(t, o));
  }

  /** Objects carry the apiVersion of the endpoint they are read through. */
  present(t: ResourceType, o: KubeObject): KubeObject {
    return o.apiVersion === groupVersion(t) && o.kind === t.kind
      ? o
      : { ...o, apiVersion: groupVersion(t), kind: t.kind };
  }

  create(t: ResourceType, ns: string | undefined, body: KubeObject): KubeObject {
    const obj = this.checkBody(t, ns, body);
    const meta = { ...obj.metadata };
    if (!meta.name) {
      if (!meta.generateName)
        throw invalid(t.kind, '', [
          { field: 'metadata.name', message: 'Required value: name or generateName is required' },
        ]);
      meta.name = `${meta.generateName}${randomUUID().replace(/-/g, '').slice(0, 5)}`;
    }
    const problem = nameProblem(t, meta.name, obj);
    if (problem)
      throw invalid(t.kind, meta.name, [
        { field: 'metadata.name', message: `Invalid value: "${meta.name}": ${problem}` },
      ]);
    if (t.namespaced) this.requireLiveNamespace(ns!);
    if (this.store.get(storageKey(t), t.namespaced ? ns : undefined, meta.name))
      throw alreadyExists(t.group, t.resource, meta.name);
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    meta.uid = randomUUID();
    meta.creationTimestamp = this.now();
    if (t.tracksGeneration) meta.generation = 1;
    let created = defaultOnCreate(t, { ...obj, metadata: meta });
    // Custom resources with a status subresource start without status, as on a real server.
    if (t.crd && t.statusSubresource) delete created.status;
    created = this.validate(t, created);
    this.admit(t, created);
    if (t.group === 'apiextensions.k8s.io' && t.resource === 'customresourcedefinitions')
      return this.createCrd(t, created);
    return this.present(t, this.store.put(storageKey(t), created));
  }

  /** PUT: full replacement, with optimistic concurrency on metadata.resourceVersion. */
  update(t: ResourceType, ns: string | undefined, name: string, body: KubeObject, subresource?: 'status'): KubeObject {
    const current = this.store.get(storageKey(t), t.namespaced ? ns : undefined, name);
    if (!current) throw notFound(t.group, t.resource, name);
    const obj = this.checkBody(t, ns, body);
    if (obj.metadata?.name && obj.metadata.name !== name)
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    const rv = obj.metadata?.resourceVersion;
    if (rv && rv !== current.metadata?.resourceVersion) throw conflict(t.group, t.resource, name);
    return this.write(t, current, obj, subresource);
  }

  patch(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    patchType: PatchType,
    patchBody: unknown,
    subresource?: 'status',
  ): KubeObject {
    const current = this.store.get(storageKey(t), t.namespaced ? ns : undefined, name);
    if (!current) throw notFound(t.group, t.resource, name);
    const base = this.present(t, current);
    let next: unknown;
    if (patchType === 'json') next = jsonPatch(base, patchBody);
    else if (patchType === 'merge') next = mergePatch(base, patchBody);
    else next = strategicMergePatch(base, patchBody);
    const obj = next as KubeObject;
    if (typeof obj !== 'object' || obj === null) throw badRequest('patch produced a non-object');
    // A patch that names a resourceVersion is a precondition, as on a real server.
    const patchRv = (patchBody as KubeObject | undefined)?.metadata?.resourceVersion;
    if (patchType !== 'json' && patchRv && patchRv !== current.metadata?.resourceVersion)
      throw conflict(t.group, t.resource, name);
    return this.write(
      t,
      current,
      { ...obj, metadata: { ...obj.metadata, resourceVersion: current.metadata?.resourceVersion } },
      subresource,
    );
  }

  private write(t: ResourceType, current: KubeObject, obj: KubeObject, subresource?: 'status'): KubeObject {
    const cm = current.metadata!;
    let next: KubeObject;
    if (subresource === 'status') {
      if (!t.statusSubresource) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      next = { ...current, status: obj.status };
    } else {
      const meta = {
        ...obj.metadata,
        name: cm.name,
        namespace: cm.namespace,
        uid: cm.uid,
        creationTimestamp: cm.creationTimestamp,
      };
      if (cm.deletionTimestamp) meta.deletionTimestamp = cm.deletionTimestamp;
      else delete meta.deletionTimestamp;
      meta.generation = cm.generation;
      next = { ...obj, metadata: meta };
      if (t.statusSubresource) next.status = current.status;
      next.apiVersion = current.apiVersion ?? groupVersion(t);
      next.kind = t.kind;
      if (t.tracksGeneration && JSON.stringify(specOf(next)) !== JSON.stringify(specOf(current)))
        meta.generation = (cm.generation ?? 1) + 1;
      next = this.validate(t, next);
      if (JSON.stringify(specOf(next)) !== JSON.stringify(specOf(current))) this.admit(t, next);
    }
    const same =
      JSON.stringify({ ...next, metadata: { ...next.metadata, resourceVersion: '' } }) ===
      JSON.stringify({ ...current, metadata: { ...cm, resourceVersion: '' } });
    if (same) return this.present(t, current);
    // Removing the last finalizer of an object being deleted completes the deletion.
    if (
      next.metadata?.deletionTimestamp &&
      !(next.metadata.finalizers?.length ?? 0) &&
      !(t.resource === 'namespaces' && !t.group)
    ) {
      this.store.remove(storageKey(t), next);
      this.lifecycle.collectDependents(current);
      return this.present(t, next);
    }
    const stored = this.store.put(storageKey(t), next);
    if (t.group === 'apiextensions.k8s.io' && t.resource === 'customresourcedefinitions') this.refreshCrd(stored);
    return this.present(t, stored);
  }

  delete(t: ResourceType, ns: string | undefined, name: string, opts: DeleteOptions = {}): KubeObject {
    const current = this.store.get(storageKey(t), t.namespaced ? ns : undefined, name);
    if (!current) throw notFound(t.group, t.resource, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== current.metadata?.uid) throw conflict(t.group, t.resource, name);
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata?.resourceVersion)
      throw conflict(t.group, t.resource, name);
    return this.present(t, this.lifecycle.delete(t, current, opts.propagationPolicy ?? 'Background'));
  }

  /** Pod binding subresource: what a scheduler posts. */
  bind(ns: string, podName: string, body: KubeObject): KubeObject {
    const t = this.type('', 'v1', 'pods');
    const pod = this.store.get(storageKey(t), ns, podName);
    if (!pod) throw notFound('', 'pods', podName);
    const node = (body as { target?: { name?: string } }).target?.name;
    if (!node) throw invalid('Binding', podName, [{ field: 'target.name', message: 'Required value' }]);
    if (pod.spec?.nodeName) throw conflict('', 'pods/binding', podName);
    const conditions = [
      ...((pod.status?.conditions as unknown[]) ?? []),
      { type: 'PodScheduled', status: 'True', lastTransitionTime: this.now() },
    ];
    this.store.put(storageKey(t), {
      ...pod,
      spec: { ...pod.spec, nodeName: node },
      status: { ...pod.status, conditions },
    });
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  }

  parsePatchType(contentType: string | undefined): PatchType {
    const ct = (contentType ?? '').split(';')[0]!.trim();
    if (ct === 'application/merge-patch+json') return 'merge';
    if (ct === 'application/json-patch+json') return 'json';
    if (ct === 'application/strategic-merge-patch+json') return 'strategic';
    throw unsupportedMediaType(ct);
  }

  private checkBody(t: ResourceType, ns: string | undefined, body: KubeObject): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('the request body must be a JSON object');
    if (body.kind && body.kind !== t.kind)
      throw badRequest(`the kind of the object (${body.kind}) does not match the kind on the URL (${t.kind})`);
    const meta = { ...(body.metadata ?? {}) };
    if (t.namespaced) {
      if (meta.namespace && meta.namespace !== ns)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      meta.namespace = ns;
    } else delete meta.namespace;
    return { ...body, apiVersion: body.apiVersion ?? groupVersion(t), kind: t.kind, metadata: meta };
  }

  private validate(t: ResourceType, obj: KubeObject): KubeObject {
    return t.validate ? t.validate(obj) : obj;
  }

  private requireLiveNamespace(ns: string): void {
    const nsObj = this.store.get('/namespaces', undefined, ns);
    if (!nsObj) throw notFound('', 'namespaces', ns);
    if (nsObj.metadata?.deletionTimestamp) {
      throw forbidden(`unable to create new content in namespace ${ns} because it is being terminated`);
    }
  }

  private admit(t: ResourceType, obj: KubeObject): void {
    if (!this.hardened || !isGuarded(t.group, t.resource) || !t.namespaced) return;
    const ns = obj.metadata?.namespace ?? '';
    const nsObj = this.store.get('/namespaces', undefined, ns);
    if (!namespaceInScope(this.hardened, ns, nsObj?.metadata?.labels ?? {})) return;
    const reason = checkHardened(obj, this.store.list('networking.k8s.io/networkpolicies', ns));
    if (!reason) return;
    if (this.hardened.action === 'warn') this.warnings.push(reason);
    else throw forbidden(denialMessage(reason));
  }

  /** Admission warnings of the last write (the server sends them as Warning headers), then forgets them. */
  takeWarnings(): string[] {
    const w = this.warnings;
    this.warnings = [];
    return w;
  }

  private createCrd(t: ResourceType, crd: KubeObject): KubeObject {
    const types = typesForCrd(crd);
    for (const existing of this.registry.all()) {
      if (
        existing.group === types[0]?.group &&
        existing.resource === types[0]?.resource &&
        existing.crd !== crd.metadata?.name
      ) {
        throw alreadyExists(t.group, t.resource, crd.metadata?.name ?? '');
      }
    }
    for (const ct of types) this.registry.add(ct);
    return this.present(t, this.store.put(storageKey(t), { ...crd, status: establishedStatus(crd, this.clock.now()) }));
  }

  private refreshCrd(crd: KubeObject): void {
    if (crd.metadata?.deletionTimestamp) return;
    this.registry.removeCrd(crd.metadata?.name ?? '');
    for (const ct of typesForCrd(crd)) this.registry.add(ct);
  }
}
