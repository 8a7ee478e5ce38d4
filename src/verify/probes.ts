import type { CommandRunner } from '../exec/command.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import type { VerifyStep } from '../scenario/schema.js';
import type { Clock } from '../time/clock.js';
import { deadlineSignal } from '../time/deadline.js';

export interface ProbeContext {
  kube: KubeApi;
  exec: CommandRunner;
  clock: Clock;
  signal?: AbortSignal;
  namespaces: string[];
  /** Workloads the baseline saw: they must all be back, not only whatever exists. */
  expectedWorkloads: string[];
}

export interface ProbeOutcome {
  passed: boolean;
  detail: string;
}

const ready = (p: KubeObject): boolean =>
  (p.status?.conditions as { type: string; status: string }[] | undefined)?.some(
    (c) => c.type === 'Ready' && c.status === 'True',
  ) ?? false;

/** One look at the workloads: what is not ready yet, or nothing. */
export async function workloadsNotReady(kube: KubeApi, namespaces: string[], expected: string[]): Promise<string[]> {
  const problems: string[] = [];
  const present = new Set<string>();
  for (const ns of namespaces) {
    for (const [kind, ok] of [
      ['Deployment', (o: KubeObject) => (o.status?.availableReplicas ?? 0) >= (o.spec?.replicas ?? 1)],
      ['StatefulSet', (o: KubeObject) => (o.status?.readyReplicas ?? 0) >= (o.spec?.replicas ?? 1)],
      ['DaemonSet', (o: KubeObject) => (o.status?.numberReady ?? 0) >= (o.status?.desiredNumberScheduled ?? 0)],
    ] as const) {
      for (const o of (await kube.list({ apiVersion: 'apps/v1', kind }, { namespace: ns })).items) {
        present.add(`${kind} ${ns}/${o.metadata?.name}`);
        if (!ok(o)) problems.push(`${kind} ${ns}/${o.metadata?.name} not available`);
      }
    }
    for (const c of (await kube.list({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' }, { namespace: ns })).items) {
      if (c.status?.phase !== 'Bound') problems.push(`PVC ${ns}/${c.metadata?.name} ${c.status?.phase ?? 'Pending'}`);
    }
    for (const p of (await kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: ns })).items) {
      if (p.status?.phase === 'Succeeded' || p.metadata?.deletionTimestamp) continue;
      if (!ready(p)) problems.push(`pod ${ns}/${p.metadata?.name} not Ready`);
    }
  }
  for (const w of expected) if (!present.has(w)) problems.push(`${w} is missing`);
  return problems;
}

type VerifyType = VerifyStep['type'];
type CheckOf<T extends VerifyType> = Extract<VerifyStep, { type: T }>;

const deadline = (ctx: ProbeContext, seconds: number): number => ctx.clock.now().getTime() + seconds * 1000;

async function workloadsReady(ctx: ProbeContext, v: CheckOf<'workloads-ready'>): Promise<ProbeOutcome> {
  const namespaces = v.namespaces ?? ctx.namespaces;
  const end = deadline(ctx, v.timeout);
  let last: string[];
  for (;;) {
    last = await workloadsNotReady(
      ctx.kube,
      namespaces,
      ctx.expectedWorkloads.filter((w) => namespaces.some((n) => w.includes(` ${n}/`))),
    );
    if (last.length === 0)
      return {
        passed: true,
        detail: `every workload in ${namespaces.join(', ')} is available, PVCs Bound, pods Ready`,
      };
    if (ctx.clock.now().getTime() > end) break;
    await ctx.clock.sleep(250, ctx.signal);
  }
  return {
    passed: false,
    detail: `after ${v.timeout}s: ${last.slice(0, 8).join('; ')}${last.length > 8 ? `; and ${last.length - 8} more` : ''}`,
  };
}

/** One GET: through the API server's service proxy, or of the URL (with a 10 s deadline on the clock). */
async function httpGet(ctx: ProbeContext, v: CheckOf<'http'>): Promise<{ status: number; body: string }> {
  if (v.service) return ctx.kube.proxyGet(v.service.namespace, v.service.name, v.service.port, v.service.path);
  const d = deadlineSignal(ctx.clock, 10_000);
  try {
    const r = await fetch(v.url!, { signal: d.signal });
    return { status: r.status, body: await r.text() };
  } finally {
    d.clear();
  }
}

async function httpAnswers(ctx: ProbeContext, v: CheckOf<'http'>): Promise<ProbeOutcome> {
  const end = deadline(ctx, v.timeout);
  let last: string;
  for (;;) {
    try {
      const { status, body } = await httpGet(ctx, v);
      const bodyOk = !v.bodyRegex || new RegExp(v.bodyRegex).test(body);
      // the first line of the answer is evidence of who answered (a health line, not a payload)
      if (status === v.expectStatus && bodyOk)
        return {
          passed: true,
          detail: `HTTP ${status}${v.bodyRegex ? `, body matches /${v.bodyRegex}/` : ''}: ${firstLine(body)}`,
        };
      last = `HTTP ${status}${bodyOk ? '' : `, body does not match /${v.bodyRegex}/`}: ${firstLine(body)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    if (ctx.clock.now().getTime() > end) return { passed: false, detail: `after ${v.timeout}s: ${last}` };
    await ctx.clock.sleep(1000, ctx.signal);
  }
}

async function commandExits(ctx: ProbeContext, v: CheckOf<'command'>): Promise<ProbeOutcome> {
  const r = await ctx.exec.run(v.argv, { timeoutMs: v.timeout * 1000, signal: ctx.signal });
  const passed = r.exitCode === v.expectExit;
  return {
    passed,
    detail: `${v.argv.join(' ')} exited ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}${passed ? '' : `, expected ${v.expectExit}: ${r.stderr.trim().slice(0, 200)}`}`,
  };
}

async function networkPolicyCoverage(ctx: ProbeContext, v: CheckOf<'network-policy-coverage'>): Promise<ProbeOutcome> {
  const { uncoveredWorkloads } = await import('./netpol-coverage.js');
  const namespaces = v.namespaces ?? ctx.namespaces;
  const r = await uncoveredWorkloads(ctx.kube, namespaces);
  if (r.checked === 0) return { passed: false, detail: `no workload in ${namespaces.join(', ')}: nothing to check` };
  if (!r.uncovered.length)
    return {
      passed: true,
      detail: `the pods of all ${r.checked} workload(s) in ${namespaces.join(', ')} are selected by a NetworkPolicy`,
    };
  return {
    passed: false,
    detail: `no NetworkPolicy selects the pods of ${r.uncovered.length} workload(s): ${r.uncovered.slice(0, 8).join(', ')}${r.uncovered.length > 8 ? `, and ${r.uncovered.length - 8} more` : ''} (a hardened cluster refuses them, or only warns)`,
  };
}

const byRunner = async (_ctx: ProbeContext, v: VerifyStep): Promise<ProbeOutcome> => {
  throw new Error(`${v.type} is checked by the runner, which holds the baseline`);
};

/** One probe per check type; sentinel and inventory compare against the baseline, which the runner holds. */
const PROBES: { [T in VerifyType]: (ctx: ProbeContext, v: CheckOf<T>) => Promise<ProbeOutcome> } = {
  'workloads-ready': workloadsReady,
  http: httpAnswers,
  command: commandExits,
  'network-policy-coverage': networkPolicyCoverage,
  sentinel: byRunner,
  inventory: byRunner,
};

const probeOf = <T extends VerifyType>(v: CheckOf<T>): ((ctx: ProbeContext, v: CheckOf<T>) => Promise<ProbeOutcome>) =>
  PROBES[v.type];

export async function runProbe(ctx: ProbeContext, v: VerifyStep): Promise<ProbeOutcome> {
  return probeOf(v)(ctx, v);
}

const firstLine = (body: string): string => (body.trim().split('\n')[0] ?? '').slice(0, 120);
