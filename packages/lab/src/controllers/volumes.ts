import type { KubeObject } from '../core.js';
import type { ControllerContext } from './context.js';
import { ZONE_LABEL } from './nodes.js';

/**
 * The PV controller stand-in: provisions a zonal PV for each unbound claim (zones taken in turn, so a
 * StatefulSet's volumes spread), binds claims and volumes both ways, and deletes released volumes
 * whose reclaim policy is Delete.
 */
export async function reconcileVolumes(ctx: ControllerContext, zones: string[], turn: { n: number }): Promise<void> {
  for (const pvc of ctx.of('pvc').list()) if (!pvc.metadata?.deletionTimestamp) await bindClaim(ctx, pvc, zones, turn);
  await releaseVolumes(ctx);
}

/** A claim bound to its volume both ways, the volume provisioned first when it has none. */
async function bindClaim(ctx: ControllerContext, pvc: KubeObject, zones: string[], turn: { n: number }): Promise<void> {
  const pvs = ctx.of('pv');
  const ns = pvc.metadata?.namespace ?? '';
  const name = pvc.metadata?.name ?? '';
  const volumeName = pvc.spec?.volumeName as string | undefined;
  let pv = volumeName ? pvs.get(undefined, volumeName) : pvs.list().find((v) => claimOf(v) === `${ns}/${name}`);
  if (!pv && !volumeName && zones.length > 0) pv = await provision(ctx, pvc, pickZone(pvs.list(), name, zones, turn));
  if (!pv) return; // names a volume that does not exist (yet): stays Pending, as on a real cluster
  const claim = claimOf(pv);
  if (claim && claim !== `${ns}/${name}`) return; // the volume belongs to someone else
  if (!claim || pv.spec?.claimRef?.uid !== pvc.metadata?.uid) {
    pv = await ctx.patch('pv', pv, {
      spec: {
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name, uid: pvc.metadata?.uid },
      },
    });
    if (!pv) return;
  }
  if (pv.status?.phase !== 'Bound') await ctx.patchStatus('pv', pv, { phase: 'Bound' });
  if (!pvc.spec?.volumeName) await ctx.patch('pvc', pvc, { spec: { volumeName: pv.metadata?.name } });
  if (pvc.status?.phase !== 'Bound') {
    await ctx.patchStatus('pvc', pvc, {
      phase: 'Bound',
      capacity: pv.spec?.capacity,
      accessModes: pv.spec?.accessModes,
    });
  }
}

/** A zonal volume for the claim, pre-bound to it, as a CSI provisioner makes one. */
async function provision(ctx: ControllerContext, pvc: KubeObject, zone: string): Promise<KubeObject | undefined> {
  const ns = pvc.metadata?.namespace ?? '';
  const name = pvc.metadata?.name ?? '';
  const volumeName = `pvc-${pvc.metadata?.uid ?? name}`;
  return ctx.create('pv', {
    // the lab's label: `lab gc` removes the volumes it provisioned on a real cluster
    metadata: {
      name: volumeName,
      labels: { [ZONE_LABEL]: zone, 'kdrill.dev/lab': 'true' },
      annotations: { 'pv.kubernetes.io/provisioned-by': 'lab.kdrill.dev' },
    },
    spec: {
      capacity: { storage: pvc.spec?.resources?.requests?.storage ?? '1Gi' },
      accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: pvc.spec?.storageClassName ?? 'standard',
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name, uid: pvc.metadata?.uid },
      csi: { driver: 'lab.kdrill.dev', volumeHandle: volumeName },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE_LABEL, operator: 'In', values: [zone] }] }],
        },
      },
    },
  });
}

/** Volumes whose claim is gone: Released, and deleted when their reclaim policy is Delete. */
async function releaseVolumes(ctx: ControllerContext): Promise<void> {
  for (const pv of ctx.of('pv').list()) {
    const claim = claimOf(pv);
    if (!claim) continue;
    const [ns, name] = claim.split('/');
    const pvc = ctx.of('pvc').get(ns, name!);
    if (pvc && pvc.metadata?.uid === pv.spec?.claimRef?.uid) continue;
    if (!pv.spec?.claimRef?.uid) continue; // pre-bound by name only: waiting for its claim
    // Released before deleted: a real controller-manager's pv-protection finalizer holds a Bound PV forever
    if (pv.status?.phase !== 'Released') await ctx.patchStatus('pv', pv, { phase: 'Released' });
    if (pv.spec?.persistentVolumeReclaimPolicy === 'Delete' && !pv.metadata?.deletionTimestamp)
      await ctx.delete('pv', pv);
  }
}

// Volumes of one StatefulSet (claims that differ only in their ordinal) go to the least used zone.
function pickZone(pvs: KubeObject[], claim: string, zones: string[], turn: { n: number }): string {
  const group = claim.replace(/-\d+$/, '');
  const used = new Map(zones.map((z) => [z, 0]));
  for (const pv of pvs) {
    const other = (pv.spec?.claimRef as { name?: string } | undefined)?.name ?? '';
    const z = pv.metadata?.labels?.[ZONE_LABEL];
    if (z && used.has(z) && other.replace(/-\d+$/, '') === group) used.set(z, used.get(z)! + 1);
  }
  const least = Math.min(...used.values());
  const candidates = zones.filter((z) => used.get(z) === least);
  return candidates[turn.n++ % candidates.length]!;
}

function claimOf(pv: KubeObject): string | undefined {
  const r = pv.spec?.claimRef as { namespace?: string; name?: string } | undefined;
  return r?.name ? `${r.namespace ?? ''}/${r.name}` : undefined;
}
