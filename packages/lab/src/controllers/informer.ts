import type { KubeApi, TypeRef, WatchHandle } from '../core.js';
import type { KubeObject } from '../core.js';

const keyOf = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
const rvOf = (o: KubeObject | undefined): number => Number(o?.metadata?.resourceVersion ?? 0);

/**
 * A watched, cached view of one kind. Controllers write through it (`remember`/`forget`) so a
 * reconcile that runs before the watch catches up does not act twice on the same object.
 */
export class Informer {
  readonly type: TypeRef;
  private readonly items = new Map<string, KubeObject>();
  private handle?: WatchHandle;

  constructor(type: TypeRef) {
    this.type = type;
  }

  start(kube: KubeApi, onChange: () => void, signal: AbortSignal): Promise<void> {
    this.handle = kube.watch(this.type, {
      signal,
      onEvent: (e) => {
        const k = keyOf(e.object);
        if (e.type === 'DELETED') this.items.delete(k);
        else if (rvOf(e.object) >= rvOf(this.items.get(k)) || e.resynced) this.items.set(k, e.object);
        onChange();
      },
    });
    return this.handle.ready;
  }

  list(namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const o of this.items.values())
      if (namespace === undefined || o.metadata?.namespace === namespace) out.push(o);
    return out;
  }

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.items.get(`${namespace ?? ''}/${name}`);
  }

  remember(o: KubeObject): void {
    if (rvOf(o) >= rvOf(this.items.get(keyOf(o)))) this.items.set(keyOf(o), o);
  }

  forget(o: KubeObject): void {
    this.items.delete(keyOf(o));
  }

  ownedBy(uid: string): KubeObject[] {
    return this.list().filter((o) => o.metadata?.ownerReferences?.some((r) => r.uid === uid));
  }
}
