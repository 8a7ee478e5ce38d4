import { hash as cryptoHash } from 'node:crypto';
import { isKubeApiError } from '../kube/errors.js';
import type { KubeApi, ServedResource } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';

/**
 * One object a restore must bring back, reduced to what makes it what it is: a hash of each part of
 * its body (spec, data, rules, …), its labels as they are (Services, NetworkPolicies and PDBs select
 * on them), and a hash of each annotation's value. Secret data is only ever hashed.
 */
export interface InventoryItem {
  kind: string; // group/Kind, e.g. apps/Deployment, /ConfigMap
  namespace: string;
  name: string;
  fields: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ChangedItem {
  key: string;
  /** What differs, e.g. `spec`, `label app.kubernetes.io/name: "query" → absent`, `annotation team changed`. */
  what: string[];
}

export interface InventoryDiff {
  missing: string[];
  extra: string[];
  changed: ChangedItem[];
}

// What a restore is not expected to bring back as it was: objects controllers make, and server noise.
export const SKIP_KINDS = new Set([
  '/Pod',
  '/Event',
  'events.k8s.io/Event',
  '/Endpoints',
  'discovery.k8s.io/EndpointSlice',
  'apps/ReplicaSet',
  'apps/ControllerRevision',
  'coordination.k8s.io/Lease',
  'batch/Job',
  'metrics.k8s.io/PodMetrics',
]);
// assigned by the server or a provisioner: a restored claim may well get a new volume
const VOLATILE_SPEC = ['clusterIP', 'clusterIPs', 'healthCheckNodePort', 'volumeName'];
// what the cluster itself keeps per namespace: the token controller (before 1.24) lists a ServiceAccount's
// token Secrets, whose names are random; every namespace gets its `default` ServiceAccount and the
// cluster's own CA as kube-root-ca.crt from kube-controller-manager, restore or not
const VOLATILE_TOP: Record<string, string[]> = { ServiceAccount: ['secrets'] };
const CLUSTER_MANAGED = new Set(['/ConfigMap kube-root-ca.crt', '/ServiceAccount default']);

/**
 * Labels and annotations that the API server, controllers or Velero write on their own, so a
 * restored object differs there without anything being lost. Everything else a user or a chart set
 * is compared. Exact keys, then prefixes.
 */
export const IGNORED_LABELS = [
  'velero.io/backup-name', // Velero marks every restored object (pkg/restore/restore.go)
  'velero.io/restore-name',
  'kubernetes.io/metadata.name', // the API server labels each Namespace with its name (1.21+)
  'pod-template-hash', // Deployment controller
  'controller-revision-hash', // StatefulSet and DaemonSet controllers
  'statefulset.kubernetes.io/pod-name',
  'controller-uid', // Job controller
  'job-name',
  'batch.kubernetes.io/controller-uid',
  'batch.kubernetes.io/job-name',
];
export const IGNORED_ANNOTATIONS = [
  'kubectl.kubernetes.io/last-applied-configuration', // written by kubectl apply, not part of the object's meaning
  'deployment.kubernetes.io/revision', // Deployment controller
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'pv.kubernetes.io/bind-completed', // PV controller
  'pv.kubernetes.io/bound-by-controller',
  'pv.kubernetes.io/provisioned-by',
  'pv.kubernetes.io/migrated-to',
  'volume.kubernetes.io/selected-node', // scheduler
  'volume.kubernetes.io/storage-provisioner',
  'volume.beta.kubernetes.io/storage-provisioner',
  'kubernetes.io/service-account.uid', // token controller
  'endpoints.kubernetes.io/last-change-trigger-time',
  'control-plane.alpha.kubernetes.io/leader',
];
const IGNORED_PREFIXES = ['velero.io/']; // restore and backup bookkeeping Velero adds

const ignored = (list: string[], k: string): boolean =>
  list.includes(k) || IGNORED_PREFIXES.some((p) => k.startsWith(p));

const key = (i: Pick<InventoryItem, 'kind' | 'namespace' | 'name'>): string => `${i.kind} ${i.namespace}/${i.name}`;
export const inventoryKey = key;

// crypto.hash: one call, no Hash object per field (two per object, 20,000 objects an inventory). The 16
// characters are made from the digest's first 8 bytes, not sliced from its hex: a slice would keep the
// whole 64-character string alive, for each field of each of 100,000 objects
const hash = (v: unknown): string => cryptoHash('sha256', stableJson(v), 'buffer').toString('hex', 0, 8);

// the labels or annotations of the many objects that have none: one shared empty record, never written to
const NONE: Record<string, string> = Object.freeze({});
const orNone = (r: Record<string, string>): Record<string, string> => (Object.keys(r).length ? r : NONE);

/** Hands out one frozen record for records that are equal, so an inventory keeps each distinct label set once. */
export type RecordShare = (r: Record<string, string>) => Record<string, string>;

// a chart's objects repeat the same labels and annotations by the thousand (app, team, part-of): one copy of
// each set instead of one per object halves what an inventory of 100,000 objects holds. Bounded, so objects
// whose labels are all different cost no more than before
const SHARED_SETS = 10_000;
export function recordShare(): RecordShare {
  const sets = new Map<string, Record<string, string>>();
  return (r) => {
    const keys = Object.keys(r);
    if (!keys.length) return NONE;
    const id = JSON.stringify(keys.map((k) => [k, r[k]]));
    const known = sets.get(id);
    if (known) return known;
    if (sets.size < SHARED_SETS) sets.set(id, Object.freeze(r));
    return r;
  };
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** What the object is meant to be, part by part, without what the server, controllers or Velero write. */
export function fingerprint(
  o: KubeObject,
  kind = o.kind ?? '',
  share: RecordShare = orNone,
): Pick<InventoryItem, 'fields' | 'labels' | 'annotations'> {
  const { metadata, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  const body = rest as Record<string, unknown>;
  for (const f of VOLATILE_TOP[kind] ?? []) delete body[f];
  if (body.spec && typeof body.spec === 'object') {
    const spec = { ...(body.spec as Record<string, unknown>) };
    for (const f of VOLATILE_SPEC) delete spec[f];
    if (kind === 'Service' && Array.isArray(spec.ports)) spec.ports = spec.ports.map(unassignedNodePort(o));
    body.spec = spec;
  }
  const fields: Record<string, string> = {};
  for (const [f, v] of Object.entries(body)) if (v !== undefined) fields[f] = hash(v);
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata?.labels ?? {})) if (!ignored(IGNORED_LABELS, k)) labels[k] = v;
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata?.annotations ?? {}))
    if (!ignored(IGNORED_ANNOTATIONS, k)) annotations[k] = hash(v);
  return { fields, labels: share(labels), annotations: share(annotations) };
}

