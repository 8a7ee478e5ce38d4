import type { KubeObject } from './types.js';

/** A kind of object, as manifests name it. */
export interface TypeRef {
  apiVersion: string;
  kind: string;
}

/** One object. `namespace` is ignored for cluster-scoped kinds. */
export interface ObjectRef extends TypeRef {
  namespace?: string;
  name: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** A kind the server serves, from discovery (preferred version of each group). */
export interface ServedResource {
  apiVersion: string;
  group: string;
  kind: string;
  resource: string; // plural
  namespaced: boolean;
  verbs: string[];
  /** As discovery names it, for resolving a name the way kubectl and Velero do (singular, short names). */
  singular?: string;
  shortNames?: string[];
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
}

export type PatchKind = 'merge' | 'json' | 'strategic';

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
  /** True when the event was derived from a re-list after a 410 or a lost stream, not streamed. */
  resynced?: boolean;
}

export interface WatchOptions extends ListOptions {
  /**
   * Start streaming from this version instead of listing first (to resume a watch kdrill journaled).
   * If the server no longer has it (410 Gone), the watch lists and carries on.
   */
  resourceVersion?: string;
  onEvent: (e: WatchEvent) => void;
  /** Called after each (re-)list with the full current set, before the events it implies. */
  onSync?: (items: KubeObject[]) => void;
  signal?: AbortSignal;
}

export interface WatchHandle {
  /** Resolves after the first list has been delivered and the stream is open. */
  ready: Promise<void>;
  stop(): void;
  /** How often the watch had to list again (410 Gone) and reconnect (dropped stream). */
  stats(): { relists: number; reconnects: number };
}

/**
 * The Kubernetes API in kdrill's words. One adapter implements it over @kubernetes/client-node
 * (client-node.ts); tests may implement it in memory. Errors are DrillErrors (see errors.ts).
 */
export interface KubeApi {
  /** The kube context in use and its server URL, for allow-lists and messages. */
  readonly context: string;
  readonly server: string;
  serverVersion(): Promise<{ gitVersion: string; major: string; minor: string }>;
  /**
   * Every listable kind the server serves, at each group's preferred version; a group that does not answer is
   * skipped. Asked of the server each time unless `reuse`: then the last answer, when there is one (a run's
   * reads before it changed anything; never after a restore, which may have brought CRDs).
   */
  resources(o?: { reuse?: boolean }): Promise<ServedResource[]>;
  /** The API groups discovery had to skip, and why (an aggregated API that does not answer). */
  discoveryWarnings?(): string[];
  /** The server's Warning headers since the last call (an admission webhook in warn mode), then forgets them. */
  takeWarnings?(): string[];
  /** Whether the server serves this kind (after discovery; CRDs may appear later). */
  serves(type: TypeRef): Promise<boolean>;
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** Lists every page. */
  list(type: TypeRef, opts?: ListOptions): Promise<ListResult>;
  /**
   * Lists page by page (`limit`/`continue`), handing each page over as it arrives so a caller can reduce it
   * and let it go. `restart` is true on the first page of a list and again when the server expired the list
   * half-way (410) and it was listed again from the start: the caller forgets what it had.
   */
  listEach(type: TypeRef, opts: ListOptions, onPage: (items: KubeObject[], restart: boolean) => void): Promise<string>;
  create(obj: KubeObject): Promise<KubeObject>;
  /** Full update; a stale metadata.resourceVersion is a conflict (KubeApiError with status 409). */
  replace(obj: KubeObject): Promise<KubeObject>;
  patch(ref: ObjectRef, patch: unknown, kind?: PatchKind): Promise<KubeObject>;
  /** Merge-patches status: on the status subresource when the kind has one, else on the object. */
  patchStatus(ref: ObjectRef, status: unknown): Promise<KubeObject>;
  /** Returns false when the object was already gone. */
  delete(ref: ObjectRef, opts?: DeleteOptions): Promise<boolean>;
  /** GET through the API server's service proxy: what an HTTP probe of an in-cluster Service sees. */
  proxyGet(
    namespace: string,
    service: string,
    port: string | number,
    path: string,
  ): Promise<{ status: number; body: string }>;
  /** Binds a Pod to a node, as a scheduler does. */
  bindPod(namespace: string, name: string, node: string): Promise<void>;
  /** List, then watch from that version; lists again after 410 Gone, reconnects after a drop. */
  watch(type: TypeRef, opts: WatchOptions): WatchHandle;
}
