import type { CommandRunner } from '../exec/command.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import type { VerifyStep } from '../scenario/schema.js';
import type { Clock } from '../time/clock.js';

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

export async function runProbe(ctx: ProbeContext, v: VerifyStep): Promise<ProbeOutcome> {
  const deadline = (seconds: number): number => ctx.clock.now().getTime() + seconds * 1000;
  switch (v.type) {
    case 'workloads-ready': {
      const namespaces = v.namespaces ?? ctx.namespaces;
      const end = deadline(v.timeout);
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
    case 'http': {
      const end = deadline(v.timeout);
      let last: string;
      for (;;) {
        try {
          let status: number;
          let body: string;
          if (v.service)
            ({ status, body } = await ctx.kube.proxyGet(
              v.service.namespace,
              v.service.name,
              v.service.port,
              v.service.path,
            ));
          else {
            const r = await fetch(v.url!, { signal: AbortSignal.timeout(10_000) });
            status = r.status;
            body = await r.text();
          }
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
    case 'command': {
      const r = await ctx.exec.run(v.argv, { timeoutMs: v.timeout * 1000, signal: ctx.signal });
      const passed = r.exitCode === v.expectExit;
      return {
        passed,
        detail: `${v.argv.join(' ')} exited ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}${passed ? '' : `, expected ${v.expectExit}: ${r.stderr.trim().slice(0, 200)}`}`,
      };
    }
    case 'network-policy-coverage': {
      const { uncoveredWorkloads } = await import('./netpol-coverage.js');
      const namespaces = v.namespaces ?? ctx.namespaces;
      const r = await uncoveredWorkloads(ctx.kube, namespaces);
      if (r.checked === 0)
        return { passed: false, detail: `no workload in ${namespaces.join(', ')}: nothing to check` };
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
    case 'sentinel':
    case 'inventory':
      throw new Error(`${v.type} is checked by the runner, which holds the baseline`);
  }
}

const firstLine = (body: string): string => (body.trim().split('\n')[0] ?? '').slice(0, 120);