/**
 * A Service port's nodePort unless it was set on purpose. Velero clears node ports on restore except those
 * named in kubectl's last-applied configuration (pkg/restore/actions/service_action.go), and the API server
 * assigns new ones at random: a different number there is the restore working, not data lost.
 */
function unassignedNodePort(o: KubeObject): (port: unknown) => unknown {
  let applied: { name?: string; port?: number; nodePort?: number }[] = [];
  try {
    const last = o.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration'];
    applied = last ? ((JSON.parse(last) as { spec?: { ports?: typeof applied } }).spec?.ports ?? []) : [];
  } catch {
    applied = [];
  }
  return (port) => {
    if (!port || typeof port !== 'object' || !('nodePort' in port)) return port;
    const p = port as { name?: string; port?: number; nodePort?: number };
    const onPurpose = applied.some((a) => a.nodePort && (p.name ? a.name === p.name : a.port === p.port));
    if (onPurpose) return port;
    const { nodePort: _n, ...rest } = p;
    return rest;
  };
}

/** Whether a listed object is one a restore should bring back (and so belongs in the inventory). */
export function inventoried(o: KubeObject, group: string, kind: string): boolean {
  if (o.metadata?.ownerReferences?.some((r) => r.controller)) return false;
  if (kind === 'Secret' && o.type === 'kubernetes.io/service-account-token') return false;
  return !CLUSTER_MANAGED.has(`${group}/${kind} ${o.metadata?.name ?? ''}`);
}

/** The types an inventory lists: namespaced, not skipped, not Velero's own. */
async function inventoryTypes(kube: KubeApi, reuse: boolean): Promise<ServedResource[]> {
  const listed = new Set<string>();
  return (await kube.resources({ reuse })).filter((r) => {
    const kind = `${r.group}/${r.kind}`;
    if (!r.namespaced || SKIP_KINDS.has(kind) || r.group === 'velero.io' || listed.has(kind)) return false;
    // two resources of one kind in a group (rare, an aggregated API's): listed once, as an object is counted once
    listed.add(kind);
    return true;
  });
}

