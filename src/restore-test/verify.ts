import { iso, type DrillContext, type PhaseOutcome } from '../drill/context.js';
import { verifySteps } from '../drill/plan.js';
import type { VerifyRecord } from '../drill/types.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { VerifyStep } from '../scenario/schema.js';
import { diffInventory, snapshotInventory } from '../verify/inventory.js';
import { uncoveredWorkloads } from '../verify/netpol-coverage.js';
import { runProbe, type ProbeOutcome } from '../verify/probes.js';
import { POLICY_PREFIX } from './names.js';

const SHOWN = 6;
const WORKLOADS = ['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet'];
const shown = (xs: string[]): string =>
  `${xs.slice(0, SHOWN).join(', ')}${xs.length > SHOWN ? `, and ${xs.length - SHOWN} more` : ''}`;

/** The sandbox against what the backup holds (with the sandbox's own changes): missing, changed, extra. */
async function inventoryCheck(ctx: DrillContext, kube: KubeApi, ignore: string[]): Promise<ProbeOutcome> {
  const rt = ctx.state.restoreTest!;
  const expected = rt.plan!.expected;
  let after;
  try {
    after = (await snapshotInventory(kube, Object.values(rt.mapping))).filter(
      (i) => !(i.kind === 'networking.k8s.io/NetworkPolicy' && i.name.startsWith(POLICY_PREFIX)),
    );
  } catch (e) {
    return {
      passed: false,
      detail: `the sandbox's inventory could not be read: ${(e as Error).message.split('\n')[0]}`,
    };
  }
  const d = diffInventory(expected, after, ignore);
  const extra = d.extra.length ? `; ${d.extra.length} extra: ${shown(d.extra)}` : '';
  if (!d.missing.length && !d.changed.length)
    return {
      passed: true,
      detail: `all ${expected.length} objects of the backup are in the sandbox as the backup holds them${extra}`,
    };
  const problems = [
    d.missing.length ? `missing ${d.missing.length}: ${shown(d.missing)}` : '',
    d.changed.length
      ? `changed ${d.changed.length}: ${shown(d.changed.map((c) => `${c.key} (${c.what.join('; ')})`))}`
      : '',
  ].filter(Boolean);
  return { passed: false, detail: `${problems.join('; ')}${extra}` };
}

async function sentinelCheck(ctx: DrillContext, kube: KubeApi): Promise<ProbeOutcome> {
  const { s, state } = ctx;
  const source = s.spec.sentinel?.namespace ?? s.spec.target.namespaces[0]!;
  const ns = state.restoreTest!.mapping[source]!;
  const name = s.spec.sentinel?.configMap ?? 'kdrill-sentinel';
  const key = s.spec.sentinel?.key ?? 'runId';
  const expected = state.baseline!.sentinelExpected;
  const cm = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name });
  if (!cm) return { passed: false, detail: `ConfigMap ${ns}/${name} is not in the sandbox` };
  if (expected === undefined)
    return { passed: false, detail: `the backup holds no sentinel ${source}/${name}: nothing to compare` };
  const got = (cm.data as Record<string, string> | undefined)?.[key];
  return got === expected
    ? { passed: true, detail: `${ns}/${name} ${key}="${got}", as the backup holds it` }
    : { passed: false, detail: `${ns}/${name} ${key}="${got ?? '<none>'}", the backup holds "${expected}"` };
}

/** The same check, pointed at the sandbox: its namespaces, its Services, `{sandbox:<ns>}` in a command. */
function aimed(v: VerifyStep, mapping: Record<string, string>): VerifyStep {
  const to = (n: string): string => mapping[n] ?? n;
  if (v.type === 'workloads-ready' || v.type === 'network-policy-coverage')
    return { ...v, namespaces: (v.namespaces ?? Object.keys(mapping)).map(to) };
  if (v.type === 'http' && v.service) return { ...v, service: { ...v.service, namespace: to(v.service.namespace) } };
  if (v.type === 'command')
    return { ...v, argv: v.argv.map((a) => a.replace(/\{sandbox:([a-z0-9-]+)\}/g, (_m, n: string) => to(n))) };
  return v;
}

async function check(ctx: DrillContext, v: VerifyStep): Promise<ProbeOutcome> {
  const { deps, state } = ctx;
  const rt = state.restoreTest!;
  const kube = deps.recoveryKube;
  if (v.type === 'sentinel') return sentinelCheck(ctx, kube);
  if (v.type === 'inventory') return inventoryCheck(ctx, kube, v.ignore);
  const a = aimed(v, rt.mapping);
  if (a.type === 'network-policy-coverage') {
    const namespaces = a.namespaces ?? [];
    const r = await uncoveredWorkloads(kube, namespaces, (p) => !!p.metadata?.name?.startsWith(POLICY_PREFIX));
    if (r.checked === 0) return { passed: false, detail: `no workload in ${namespaces.join(', ')}: nothing to check` };
    return r.uncovered.length
      ? { passed: false, detail: `no NetworkPolicy of the backup selects the pods of ${shown(r.uncovered)}` }
      : { passed: true, detail: `the backup's NetworkPolicies select the pods of all ${r.checked} workload(s)` };
  }
  const expectedWorkloads = rt
    .plan!.expected.filter((i) => WORKLOADS.includes(i.kind))
    .map((i) => `${i.kind.split('/')[1]} ${i.namespace}/${i.name}`);
  return runProbe(
    {
      kube,
      exec: deps.exec,
      clock: deps.clock,
      signal: deps.signal,
      namespaces: Object.values(rt.mapping),
      expectedWorkloads,
    },
    a,
  );
}

/**
 * Verify, in the sandbox: the scenario's checks each aimed at the sandbox namespaces (workloads ready,
 * http through the API server's proxy to the sandbox's Service, commands, the sentinel of the backup),
 * and the inventory against what the backup holds. The RTO estimate ends when the last one passes.
 */
export async function verifySandbox(ctx: DrillContext): Promise<PhaseOutcome> {
  const { deps, s, state } = ctx;
  const records: VerifyRecord[] = [];
  for (const v of verifySteps(s)) {
    deps.signal.throwIfAborted();
    const r = await check(ctx, v);
    records.push({ type: v.type, passed: r.passed, detail: r.detail, at: iso(deps.clock.now()) });
    deps.reporter.info(`  ${r.passed ? 'ok  ' : 'FAIL'} ${v.type}: ${r.detail}`);
  }
  const passedAt = records.length && records.every((r) => r.passed) ? records[records.length - 1]!.at : undefined;
  state.verify = { records, passedAt };
  deps.journal.append('verify-done', { records, passedAt }, deps.clock.now());
  const passed = records.filter((x) => x.passed).length;
  return { ok: passed === records.length, detail: `${passed}/${records.length} passed in the sandbox` };
}
