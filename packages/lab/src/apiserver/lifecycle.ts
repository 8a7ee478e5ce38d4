import type { KubeObject, ObjectMeta } from '../core.js';
import type { LabCluster } from './core.js';
import { storageKey, type ResourceType } from './resources.js';

/**
 * Deletion as a real cluster does it: finalizers, namespaces that go Terminating and then empty
 * themselves, and garbage collection of dependents by ownerReferences (what the controller-manager's
 * namespace and garbage-collector controllers do on a real cluster).
 */
export class Lifecycle {
  private readonly cluster: LabCluster;
  private readonly finalizeDelayMs: number;
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();

  constructor(cluster: LabCluster, finalizeDelayMs: number) {
    this.cluster = cluster;
    this.finalizeDelayMs = finalizeDelayMs;
  }

  delete(t: ResourceType, current: KubeObject, policy: 'Background' | 'Foreground' | 'Orphan'): KubeObject {
    const store = this.cluster.store;
    const key = storageKey(t);
    if (key === '/namespaces') return this.deleteNamespace(current);
    if (key === 'apiextensions.k8s.io/customresourcedefinitions') return this.deleteCrd(current);
    if (current.metadata?.deletionTimestamp) return current;
    if (policy === 'Orphan') this.orphan(current);
    const finalizers = [...(current.metadata?.finalizers ?? [])];
    if (policy === 'Foreground' && store.dependentsOf(current.metadata?.uid ?? '').length > 0)
      finalizers.push('foregroundDeletion');
    if (finalizers.length > 0) {
      const marked = store.put(key, {
        ...current,
        metadata: {
          ...current.metadata,
          deletionTimestamp: this.cluster.now(),
          deletionGracePeriodSeconds: 0,
          finalizers,
        },
      });
      if (finalizers.includes('foregroundDeletion')) this.later(() => this.foreground(key, marked), 0);
      return marked;
    }
    const last = store.remove(key, current) ?? current;
    this.collectDependents(current);
    return last;
  }

  /** Background GC: a dependent goes once none of its owners exists. */
  collectDependents(owner: KubeObject): void {
    const uid = owner.metadata?.uid;
    if (!uid) return;
    this.later(() => {
      const store = this.cluster.store;
      for (const { key, object } of store.dependentsOf(uid)) {
        const alive = (object.metadata?.ownerReferences ?? []).some((r) => r.uid !== uid && store.byUid(r.uid));
        if (alive) continue;
        const t = this.cluster.registry.forStorage(key)[0];
        if (t) this.delete(t, object, 'Background');
      }
    }, 0);
  }

  stop(): void {
    for (const h of this.pending) clearTimeout(h);
    this.pending.clear();
  }

  private foreground(key: string, owner: KubeObject): void {
    const store = this.cluster.store;
    const uid = owner.metadata?.uid ?? '';
    const deps = store.dependentsOf(uid);
    for (const { key: dk, object } of deps) {
      const t = this.cluster.registry.forStorage(dk)[0];
      if (t && !object.metadata?.deletionTimestamp) this.delete(t, object, 'Foreground');
    }
    if (store.dependentsOf(uid).length > 0) {
      this.later(() => this.foreground(key, owner), 50);
      return;
    }
    const cur = store.byUid(uid)?.object;
    if (!cur) return;
    const finalizers = (cur.metadata?.finalizers ?? []).filter((f) => f !== 'foregroundDeletion');
    if (finalizers.length === 0) store.remove(key, cur);
    else store.put(key, { ...cur, metadata: { ...cur.metadata, finalizers } });
  }

  private orphan(owner: KubeObject): void {
    const store = this.cluster.store;
    const uid = owner.metadata?.uid ?? '';
    for (const { key, object } of store.dependentsOf(uid)) {
      const refs = (object.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid);
      const meta: ObjectMeta = { ...object.metadata, ownerReferences: refs };
      if (refs.length === 0) delete meta.ownerReferences;
      store.put(key, { ...object, metadata: meta });
    }
  }

  private deleteNamespace(ns: KubeObject): KubeObject {
    if (ns.metadata?.deletionTimestamp) return ns;
    const marked = this.cluster.store.put('/namespaces', {
      ...ns,
      metadata: { ...ns.metadata, deletionTimestamp: this.cluster.now() },
      status: { phase: 'Terminating' },
    });
    this.later(() => this.finalizeNamespace(ns.metadata?.name ?? ''), this.finalizeDelayMs);
    return marked;
  }

  private finalizeNamespace(name: string): void {
    const store = this.cluster.store;
    let remaining = 0;
    for (const t of this.namespacedTypes()) {
      for (const o of store.list(storageKey(t), name)) {
        remaining++;
        if (!o.metadata?.deletionTimestamp) this.delete(t, o, 'Background');
      }
    }
    if (remaining > 0) {
      this.later(() => this.finalizeNamespace(name), 50);
      return;
    }
    const ns = store.get('/namespaces', undefined, name);
    if (!ns) return;
    if ((ns.metadata?.finalizers?.length ?? 0) > 0) {
      // someone else's finalizer: drop ours and wait for theirs, as the namespace controller does
      store.put('/namespaces', { ...ns, spec: { ...ns.spec, finalizers: [] } });
      return;
    }
    store.remove('/namespaces', ns);
  }

  private deleteCrd(crd: KubeObject): KubeObject {
    const store = this.cluster.store;
    const types = this.cluster.registry.removeCrd(crd.metadata?.name ?? '');
    for (const t of types) store.dropTable(storageKey(t));
    return store.remove('apiextensions.k8s.io/customresourcedefinitions', crd) ?? crd;
  }

  private namespacedTypes(): ResourceType[] {
    const seen = new Set<string>();
    return this.cluster.registry.all().filter((t) => {
      if (!t.namespaced || seen.has(storageKey(t))) return false;
      seen.add(storageKey(t));
      return true;
    });
  }

  // Deferrals of the controllers' work to a later turn, after the request that caused it has its answer:
  // Node's timer, not the cluster's clock, whose 0 ms timeout may run at once, inside the request.
  private later(fn: () => void, ms: number): void {
    const h = setTimeout(() => {
      this.pending.delete(h);
      fn();
    }, ms);
    this.pending.add(h);
  }
}
