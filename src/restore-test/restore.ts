import type { DrillContext, PhaseOutcome } from '../drill/context.js';
import { recover } from '../drill/phases/recover.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import { INERT_INGRESS_CLASS, POLICY_PREFIX } from './names.js';

async function listServed(kube: KubeApi, group: string, kind: string, ns: string): Promise<KubeObject[]> {
  const r = (await kube.resources()).find((x) => x.group === group && x.kind === kind);
  return r ? (await kube.list({ apiVersion: r.apiVersion, kind }, { namespace: ns })).items : [];
}

/** What landed, against the plan: every CronJob suspended, no Service reachable from outside, no Ingress served, no policy rule of production's. */
export async function isolationProblems(kube: KubeApi, namespaces: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const ns of namespaces) {
    for (const c of await listServed(kube, 'batch', 'CronJob', ns))
      if (c.spec?.suspend !== true) out.push(`CronJob ${ns}/${c.metadata?.name} is not suspended`);
    for (const svc of await listServed(kube, '', 'Service', ns))
      if (['NodePort', 'LoadBalancer'].includes(String(svc.spec?.type)) || svc.spec?.externalIPs?.length)
        out.push(
          `Service ${ns}/${svc.metadata?.name} is ${svc.spec?.type}${svc.spec?.externalIPs?.length ? ' with external IPs' : ''}`,
        );
    for (const i of await listServed(kube, 'networking.k8s.io', 'Ingress', ns))
      if (i.spec?.ingressClassName !== INERT_INGRESS_CLASS)
        out.push(`Ingress ${ns}/${i.metadata?.name} has class ${String(i.spec?.ingressClassName ?? 'none')}`);
    const policies = await listServed(kube, 'networking.k8s.io', 'NetworkPolicy', ns);
    if (!policies.some((p) => p.metadata?.name === `${POLICY_PREFIX}deny-all`))
      out.push(`the deny-all NetworkPolicy of ${ns} is gone`);
    for (const p of policies)
      if (!p.metadata?.name?.startsWith(POLICY_PREFIX) && (p.spec?.ingress?.length || p.spec?.egress?.length))
        out.push(`NetworkPolicy ${ns}/${p.metadata?.name} kept production's rules`);
  }
  return out;
}

/**
 * The restore into the sandbox: the drill's phased Restores (NetworkPolicies first) with Velero's
 * namespaceMapping to the sandbox names and the sandbox's resource modifiers; the RTO estimate starts
 * with the first one. Then what landed is checked against the fence: a failed check stops the test.
 */
export async function restoreIntoSandbox(ctx: DrillContext): Promise<PhaseOutcome> {
  const { deps, state } = ctx;
  const rt = state.restoreTest!;
  if (!rt.restoreStartedAt) {
    rt.restoreStartedAt = deps.clock.now().toISOString();
    deps.journal.append('restore-test-restoring', {}, deps.clock.now());
  }
  const out = await recover({
    ...ctx,
    restoreSpec: {
      namespaceMapping: rt.mapping,
      resourceModifier: { kind: 'ConfigMap', name: rt.plan!.modifier.name },
    },
  });
  const problems = await isolationProblems(deps.recoveryKube, Object.values(rt.mapping));
  rt.isolationHeld = { ok: problems.length === 0, problems };
  deps.journal.append('sandbox-isolation-held', { held: rt.isolationHeld }, deps.clock.now());
  return {
    ok: out.ok && rt.isolationHeld.ok,
    detail: `${out.detail}${problems.length ? `; NOT fenced off: ${problems.slice(0, 3).join('; ')}` : '; fenced off as planned'}`,
  };
}
