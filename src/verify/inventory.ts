import { createHash } from 'node:crypto';
import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';

export interface InventoryItem {
  kind: string; // group/Kind, e.g. apps/Deployment, /ConfigMap
  namespace: string;
  name: string;
  specHash: string;
}

export interface InventoryDiff {
  missing: string[];
  extra: string[];
  changed: string[];
}

// What a restore is not expected to bring back as it was: objects controllers make, and server noise.
const SKIP_KINDS = new Set(['/Pod', '/Event', 'events.k8s.io/Event', '/Endpoints', 'discovery.k8s.io/EndpointSlice', 'apps/ReplicaSet', 'apps/ControllerRevision', 'coordination.k8s.io/Lease', 'batch/Job', 'metrics.k8s.io/PodMetrics']);
// assigned by the server or a provisioner: a restored claim may well get a new volume
const VOLATILE_SPEC = ['clusterIP', 'clusterIPs', 'healthCheckNodePort', 'volumeName'];
// what the cluster itself keeps per namespace: the token controller (before 1.24) lists a ServiceAccount's
// token Secrets, whose names are random, and every cluster publishes its own CA as kube-root-ca.crt
const VOLATILE_TOP: Record<string, string[]> = { ServiceAccount: ['secrets'] };
const CLUSTER_MANAGED = new Set(['/ConfigMap kube-root-ca.crt']);

const key = (i: Pick<InventoryItem, 'kind' | 'namespace' | 'name'>): string => `${i.kind} ${i.namespace}/${i.name}`;

/** A hash of what the object is meant to be: spec (or data), without fields the server assigns. */
export function specHash(o: KubeObject, kind = o.kind ?? ''): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  const body = rest as Record<string, unknown>;
  for (const f of VOLATILE_TOP[kind] ?? []) delete body[f];
  if (body.spec && typeof body.spec === 'object') {
    const spec = { ...(body.spec as Record<string, unknown>) };
    for (const f of VOLATILE_SPEC) delete spec[f];
    body.spec = spec;
  }
  return createHash('sha256').update(stableJson(body)).digest('hex').slice(0, 16);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Every object in the namespaces that a restore should bring back, with its spec hash. */
export async function snapshotInventory(kube: KubeApi, namespaces: string[]): Promise<InventoryItem[]> {
  const out: InventoryItem[] = [];
  const types = (await kube.resources()).filter((r) => r.namespaced && !SKIP_KINDS.has(`${r.group}/${r.kind}`) && r.group !== 'velero.io');
  for (const ns of namespaces) {
    for (const t of types) {
      let items: KubeObject[];
      try {
        items = (await kube.list({ apiVersion: t.apiVersion, kind: t.kind }, { namespace: ns })).items;
      } catch {
        continue; // a kind that cannot be listed here is not part of the inventory
      }
      for (const o of items) {
        if (o.metadata?.ownerReferences?.some((r) => r.controller)) continue;
        if (t.kind === 'Secret' && o.type === 'kubernetes.io/service-account-token') continue;
        if (CLUSTER_MANAGED.has(`${t.group}/${t.kind} ${o.metadata?.name ?? ''}`)) continue;
        out.push({ kind: `${t.group}/${t.kind}`, namespace: ns, name: o.metadata?.name ?? '', specHash: specHash(o, t.kind) });
      }
    }
  }
  return out.sort((a, b) => key(a).localeCompare(key(b)));
}

export function diffInventory(before: InventoryItem[], after: InventoryItem[], ignore: string[] = []): InventoryDiff {
  const ignored = (i: InventoryItem): boolean => ignore.some((g) => g === i.kind.split('/')[1] || g === `${i.kind.split('/')[1]}/${i.name}`);
  const a = new Map(before.filter((i) => !ignored(i)).map((i) => [key(i), i]));
  const b = new Map(after.filter((i) => !ignored(i)).map((i) => [key(i), i]));
  const missing = [...a.keys()].filter((k) => !b.has(k));
  const extra = [...b.keys()].filter((k) => !a.has(k));
  const changed = [...a.keys()].filter((k) => b.has(k) && b.get(k)!.specHash !== a.get(k)!.specHash);
  return { missing, extra, changed };
}
