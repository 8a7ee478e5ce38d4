import { DrillError, ExitCode } from '../../errors.js';
import { until } from '../happened.js';
import type { InjectContext, Injected, StepOf } from '../types.js';

const NS = { apiVersion: 'v1', kind: 'Namespace' } as const;
const WORKLOAD_API: Record<string, string> = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  Pod: 'v1',
};

export async function deleteNamespace(ctx: InjectContext, d: StepOf<'delete-namespace'>): Promise<Injected> {
  const kube = ctx.kube;
  for (const n of d.namespaces) await kube.delete({ ...NS, name: n });
  await until(ctx, `namespaces ${d.namespaces.join(', ')} are gone`, async () => {
    for (const n of d.namespaces) if (await kube.get({ ...NS, name: n })) return false;
    return true;
  });
  return { detail: `deleted namespace ${d.namespaces.join(', ')}; it is gone` };
}

export async function deleteWorkload(ctx: InjectContext, d: StepOf<'delete-workload'>): Promise<Injected> {
  const kube = ctx.kube;
  const deleted: string[] = [];
  for (const kind of d.kinds) {
    const type = { apiVersion: WORKLOAD_API[kind]!, kind };
    for (const o of (await kube.list(type, { namespace: d.namespace, labelSelector: d.selector })).items) {
      await kube.delete(
        { ...type, namespace: d.namespace, name: o.metadata?.name ?? '' },
        { propagationPolicy: 'Foreground' },
      );
      deleted.push(`${kind}/${o.metadata?.name}`);
    }
  }
  if (!deleted.length)
    throw new DrillError(
      'DISASTER_NO_TARGET',
      `no ${d.kinds.join('/')} matches ${d.selector} in ${d.namespace}`,
      ExitCode.Precondition,
      { hint: 'check the selector; `kdrill plan` shows the blast radius' },
    );
  await until(ctx, `the workloads and their pods matching ${d.selector} are gone`, async () => {
    for (const kind of [...d.kinds, 'Pod']) {
      const type = { apiVersion: WORKLOAD_API[kind]!, kind };
      if ((await kube.list(type, { namespace: d.namespace, labelSelector: d.selector })).items.length) return false;
    }
    return true;
  });
  return { detail: `deleted ${deleted.join(', ')}; their pods are gone` };
}

export async function deletePvc(ctx: InjectContext, d: StepOf<'delete-pvc'>): Promise<Injected> {
  const kube = ctx.kube;
  const type = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };
  const all = (await kube.list(type, { namespace: d.namespace, labelSelector: d.selector })).items;
  const victims = d.names ? all.filter((p) => d.names!.includes(p.metadata?.name ?? '')) : all;
  if (!victims.length)
    throw new DrillError('DISASTER_NO_TARGET', `no PVC matches in ${d.namespace}`, ExitCode.Precondition, {
      hint: 'check names/selector',
    });
  // the pods using them must go too, or the claims stay (pvc-protection)
  const pods = (await kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: d.namespace })).items.filter((p) =>
    ((p.spec?.volumes as { persistentVolumeClaim?: { claimName: string } }[] | undefined) ?? []).some((v) =>
      victims.some((c) => c.metadata?.name === v.persistentVolumeClaim?.claimName),
    ),
  );
  for (const c of victims) await kube.delete({ ...type, namespace: d.namespace, name: c.metadata?.name ?? '' });
  for (const p of pods)
    await kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: d.namespace, name: p.metadata?.name ?? '' });
  await until(ctx, 'the PVCs are gone', async () => {
    for (const c of victims) {
      const cur = await kube.get({ ...type, namespace: d.namespace, name: c.metadata?.name ?? '' });
      if (cur && cur.metadata?.uid === c.metadata?.uid) return false;
    }
    return true;
  });
  return { detail: `deleted PVCs ${victims.map((c) => c.metadata?.name).join(', ')} (and the pods using them)` };
}
