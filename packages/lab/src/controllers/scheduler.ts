import type { KubeObject } from '../core.js';
import type { ControllerContext } from './context.js';
import { ZONE_LABEL, isNodeReady } from './nodes.js';

interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

/**
 * The scheduler stand-in: binds Pending pods to Ready nodes, honouring nodeSelector, required node
 * affinity and the zone of the PVs their claims are bound to, and spreads a workload's pods.
 */
export async function schedule(ctx: ControllerContext): Promise<void> {
  const nodes = ctx.of('node').list().filter(isNodeReady);
  if (nodes.length === 0) return;
  for (const pod of ctx.of('pod').list()) {
    if (pod.spec?.nodeName || pod.metadata?.deletionTimestamp) continue;
    if (pod.spec?.schedulerName && pod.spec.schedulerName !== 'default-scheduler') continue;
    const zone = volumeZone(ctx, pod);
    if (zone === null) continue; // a claim is not bound yet
    const fits = nodes.filter(
      (n) => fitsNode(pod, n) && (zone === undefined || n.metadata?.labels?.[ZONE_LABEL] === zone),
    );
    if (fits.length === 0) continue;
    const owner = pod.metadata?.ownerReferences?.[0]?.uid;
    const pods = ctx.of('pod').list(); // fresh: includes the bindings made earlier in this pass
    const load = (n: KubeObject): [number, number] => {
      const on = pods.filter((p) => p.spec?.nodeName === n.metadata?.name && !p.metadata?.deletionTimestamp);
      const sameOwnerZone = pods.filter(
        (p) =>
          owner &&
          p.metadata?.ownerReferences?.[0]?.uid === owner &&
          zoneOfNode(ctx, p.spec?.nodeName) === n.metadata?.labels?.[ZONE_LABEL],
      );
      return [
        sameOwnerZone.length * 1000 +
          on.filter((p) => owner && p.metadata?.ownerReferences?.[0]?.uid === owner).length * 100,
        on.length,
      ];
    };
    const best = [...fits].sort((a, b) => {
      const [a1, a2] = load(a);
      const [b1, b2] = load(b);
      return a1 - b1 || a2 - b2 || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
    })[0]!;
    const node = best.metadata?.name ?? '';
    try {
      await ctx.kube.bindPod(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', node);
      ctx.of('pod').remember({ ...pod, spec: { ...pod.spec, nodeName: node } });
    } catch (e) {
      ctx.note(`bind ${pod.metadata?.namespace}/${pod.metadata?.name}: ${(e as Error).message}`);
    }
  }
}

function zoneOfNode(ctx: ControllerContext, node: string | undefined): string | undefined {
  return node ? ctx.of('node').get(undefined, node)?.metadata?.labels?.[ZONE_LABEL] : undefined;
}

/** undefined: no constraint; null: wait (a claim is unbound); a string: the zone the pod must run in. */
function volumeZone(ctx: ControllerContext, pod: KubeObject): string | undefined | null {
  let zone: string | undefined;
  for (const v of (pod.spec?.volumes as { persistentVolumeClaim?: { claimName: string } }[] | undefined) ?? []) {
    const claim = v.persistentVolumeClaim?.claimName;
    if (!claim) continue;
    const pvc = ctx.of('pvc').get(pod.metadata?.namespace, claim);
    if (!pvc || pvc.status?.phase !== 'Bound' || !pvc.spec?.volumeName) return null;
    const pv = ctx.of('pv').get(undefined, pvc.spec.volumeName as string);
    const z = pv?.metadata?.labels?.[ZONE_LABEL];
    if (z) zone = z;
  }
  return zone;
}

export function fitsNode(pod: KubeObject, node: KubeObject): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries((pod.spec?.nodeSelector as Record<string, string> | undefined) ?? {}))
    if (labels[k] !== v) return false;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms as
    { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }[] | undefined;
  if (!terms || terms.length === 0) return true;
  // terms are ORed; requirements inside a term are ANDed
  return terms.some(
    (t) =>
      (t.matchExpressions ?? []).every((r) => requirement(labels, r)) &&
      (t.matchFields ?? []).every((r) => requirement({ 'metadata.name': node.metadata?.name ?? '' }, r)),
  );
}

function requirement(labels: Record<string, string>, r: NodeSelectorRequirement): boolean {
  const has = r.key in labels;
  const v = labels[r.key];
  switch (r.operator) {
    case 'In':
      return has && (r.values ?? []).includes(v!);
    case 'NotIn':
      return !has || !(r.values ?? []).includes(v!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
      return has && Number(v) > Number(r.values?.[0]);
    case 'Lt':
      return has && Number(v) < Number(r.values?.[0]);
  }
}