/**
 * Every inventoried object of each type in each namespace, handed over page by page; `restart` when the
 * server expired the list half-way and it starts again from the first page (what was handed over of that
 * type is void). Kinds kdrill may not list (403) are left out and added to `unreadable`.
 */
async function eachInventoried(
  kube: KubeApi,
  namespaces: string[],
  unreadable: Set<string> | undefined,
  onPage: (items: InventoryItem[], restart: boolean) => void,
  onTypeDone: () => void,
  reuseDiscovery = false,
): Promise<void> {
  const types = await inventoryTypes(kube, reuseDiscovery);
  const share = recordShare();
  // a namespace named twice (the scenario schema allows it) is listed once
  for (const ns of new Set(namespaces)) {
    for (const t of types) {
      const kind = `${t.group}/${t.kind}`;
      try {
        await kube.listEach({ apiVersion: t.apiVersion, kind: t.kind }, { namespace: ns }, (page, restart) => {
          const items: InventoryItem[] = [];
          for (const o of page) {
            if (!inventoried(o, t.group, t.kind)) continue;
            // six fields in one literal: a spread would give each of 100,000 items a second property store
            const f = fingerprint(o, t.kind, share);
            const name = o.metadata?.name ?? '';
            items.push({ kind, namespace: ns, name, fields: f.fields, labels: f.labels, annotations: f.annotations });
          }
          onPage(items, !!restart);
        });
      } catch (e) {
        // a kind kdrill may not read (a scheduled drill's RBAC leaves Secrets out) or that went away is not part of
        // the inventory; any other failure means the inventory cannot be trusted, and says so
        onPage([], true);
        if (isKubeApiError(e, 403)) unreadable?.add(`${t.group}/${t.kind}`);
        if (isKubeApiError(e, 403) || isKubeApiError(e, 404) || isKubeApiError(e, 405)) continue;
        throw e;
      }
      onTypeDone();
    }
  }
}

/**
 * Every object in the namespaces that a restore should bring back, with its fingerprint. Lists are read
 * page by page and each page is reduced to fingerprints as it arrives, so only the fingerprints are held.
 * Kinds kdrill may not list (403) are left out and added to `unreadable`, for the caller to say so.
 * `reuseDiscovery`: the kinds the run's last discovery found, for an inventory taken before anything changed.
 */
export async function snapshotInventory(
  kube: KubeApi,
  namespaces: string[],
  unreadable?: Set<string>,
  o: { reuseDiscovery?: boolean } = {},
): Promise<InventoryItem[]> {
  const out: InventoryItem[] = [];
  let items: InventoryItem[] = [];
  await eachInventoried(
    kube,
    namespaces,
    unreadable,
    (page, restart) => {
      if (restart) items = [];
      for (const i of page) items.push(i);
    },
    () => {
      for (const i of items) out.push(i);
      items = [];
    },
    o.reuseDiscovery,
  );
  // each key built once, and compared as localeCompare compares (one collator, not one per call)
  const keyed = out.map((i) => ({ k: key(i), i }));
  keyed.sort((a, b) => collator.compare(a.k, b.k));
  return keyed.map((x) => x.i);
}

/**
 * Expected by kind and namespace, then by name: the items' own names are the keys, so no string is built per
 * object and held to the end (100,000 of them). The last of duplicates wins, as a Map by key does.
 */
function byKindThenName(
  expected: InventoryItem[],
  skip: (i: InventoryItem) => boolean,
): Map<string, Map<string, InventoryItem>> {
  const want = new Map<string, Map<string, InventoryItem>>();
  for (const i of expected) {
    if (skip(i)) continue;
    const group = `${i.kind} ${i.namespace}`;
    let byName = want.get(group);
    if (!byName) want.set(group, (byName = new Map()));
    byName.set(i.name, i);
  }
  return want;
}

/**
 * The objects in the namespaces now, against `expected`, compared page by page as they are listed: the
 * second inventory is never held, only what differs (and, for the type being listed, which expected items
 * were found, so that a list the server restarts is compared again from its first page). The same answer as
 * `diffInventory(expected, await snapshotInventory(…), ignore)`.
 */
