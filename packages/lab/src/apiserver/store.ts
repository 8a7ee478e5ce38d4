import type { KubeObject } from '../core.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  key: string; // storage key: `group/resource`
  rv: number;
  object: KubeObject;
  /** The version before a MODIFIED, so a watch can tell objects moving in or out of its selector. */
  prev?: KubeObject;
}

type Listener = (e: StoreEvent) => void;

const itemKey = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/**
 * All objects of the lab, one table per storage key, with one resourceVersion counter and a bounded
 * event history. A watch from a version older than the history gets 410 Gone, as on a real server.
 * Stored objects are never mutated: each write stores a new object, so events can share them.
 */
export class ObjectStore {
  private rv: number;
  private readonly tables = new Map<string, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  private floor: number; // the oldest version a watch may start from
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly capacity: number;
  private readonly uids = new Map<string, { key: string; item: string }>();
  private readonly dependents = new Map<string, Set<string>>(); // owner uid -> `key|item`
  private readonly sorted = new Map<string, KubeObject[]>(); // storage key -> its objects by item key, until a write

  constructor(opts: { historyCapacity?: number; startResourceVersion?: number } = {}) {
    this.capacity = opts.historyCapacity ?? 10_000;
    // Starting above 1 makes "watch from 1" a stale version here too, as on any long-lived real cluster.
    this.rv = opts.startResourceVersion ?? 1000;
    this.floor = this.rv;
  }

  currentResourceVersion(): number {
    return this.rv;
  }

  oldestResourceVersion(): number {
    return this.floor;
  }

  get(key: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.tables.get(key)?.get(`${namespace ?? ''}/${name}`);
  }

  /** A table's objects by namespace and name, as etcd ranges over its keys. */
  list(key: string, namespace?: string): KubeObject[] {
    const all = this.sortedTable(key);
    return namespace === undefined ? [...all] : all.filter((o) => o.metadata?.namespace === namespace);
  }

  /** Sorted once per change of the table, not once per list: a paged list of 100,000 objects asks often. */
  private sortedTable(key: string): KubeObject[] {
    const cached = this.sorted.get(key);
    if (cached) return cached;
    const t = this.tables.get(key);
    if (!t) return [];
    const keys = [...t.keys()].sort();
    const out = keys.map((k) => t.get(k)!);
    this.sorted.set(key, out);
    return out;
  }

  keys(): string[] {
    return [...this.tables.keys()];
  }

  count(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.size;
    return n;
  }

  /** Stores a new version; the caller has built the object. Returns it with its resourceVersion. */
  put(key: string, obj: KubeObject): KubeObject {
    const rv = ++this.rv;
    const stored: KubeObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    let t = this.tables.get(key);
    if (!t) this.tables.set(key, (t = new Map()));
    const k = itemKey(stored);
    const prev = t.get(k);
    t.set(k, stored);
    this.sorted.delete(key);
    this.index(key, k, prev, stored);
    this.emit({ type: prev ? 'MODIFIED' : 'ADDED', key, rv, object: stored, prev });
    return stored;
  }

  remove(key: string, obj: KubeObject): KubeObject | undefined {
    const t = this.tables.get(key);
    const k = itemKey(obj);
    const prev = t?.get(k);
    if (!t || !prev) return undefined;
    t.delete(k);
    this.sorted.delete(key);
    this.index(key, k, prev, undefined);
    const rv = ++this.rv;
    const last: KubeObject = { ...prev, metadata: { ...prev.metadata, resourceVersion: String(rv) } };
    this.emit({ type: 'DELETED', key, rv, object: last, prev });
    return last;
  }

  dropTable(key: string): void {
    for (const o of this.list(key)) this.remove(key, o);
    this.tables.delete(key);
    this.sorted.delete(key);
  }

  byUid(uid: string): { key: string; object: KubeObject } | undefined {
    const at = this.uids.get(uid);
    const object = at && this.tables.get(at.key)?.get(at.item);
    return at && object ? { key: at.key, object } : undefined;
  }

  /** Objects whose ownerReferences name this uid. */
  dependentsOf(uid: string): { key: string; object: KubeObject }[] {
    const out: { key: string; object: KubeObject }[] = [];
    for (const ref of this.dependents.get(uid) ?? []) {
      const bar = ref.indexOf('|');
      const key = ref.slice(0, bar);
      const object = this.tables.get(key)?.get(ref.slice(bar + 1));
      if (object) out.push({ key, object });
    }
    return out;
  }

  private index(key: string, item: string, prev: KubeObject | undefined, next: KubeObject | undefined): void {
    const ref = `${key}|${item}`;
    if (prev?.metadata?.uid) this.uids.delete(prev.metadata.uid);
    for (const o of prev?.metadata?.ownerReferences ?? []) this.dependents.get(o.uid)?.delete(ref);
    if (next?.metadata?.uid) this.uids.set(next.metadata.uid, { key, item });
    for (const o of next?.metadata?.ownerReferences ?? []) {
      let s = this.dependents.get(o.uid);
      if (!s) this.dependents.set(o.uid, (s = new Set()));
      s.add(ref);
    }
  }

  /** Events after `rv` for one key, or undefined when `rv` is older than the history (410 Gone). */
  eventsSince(key: string, rv: number): StoreEvent[] | undefined {
    if (rv < this.floor) return undefined;
    const out: StoreEvent[] = [];
    // history is sorted by rv; find the first newer event by binary search
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.history.length; i++) if (this.history[i]!.key === key) out.push(this.history[i]!);
    return out;
  }

  subscribe(key: string, fn: Listener): () => void {
    let s = this.listeners.get(key);
    if (!s) this.listeners.set(key, (s = new Set()));
    s.add(fn);
    return () => s.delete(fn);
  }

  /** Forgets the event history, as etcd compaction does; later watches from older versions get 410. */
  compact(): void {
    this.history = [];
    this.floor = this.rv;
  }

  private emit(e: StoreEvent): void {
    this.history.push(e);
    // trim in chunks so a full history does not cost a memmove on every write
    if (this.history.length > this.capacity + (this.capacity >> 3)) {
      const drop = this.history.length - this.capacity;
      this.floor = this.history[drop - 1]!.rv;
      this.history.splice(0, drop);
    }
    for (const fn of this.listeners.get(e.key) ?? []) fn(e);
  }
}
