import { AwsObjectStore, settingsFromCluster, systemClock } from '../../core.js';
import type { Clock, KubeApi, KubeObject, ObjectStore, TypeRef } from '../../core.js';
import { Informer } from '../../controllers/informer.js';
import { veleroRelease, type VeleroRelease, type VeleroVersion } from '../versions.js';

export const V = (kind: string): TypeRef => ({ apiVersion: 'velero.io/v1', kind });
export const KINDS = [
  'BackupStorageLocation',
  'Backup',
  'Restore',
  'Schedule',
  'DownloadRequest',
  'DeleteBackupRequest',
] as const;
export type VeleroKind = (typeof KINDS)[number];

/** The Deployment `velero install` creates for the server (pkg/install/deployment.go). */
export const SERVER_DEPLOYMENT = 'velero';

export interface VeleroOptions {
  namespace?: string;
  /** How often a BSL without its own spec.validationFrequency is validated (Velero's server flag: 1 minute). */
  validationMs?: number;
  /** How often BSLs are synced (Velero: 1 minute; the lab is quicker). */
  syncMs?: number;
  /**
   * 'deployment' (default): this stand-in works only while the Velero server Deployment (velero/velero)
   * has a ready replica, as the real server only runs in its pod; scaled to 0, nothing is processed and
   * no BSL is validated. 'none': always work (tests of the controller without a cluster to run pods).
   */
  gate?: 'deployment' | 'none';
  /** Every timestamp, TTL, validation period and timer of this Velero reads it (systemClock by default). */
  clock?: Clock;
  restoreItemDelayMs?: number;
  /** The release to behave as (versions.ts); the nightly pin, 1.14, by default. */
  version?: VeleroVersion;
  /**
   * Velero's --resource-timeout: how long a restore waits for a restored CRD to be ready, and (as
   * --terminating-resource-timeout) for a terminating namespace to go. Velero: 10 minutes; the lab: 1.
   */
  resourceTimeoutMs?: number;
  /** How often a restore looks again at a CRD it waits for, or a terminating namespace (Velero: every second). */
  pollMs?: number;
  /** Builds the object store for a BSL; defaults to its S3 settings and credentials Secret. */
  storeFor?: (kube: KubeApi, bsl: KubeObject) => Promise<ObjectStore>;
}

/**
 * What every reconciler of the stand-in server shares, as Velero's controllers share the manager's
 * client and caches: the API, Velero's namespace, the release, the clock, one informer per kind, the
 * object store of each BSL, and the server's error log.
 */
export interface VeleroServer {
  readonly kube: KubeApi;
  readonly ns: string;
  readonly release: VeleroRelease;
  readonly clock: Clock;
  readonly opts: VeleroOptions;
  readonly inf: Record<VeleroKind, Informer>;
  /** The object store of a BSL, made again when its spec changes. */
  store(bsl: KubeObject): Promise<ObjectStore>;
  /** A BSL by name, or the default one (spec.default, else the one named default). */
  bslFor(name: string | undefined): KubeObject | undefined;
  /** Records a failure for errors(); the last 100 are kept. */
  note(message: string): void;
  errors(): string[];
}

/** The BSL's spec.objectStorage.prefix as a key prefix: '' or `<prefix>/`. */
export function prefixOf(bsl: KubeObject): string {
  const p = String(bsl.spec?.objectStorage?.prefix ?? '').replace(/^\/+|\/+$/g, '');
  return p ? `${p}/` : '';
}

export function newVeleroServer(kube: KubeApi, opts: VeleroOptions): VeleroServer {
  const ns = opts.namespace ?? 'velero';
  const inf = Object.fromEntries(KINDS.map((k) => [k, new Informer(V(k))])) as Record<VeleroKind, Informer>;
  const errors: string[] = [];
  return {
    kube,
    ns,
    release: veleroRelease(opts.version),
    clock: opts.clock ?? systemClock,
    opts,
    inf,
    store: storeCache(kube, ns, opts.storeFor),
    bslFor: (name) => {
      const all = inf.BackupStorageLocation.list(ns);
      return name
        ? all.find((b) => b.metadata?.name === name)
        : (all.find((b) => b.spec?.default) ?? all.find((b) => b.metadata?.name === 'default'));
    },
    note: (m) => {
      errors.push(m);
      if (errors.length > 100) errors.shift();
    },
    errors: () => [...errors],
  };
}

function storeCache(
  kube: KubeApi,
  ns: string,
  storeFor?: (kube: KubeApi, bsl: KubeObject) => Promise<ObjectStore>,
): (bsl: KubeObject) => Promise<ObjectStore> {
  const make =
    storeFor ??
    (async (k: KubeApi, bsl: KubeObject) =>
      new AwsObjectStore((await settingsFromCluster(k, ns, bsl.metadata?.name ?? '')).settings));
  const stores = new Map<string, { rv: string; store: ObjectStore }>();
  return async (bsl) => {
    const key = bsl.metadata?.name ?? '';
    const cached = stores.get(key);
    const rv = `${bsl.metadata?.uid}/${JSON.stringify(bsl.spec)}`;
    if (cached?.rv === rv) return cached.store;
    const s = await make(kube, bsl);
    stores.set(key, { rv, store: s });
    return s;
  };
}

/** One of the server's controllers: a pass over its kind; true when more work may wait right behind it. */
export interface Reconciler {
  /** How its failures are noted. */
  readonly name: string;
  reconcile(): Promise<boolean>;
}
