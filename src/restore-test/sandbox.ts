import type { DrillContext, PhaseOutcome } from '../drill/context.js';
import { apiServerPeers, applyIsolation, sandboxPolicies } from './isolation.js';
import { modifierConfigMap } from './isolation-patches.js';
import { EXPIRES_ANNOTATION, RUN_LABEL, SCENARIO_LABEL, ownSandbox, sandboxLabels } from './names.js';

/** Creates each sandbox namespace, its intent journaled first: teardown and `kdrill gc` find what a crash left. */
async function createNamespaces(ctx: DrillContext): Promise<void> {
  const { deps, s, state } = ctx;
  const rt = state.restoreTest!;
  const k = deps.recoveryKube;
  for (const [source, name] of Object.entries(rt.mapping)) {
    const ref = { apiVersion: 'v1', kind: 'Namespace', name };
    const have = await k.get(ref);
    if (have && ownSandbox(have.metadata?.labels, state.runId)) continue;
    if (!rt.created.namespaces.includes(name)) {
      deps.journal.append('sandbox-namespace-creating', { namespace: name, context: k.context }, deps.clock.now());
      rt.created.namespaces.push(name);
    }
    await k.create({
      ...ref,
      metadata: {
        name,
        labels: sandboxLabels(s, state.runId, source, new Date(rt.expiresAt)),
        annotations: { [EXPIRES_ANNOTATION]: rt.expiresAt, 'kdrill.dev/restore-test-of': source },
      },
    });
  }
}

async function createModifier(ctx: DrillContext): Promise<void> {
  const { deps, s, state } = ctx;
  const rt = state.restoreTest!;
  const k = deps.recoveryKube;
  const { name, rules } = rt.plan!.modifier;
  const ns = s.spec.backup.veleroNamespace;
  const cm = modifierConfigMap(name, ns, rules, { [RUN_LABEL]: state.runId, [SCENARIO_LABEL]: s.metadata.name });
  deps.journal.append('sandbox-modifier-creating', { name, namespace: ns }, deps.clock.now());
  rt.created.configMap = name;
  const have = await k.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name });
  if (have) await k.replace({ ...cm, metadata: { ...cm.metadata, resourceVersion: have.metadata?.resourceVersion } });
  else await k.create(cm);
}

/**
 * The sandbox, fenced off before anything lands: its namespaces (labelled with this run, the source
 * and the expiry), a deny-all NetworkPolicy in each, read back, plus what the scenario allows; then the
 * resource modifier ConfigMap the Restores name. When the fence cannot be put up, nothing is restored.
 */
export async function createSandbox(ctx: DrillContext): Promise<PhaseOutcome> {
  const { deps, s, state } = ctx;
  const rt = state.restoreTest!;
  const allow = s.spec.sandbox?.allow ?? [];
  await createNamespaces(ctx);
  const api = allow.includes('api-server') ? await apiServerPeers(deps.recoveryKube) : { ips: [], ports: [] };
  if (allow.includes('api-server') && !api.ips.length)
    state.notes.push(
      "the API server's addresses could not be read (default/kubernetes Endpoints): it is not let through the sandbox's NetworkPolicy",
    );
  try {
    const policies = Object.values(rt.mapping).flatMap((ns) => sandboxPolicies(ns, state.runId, allow, api));
    rt.isolation = { applied: true, policies: await applyIsolation(deps.recoveryKube, policies), allow };
  } catch (e) {
    if (deps.signal.aborted) throw e;
    rt.isolation = { applied: false, policies: [], allow, error: (e as Error).message.split('\n')[0] };
  }
  deps.journal.append('sandbox-isolation', { isolation: rt.isolation }, deps.clock.now());
  if (!rt.isolation.applied)
    return { ok: false, detail: `not fenced off: ${rt.isolation.error}; nothing will be restored` };
  await createModifier(ctx);
  return {
    ok: true,
    detail: `${Object.values(rt.mapping).join(', ')} in ${deps.recoveryKube.context}, deny-all first${allow.length ? ` (allowed: ${allow.join(', ')})` : ''}; ${rt.plan!.changes.length} object(s) to change as they land`,
  };
}