export async function compareInventory(
  kube: KubeApi,
  namespaces: string[],
  expected: InventoryItem[],
  ignore: string[] = [],
  unreadable?: Set<string>,
): Promise<InventoryDiff> {
  const skip = skipper(ignore);
  const want = byKindThenName(expected, skip);
  const winner = (i: InventoryItem): InventoryItem | undefined => want.get(`${i.kind} ${i.namespace}`)?.get(i.name);
  const seen = new Set<InventoryItem>();
  const extra: string[] = [];
  const changed: { x: InventoryItem; what: string[] }[] = [];
  let typeSeen: InventoryItem[] = [];
  let typeExtra: string[] = [];
  let typeChanged: typeof changed = [];
  await eachInventoried(
    kube,
    namespaces,
    unreadable,
    (page, restart) => {
      if (restart) [typeSeen, typeExtra, typeChanged] = [[], [], []];
      // a page is one kind in one namespace
      const byName = page[0] && want.get(`${page[0].kind} ${page[0].namespace}`);
      for (const y of page) {
        if (skip(y)) continue;
        const x = byName?.get(y.name);
        if (!x) typeExtra.push(key(y));
        else {
          typeSeen.push(x);
          const what = differences(x, y);
          if (what.length) typeChanged.push({ x, what });
        }
      }
    },
    () => {
      for (const x of typeSeen) seen.add(x);
      extra.push(...typeExtra);
      changed.push(...typeChanged);
      [typeSeen, typeExtra, typeChanged] = [[], [], []];
    },
  );
  // in the order diffInventory gives: missing and changed where expected first lists them, extra as the listing sorts
  const missing: string[] = [];
  const first = new Map<InventoryItem, number>();
  const isChanged = new Set(changed.map((c) => c.x));
  expected.forEach((i, n) => {
    const w = skip(i) ? undefined : winner(i);
    if (!w || first.has(w)) return;
    if (!seen.has(w)) missing.push(key(w));
    if (!seen.has(w) || isChanged.has(w)) first.set(w, n);
  });
  changed.sort((a, b) => first.get(a.x)! - first.get(b.x)!);
  extra.sort((a, b) => collator.compare(a, b));
  return { missing, extra, changed: changed.map((c) => ({ key: key(c.x), what: c.what })) };
}

const collator = new Intl.Collator();

/** What differs between two fingerprints of one object, in words an operator can act on. */
export function differences(a: InventoryItem, b: InventoryItem): string[] {
  const out: string[] = [];
  for (const f of new Set([...Object.keys(a.fields), ...Object.keys(b.fields)]))
    if (a.fields[f] !== b.fields[f]) out.push(f);
  const shown = (v: string | undefined): string => (v === undefined ? 'absent' : JSON.stringify(v));
  for (const k of new Set([...Object.keys(a.labels), ...Object.keys(b.labels)]))
    if (a.labels[k] !== b.labels[k]) out.push(`label ${k}: ${shown(a.labels[k])} → ${shown(b.labels[k])}`);
  for (const k of new Set([...Object.keys(a.annotations), ...Object.keys(b.annotations)])) {
    if (a.annotations[k] === b.annotations[k]) continue;
    out.push(
      `annotation ${k} ${a.annotations[k] === undefined ? 'added' : b.annotations[k] === undefined ? 'missing' : 'changed'}`,
    );
  }
  return out;
}

/** Kinds (`ConfigMap`) and objects (`ConfigMap/name`) a scenario says not to compare. */
function skipper(ignore: string[]): (i: InventoryItem) => boolean {
  return (i) => ignore.some((g) => g === i.kind.split('/')[1] || g === `${i.kind.split('/')[1]}/${i.name}`);
}

export function diffInventory(before: InventoryItem[], after: InventoryItem[], ignore: string[] = []): InventoryDiff {
  const skip = skipper(ignore);
  const a = new Map(before.filter((i) => !skip(i)).map((i) => [key(i), i]));
  const b = new Map(after.filter((i) => !skip(i)).map((i) => [key(i), i]));
  const missing = [...a.keys()].filter((k) => !b.has(k));
  const extra = [...b.keys()].filter((k) => !a.has(k));
  const changed: ChangedItem[] = [];
  for (const [k, x] of a) {
    const y = b.get(k);
    if (!y) continue;
    const what = differences(x, y);
    if (what.length) changed.push({ key: k, what });
  }
  return { missing, extra, changed };
}
