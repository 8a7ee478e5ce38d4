import type { KubeApi } from '../../kube/kube-api.js';
import type { VerifyStep } from '../../scenario/schema.js';
import { compareInventory, inventoryKey } from '../../verify/inventory.js';
import { runProbe, type ProbeOutcome } from '../../verify/probes.js';
import { iso, type DrillContext, type PhaseOutcome } from '../context.js';
import { verifySteps } from '../plan.js';
import type { VerifyRecord } from '../types.js';

const SHOWN = 6;
const more = (n: number): string => (n > SHOWN ? `, and ${n - SHOWN} more` : '');

/** The restored objects against the baseline, leaving out what the backup never held (the scope gap says so). */
async function inventoryCheck(ctx: DrillContext, kube: KubeApi, ignore: string[]): Promise<ProbeOutcome> {
  const { state, s } = ctx;
  const gap = new Set(state.baseline!.scopeGap ?? []);
  const expected = state.baseline!.inventory.filter((i) => !gap.has(inventoryKey(i)));
  const unreadable = new Set<string>();
  let d;
  try {
    // compared as it is listed: the restored namespace's inventory is never held beside the baseline
    d = await compareInventory(kube, s.spec.target.namespaces, expected, ignore, unreadable);
  } catch (e) {
    return { passed: false, detail: `the inventory could not be read: ${(e as Error).message.split('\n')[0]}` };
  }
  const before = new Set((state.preflight?.recoveryBefore ?? []).map(inventoryKey));
  const preexisting = expected.filter((i) => before.has(inventoryKey(i))).length;
  const notes = [
    gap.size ? `${gap.size} live object(s) not in the backup left out (BACKUP_SCOPE_GAP)` : '',
    preexisting ? `${preexisting} already existed in the recovery cluster before the restore` : '',
    d.extra.length ? `${d.extra.length} extra: ${d.extra.slice(0, SHOWN).join(', ')}${more(d.extra.length)}` : '',
    unreadable.size ? `not compared (kdrill may not list them): ${[...unreadable].sort().join(', ')}` : '',
  ].filter(Boolean);
  if (d.missing.length === 0 && d.changed.length === 0)
    return {
      passed: true,
      detail: [`all ${expected.length} objects back, labels and annotations included`, ...notes].join('; '),
    };
  const problems = [
    d.missing.length
      ? `missing ${d.missing.length}: ${d.missing.slice(0, SHOWN).join(', ')}${more(d.missing.length)}`
      : '',
    d.changed.length
      ? `changed ${d.changed.length}: ${d.changed
          .slice(0, SHOWN)
          .map((c) => `${c.key} (${c.what.join('; ')})`)
          .join(', ')}${more(d.changed.length)}`
      : '',
  ].filter(Boolean);
  return { passed: false, detail: [...problems, ...notes].join('; ') };
}

async function sentinelCheck(ctx: DrillContext, kube: KubeApi): Promise<ProbeOutcome> {
  const { deps, s, state } = ctx;
  const expected = state.baseline!.sentinelExpected;
  const cmd = s.spec.sentinel?.command;
  if (cmd) {
    const got = await deps.exec.run(cmd.read, { timeoutMs: 300_000, signal: deps.signal });
    const value = got.stdout.trim();
    if (got.exitCode !== 0)
      return {
        passed: false,
        detail: `the sentinel read command exited ${got.exitCode}: ${got.stderr.trim().slice(0, 200)}`,
      };
    if (expected === undefined)
      return { passed: false, detail: 'no sentinel value was known before the disaster: nothing to compare' };
    return {
      passed: value === expected,
      detail: value === expected ? `read back "${value}"` : `read "${value}", expected "${expected}"`,
    };
  }
  const ns = s.spec.sentinel?.namespace ?? s.spec.target.namespaces[0]!;
  const name = s.spec.sentinel?.configMap ?? 'kdrill-sentinel';
  const key = s.spec.sentinel?.key ?? 'runId';
  const cm = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name });
  const got = (cm?.data as Record<string, string> | undefined)?.[key];
  if (!cm) return { passed: false, detail: `ConfigMap ${ns}/${name} did not come back` };
  if (expected === undefined)
    return { passed: false, detail: `the backup holds no sentinel ${ns}/${name}: nothing to compare` };
  return got === expected
    ? { passed: true, detail: `${ns}/${name} ${key}="${got}", as written before the backup` }
    : { passed: false, detail: `${ns}/${name} ${key}="${got ?? '<none>'}", expected "${expected}"` };
}

async function check(ctx: DrillContext, v: VerifyStep): Promise<ProbeOutcome> {
  const { deps, s, state } = ctx;
  const kube = deps.recoveryKube;
  if (v.type === 'sentinel') return sentinelCheck(ctx, kube);
  if (v.type === 'inventory') return inventoryCheck(ctx, kube, v.ignore);
  const gap = new Set((state.baseline!.scopeGap ?? []).map((k) => k.replace(/^[^/]*\//, '')));
  // the workloads the backup holds must all be back; those it never held are the scope gap's finding
  const expectedWorkloads = state.baseline!.workloads.filter((w) => !gap.has(w));
  return runProbe(
    {
      kube,
      exec: deps.exec,
      clock: deps.clock,
      signal: deps.signal,
      namespaces: s.spec.target.namespaces,
      expectedWorkloads,
    },
    v,
  );
}

/**
 * Verify: every check of the scenario against the recovery cluster, in order: workloads ready, HTTP
 * and command probes, the sentinel read back, the inventory compared with the baseline. The RTO ends
 * when the last one passes; the phase fails when any does not.
 */
export async function verify(ctx: DrillContext): Promise<PhaseOutcome> {
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
  return { ok: passed === records.length, detail: `${passed}/${records.length} passed` };
}
