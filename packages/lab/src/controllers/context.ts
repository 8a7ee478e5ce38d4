import { isKubeApiError, systemClock } from '../core.js';
import type { Clock, KubeApi, ObjectRef, TypeRef } from '../core.js';
import type { KubeObject } from '../core.js';
import { Informer } from './informer.js';

export const KINDS = {
  namespace: { apiVersion: 'v1', kind: 'Namespace' },
  node: { apiVersion: 'v1', kind: 'Node' },
  pod: { apiVersion: 'v1', kind: 'Pod' },
  pvc: { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  pv: { apiVersion: 'v1', kind: 'PersistentVolume' },
  deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
  replicaset: { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  statefulset: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  daemonset: { apiVersion: 'apps/v1', kind: 'DaemonSet' },
} as const satisfies Record<string, TypeRef>;

export type KindName = keyof typeof KINDS;

/**
 * What every lab controller shares: the API, one informer per kind, and writes that go through the
 * informers. Conflicts and not-found answers are expected races between controllers and are retried
 * by the next reconcile rather than reported.
 */
export class ControllerContext {
  readonly kube: KubeApi;
  /** Every timestamp the controllers write, and the kubelet's delays, read it. */
  readonly clock: Clock;
  readonly informers: Record<KindName, Informer>;
  readonly errors: string[] = [];

  constructor(kube: KubeApi, clock: Clock = systemClock) {
    this.kube = kube;
    this.clock = clock;
    this.informers = Object.fromEntries(Object.entries(KINDS).map(([k, t]) => [k, new Informer(t)])) as Record<
      KindName,
      Informer
    >;
  }

  of(kind: KindName): Informer {
    return this.informers[kind];
  }

  async create(kind: KindName, obj: KubeObject): Promise<KubeObject | undefined> {
    return this.guard(async () => {
      const created = await this.kube.create({ ...KINDS[kind], ...obj });
      this.informers[kind].remember(created);
      return created;
    });
  }

  async patch(kind: KindName, o: KubeObject, patch: unknown): Promise<KubeObject | undefined> {
    return this.guard(async () => {
      const out = await this.kube.patch(this.ref(kind, o), patch, 'merge');
      this.informers[kind].remember(out);
      return out;
    });
  }

  async patchStatus(kind: KindName, o: KubeObject, status: unknown): Promise<KubeObject | undefined> {
    return this.guard(async () => {
      const out = await this.kube.patchStatus(this.ref(kind, o), status);
      this.informers[kind].remember(out);
      return out;
    });
  }

  async delete(kind: KindName, o: KubeObject, gracePeriodSeconds?: number): Promise<void> {
    await this.guard(async () => {
      await this.kube.delete(this.ref(kind, o), gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds });
      if (gracePeriodSeconds === 0 || kind !== 'pod' || !o.spec?.nodeName) this.informers[kind].forget(o);
      return undefined;
    });
  }

  private ref(kind: KindName, o: KubeObject): ObjectRef {
    return { ...KINDS[kind], namespace: o.metadata?.namespace, name: o.metadata?.name ?? '' };
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      if (isKubeApiError(e, 409) || isKubeApiError(e, 404)) return undefined;
      // Admission refusals and terminating namespaces are the cluster saying no; record, retry later.
      if (isKubeApiError(e, 403) || isKubeApiError(e, 422)) {
        this.note((e as Error).message);
        return undefined;
      }
      throw e;
    }
  }

  note(msg: string): void {
    this.errors.push(msg);
    if (this.errors.length > 100) this.errors.shift();
  }
}
