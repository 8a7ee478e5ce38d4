import { createHash } from 'node:crypto';
import { matchesLabelSelector } from '../core.js';
import type { KubeObject, LabelSelector } from '../core.js';
import type { ControllerContext } from './context.js';
import { isNodeReady } from './nodes.js';
import { isPodActive, isPodReady, ownerRef, podFromTemplate, stamp } from './pods.js';

/**
 * Deployments, ReplicaSets, StatefulSets and DaemonSets become Pods, and their status stays true.
 * Only for API servers without a controller-manager (the lab's own): a real one does this itself.
 */
export async function reconcileWorkloads(ctx: ControllerContext): Promise<void> {
  for (const d of ctx.of('deployment').list()) await deployment(ctx, d);
  for (const rs of ctx.of('replicaset').list()) await replicaSet(ctx, rs);
  for (const s of ctx.of('statefulset').list()) await statefulSet(ctx, s);
  for (const ds of ctx.of('daemonset').list()) await daemonSet(ctx, ds);
}

const templateHash = (o: KubeObject): string =>
  createHash('sha256')
    .update(JSON.stringify(o.spec?.template ?? {}))
    .digest('hex')
    .slice(0, 10);
const uid = (o: KubeObject): string => o.metadata?.uid ?? '';

function podsOf(ctx: ControllerContext, owner: KubeObject): KubeObject[] {
  return ctx.of('pod').ownedBy(uid(owner));
}

/**
 * What Kubernetes' ControllerRefManager does before a controller counts what it owns
 * (pkg/controller/controller_ref_manager.go): orphans in the owner's namespace that its selector
 * matches, and that are not being deleted, get the owner as their controller. Velero restores Pods and
 * ReplicaSets without owner references: adopted, they are not made twice.
 */
async function adoptOrphans(
  ctx: ControllerContext,
  kind: 'replicaset' | 'pod',
  owner: KubeObject,
  member: (o: KubeObject) => boolean = () => true,
): Promise<void> {
  const selector = owner.spec?.selector as LabelSelector | undefined;
  // an empty selector selects nothing for a controller
  if (
    owner.metadata?.deletionTimestamp ||
    !selector ||
    (!Object.keys(selector.matchLabels ?? {}).length && !selector.matchExpressions?.length)
  )
    return;
  for (const o of ctx.of(kind).list(owner.metadata?.namespace)) {
    if (o.metadata?.deletionTimestamp || o.metadata?.ownerReferences?.some((r) => r.controller)) continue;
    if (!matchesLabelSelector(o.metadata?.labels ?? {}, selector) || !member(o)) continue;
    await ctx.patch(kind, o, {
      metadata: { ownerReferences: [...(o.metadata?.ownerReferences ?? []), ownerRef(owner)] },
    });
  }
}

async function writeStatus(
  ctx: ControllerContext,
  kind: 'deployment' | 'replicaset' | 'statefulset' | 'daemonset',
  o: KubeObject,
  status: Record<string, unknown>,
): Promise<void> {
  const cur = o.status ?? {};
  const changed = Object.entries(status).some(([k, v]) => JSON.stringify(cur[k]) !== JSON.stringify(v));
  if (changed) await ctx.patchStatus(kind, o, status);
}

function availability(ready: number, desired: number, kind: string, at: string): object[] {
  const ok = ready >= desired;
  return [
    {
      type: 'Available',
      status: ok ? 'True' : 'False',
      reason: ok ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
      message: ok ? `${kind} has minimum availability.` : `${kind} does not have minimum availability.`,
      lastTransitionTime: at,
      lastUpdateTime: at,
    },
  ];
}

