import type { KubeObject } from '../core.js';

// JSON of many shapes, as the core types spec and status; the code narrows what it reads
type Json = Record<string, KubeObject['spec']>;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

interface Port {
  name?: string;
  port?: number;
  protocol?: string;
  nodePort?: number;
  [k: string]: unknown;
}

/**
 * What Velero's Service restore item action does (pkg/restore/actions/service_action.go): a headless
 * Service (`clusterIP: None`) keeps its cluster IPs, any other gets new ones; unless the Restore says
 * preserveNodePorts, node ports (and the health-check node port) are cleared unless they were set on
 * purpose: named in last-applied-configuration, or, without that annotation, owned in managedFields.
 * Returns a new object; throws on a last-applied-configuration that is not JSON, as Velero's action does.
 */
export function serviceForRestore(svc: KubeObject, preserveNodePorts: boolean): KubeObject {
  const out = structuredClone(svc);
  const spec = (out.spec ?? {}) as Record<string, unknown>;
  if (spec.clusterIP !== 'None') {
    delete spec.clusterIP;
    delete spec.clusterIPs;
  }
  if (!preserveNodePorts) {
    clearNodePorts(out, spec);
    clearHealthCheckNodePort(out, spec);
  }
  out.spec = spec;
  return out;
}

const lastApplied = (svc: KubeObject): Json | undefined => {
  const raw = svc.metadata?.annotations?.[LAST_APPLIED];
  return raw === undefined ? undefined : (JSON.parse(raw) as Json);
};

/** managedFields entries' fieldsV1 trees. */
const ownedFields = (svc: KubeObject): Json[] =>
  ((svc.metadata?.managedFields ?? []) as { fieldsV1?: Json }[])
    .map((m) => m.fieldsV1)
    .filter((f): f is Json => typeof f === 'object' && f !== null);

const asInt = (v: unknown): number => {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string') {
    if (!/^[+-]?\d+$/.test(v)) throw new Error(`strconv.Atoi: parsing "${v}": invalid syntax`);
    return Number.parseInt(v, 10);
  }
  return 0;
};

function clearNodePorts(svc: KubeObject, spec: Record<string, unknown>): void {
  if (spec.type === 'ExternalName') return;
  const ports = (spec.ports ?? []) as Port[];
  const clear = (p: Port): void => void delete p.nodePort;
  const applied = lastApplied(svc);
  if (applied) {
    const named = new Set<string>();
    const unnamed = new Set<number>();
    for (const p of (applied.spec?.ports ?? []) as Record<string, unknown>[]) {
      if (typeof p !== 'object' || p === null || !('nodePort' in p)) continue;
      const n = asInt(p.nodePort);
      if (n <= 0) continue;
      if ('name' in p) named.add(String(p.name));
      else unnamed.add(n);
    }
    for (const p of ports) if (p.name ? !named.has(p.name) : !unnamed.has(p.nodePort ?? 0)) clear(p);
    return;
  }
  const explicit = new Set<string>();
  for (const f of ownedFields(svc)) {
    const owned = f['f:spec']?.['f:ports'] as Record<string, Record<string, unknown>> | undefined;
    for (const [key, p] of Object.entries(owned ?? {}))
      if (typeof p === 'object' && p !== null && 'f:nodePort' in p) explicit.add(key);
  }
  for (const p of ports) if (!explicit.has(`k:{"port":${p.port ?? 0},"protocol":"${p.protocol ?? ''}"}`)) clear(p);
}

function clearHealthCheckNodePort(svc: KubeObject, spec: Record<string, unknown>): void {
  if (spec.externalTrafficPolicy !== 'Local' || spec.type !== 'LoadBalancer' || !spec.healthCheckNodePort) return;
  const applied = lastApplied(svc);
  if (applied && Number(applied.spec?.healthCheckNodePort ?? 0) !== 0) return;
  if (
    ownedFields(svc).some(
      (f) => f['f:spec'] && typeof f['f:spec'] === 'object' && 'f:healthCheckNodePort' in f['f:spec'],
    )
  )
    return;
  delete spec.healthCheckNodePort;
}