async function deployment(ctx: ControllerContext, d: KubeObject): Promise<void> {
  if (d.metadata?.deletionTimestamp) return;
  const hash = templateHash(d);
  const desired = (d.spec?.replicas as number | undefined) ?? 1;
  await adoptOrphans(ctx, 'replicaset', d);
  const owned = ctx.of('replicaset').ownedBy(uid(d));
  let current = owned.find((rs) => rs.metadata?.labels?.['pod-template-hash'] === hash);
  if (!current) {
    const tpl = structuredClone(d.spec?.template ?? {});
    tpl.metadata = { ...(tpl.metadata ?? {}), labels: { ...(tpl.metadata?.labels ?? {}), 'pod-template-hash': hash } };
    current = await ctx.create('replicaset', {
      metadata: {
        name: `${d.metadata?.name}-${hash}`,
        namespace: d.metadata?.namespace,
        labels: { ...(tpl.metadata.labels as Record<string, string>) },
        ownerReferences: [ownerRef(d)],
      },
      spec: {
        replicas: desired,
        selector: {
          matchLabels: { ...(d.spec?.selector?.matchLabels ?? {}), 'pod-template-hash': hash },
          matchExpressions: d.spec?.selector?.matchExpressions,
        },
        template: tpl,
      },
    });
    if (!current) return;
  } else if (current.spec?.replicas !== desired) {
    await ctx.patch('replicaset', current, { spec: { replicas: desired } });
  }
  for (const old of owned)
    if (old !== current && (old.spec?.replicas ?? 0) !== 0)
      await ctx.patch('replicaset', old, { spec: { replicas: 0 } });
  const pods = owned.flatMap((rs) => podsOf(ctx, rs)).filter(isPodActive);
  const ready = pods.filter(isPodReady).length;
  const updated = podsOf(ctx, current).filter(isPodActive).length;
  await writeStatus(ctx, 'deployment', d, {
    observedGeneration: d.metadata?.generation,
    replicas: pods.length,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: ready,
    unavailableReplicas: Math.max(0, desired - ready),
    conditions: availabilityIfChanged(ctx, d, ready, desired, 'Deployment'),
  });
}

// Keep lastTransitionTime stable while the condition does not change, as a real controller does.
function availabilityIfChanged(
  ctx: ControllerContext,
  o: KubeObject,
  ready: number,
  desired: number,
  kind: string,
): object[] {
  const prev = (o.status?.conditions as { type: string; status: string }[] | undefined)?.find(
    (c) => c.type === 'Available',
  );
  const next = availability(ready, desired, kind, stamp(ctx.clock));
  if (prev && prev.status === (next[0] as { status: string }).status) return o.status.conditions as object[];
  return next;
}

async function replicaSet(ctx: ControllerContext, rs: KubeObject): Promise<void> {
  if (rs.metadata?.deletionTimestamp) return;
  const desired = (rs.spec?.replicas as number | undefined) ?? 1;
  // a ReplicaSet claims only active pods (FilterActivePods)
  await adoptOrphans(ctx, 'pod', rs, isPodActive);
  const pods = podsOf(ctx, rs).filter(isPodActive);
  for (let i = pods.length; i < desired; i++) {
    const created = await ctx.create('pod', podFromTemplate(rs, { generateName: `${rs.metadata?.name}-` }));
    if (created) pods.push(created);
  }
  if (pods.length > desired) {
    // remove the least useful first: unscheduled, then not ready
    const rank = (p: KubeObject): number => (!p.spec?.nodeName ? 0 : isPodReady(p) ? 2 : 1);
    const extra = [...pods].sort((a, b) => rank(a) - rank(b)).slice(0, pods.length - desired);
    for (const p of extra) await ctx.delete('pod', p);
  }
  const live = podsOf(ctx, rs).filter(isPodActive);
  const ready = live.filter(isPodReady).length;
  await writeStatus(ctx, 'replicaset', rs, {
    observedGeneration: rs.metadata?.generation,
    replicas: live.length,
    fullyLabeledReplicas: live.length,
    readyReplicas: ready,
    availableReplicas: ready,
  });
}

async function statefulSet(ctx: ControllerContext, s: KubeObject): Promise<void> {
  if (s.metadata?.deletionTimestamp) return;
  const name = s.metadata?.name ?? '';
  const ns = s.metadata?.namespace;
  const desired = (s.spec?.replicas as number | undefined) ?? 1;
  const ordered = (s.spec?.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
  const templates = (s.spec?.volumeClaimTemplates as KubeObject[] | undefined) ?? [];
  // a StatefulSet claims only pods named as its own (isMemberOf: <set>-<ordinal>)
  await adoptOrphans(ctx, 'pod', s, (p) => /^(.*)-\d+$/.exec(p.metadata?.name ?? '')?.[1] === name);
  const pods = podsOf(ctx, s);
  for (let i = 0; i < desired; i++) {
    const podName = `${name}-${i}`;
    const existing = pods.find((p) => p.metadata?.name === podName);
    if (existing) {
      if (ordered && !isPodReady(existing)) break;
      continue;
    }
    const volumes: object[] = [];
    for (const tpl of templates) {
      const claim = `${tpl.metadata?.name}-${podName}`;
      if (!ctx.of('pvc').get(ns, claim)) {
        await ctx.create('pvc', {
          metadata: {
            name: claim,
            namespace: ns,
            labels: { ...(s.spec?.selector?.matchLabels ?? {}), ...(tpl.metadata?.labels ?? {}) },
          },
          spec: structuredClone(tpl.spec ?? {}),
        });
      }
      volumes.push({ name: tpl.metadata?.name, persistentVolumeClaim: { claimName: claim } });
    }
    const pod = podFromTemplate(
      s,
      { name: podName },
      { 'statefulset.kubernetes.io/pod-name': podName, 'apps.kubernetes.io/pod-index': String(i) },
    );
    const own = ((pod.spec.volumes as { name: string }[] | undefined) ?? []).filter(
      (v) => !volumes.some((x) => (x as { name: string }).name === v.name),
    );
    pod.spec = { ...pod.spec, volumes: [...own, ...volumes], hostname: podName, subdomain: s.spec?.serviceName };
    await ctx.create('pod', pod);
    if (ordered) break;
  }
  for (const p of pods) {
    const ord = Number(/-(\d+)$/.exec(p.metadata?.name ?? '')?.[1] ?? -1);
    if (ord >= desired && !p.metadata?.deletionTimestamp) await ctx.delete('pod', p);
  }
  const live = podsOf(ctx, s).filter(isPodActive);
  const ready = live.filter(isPodReady).length;
  await writeStatus(ctx, 'statefulset', s, {
    observedGeneration: s.metadata?.generation,
    replicas: live.length,
    readyReplicas: ready,
    currentReplicas: live.length,
    updatedReplicas: live.length,
    availableReplicas: ready,
  });
}

async function daemonSet(ctx: ControllerContext, ds: KubeObject): Promise<void> {
  if (ds.metadata?.deletionTimestamp) return;
  const nodeSelector = (ds.spec?.template?.spec?.nodeSelector as Record<string, string> | undefined) ?? {};
  const nodes = ctx
    .of('node')
    .list()
    .filter((n) => matchesLabelSelector(n.metadata?.labels ?? {}, { matchLabels: nodeSelector }));
  await adoptOrphans(ctx, 'pod', ds);
  const pods = podsOf(ctx, ds).filter(isPodActive);
  for (const n of nodes) {
    const node = n.metadata?.name ?? '';
    if (pods.some((p) => pinnedNode(p) === node)) continue;
    const pod = podFromTemplate(ds, { generateName: `${ds.metadata?.name}-` });
    pod.spec = {
      ...pod.spec,
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
          },
        },
      },
    };
    await ctx.create('pod', pod);
  }
  const live = podsOf(ctx, ds).filter(isPodActive);
  const ready = live.filter(isPodReady).length;
  const schedulable = nodes.filter(isNodeReady).length;
  await writeStatus(ctx, 'daemonset', ds, {
    observedGeneration: ds.metadata?.generation,
    desiredNumberScheduled: nodes.length,
    currentNumberScheduled: live.length,
    numberReady: ready,
    numberAvailable: ready,
    updatedNumberScheduled: live.length,
    numberMisscheduled: 0,
    numberUnavailable: Math.max(0, Math.min(nodes.length, schedulable) - ready),
  });
}

export function pinnedNode(p: KubeObject): string | undefined {
  const terms = p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms as
    { matchFields?: { key: string; values?: string[] }[] }[] | undefined;
  return p.spec?.nodeName ?? terms?.[0]?.matchFields?.find((f) => f.key === 'metadata.name')?.values?.[0];
}
