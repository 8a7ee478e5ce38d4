import { DrillError, ExitCode } from '../errors.js';
import type { KubeApi } from '../kube/kube-api.js';
import { LAB_NODE_LABEL, setLabNodeReady } from './lab-nodes.js';
import type { DisasterStep } from '../scenario/schema.js';
import type { InjectContext, Injected, Revert } from './types.js';

const NS = { apiVersion: 'v1', kind: 'Namespace' } as const;
const WORKLOAD_API: Record<string, string> = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  Pod: 'v1',
};

async function until(
  ctx: InjectContext,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = ctx.clock.now().getTime() + timeoutMs;
  while (!(await check())) {
    if (ctx.clock.now().getTime() > deadline)
      throw new DrillError(
        'DISASTER_NOT_HAPPENED',
        `the disaster did not happen: ${what}`,
        ExitCode.ObjectivesBreached,
        { hint: 'a drill that cannot fail is worthless: check what keeps it alive' },
      );
    await ctx.clock.sleep(200, ctx.signal);
  }
}

async function nodesHosting(kube: KubeApi, namespace: string, selector: string): Promise<string[]> {
  const pods = (await kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace, labelSelector: selector })).items;
  return [...new Set(pods.map((p) => p.spec?.nodeName as string | undefined).filter((n): n is string => !!n))].sort();
}

async function stopNodes(
  ctx: InjectContext,
  nodes: string[],
  command?: string[],
  startCommand?: string[],
): Promise<Injected> {
  if (nodes.length === 0)
    throw new DrillError('DISASTER_NO_NODES', 'no node matched: nothing to stop', ExitCode.Precondition, {
      hint: 'check the selector or zone against the cluster (`kdrill plan` shows the blast radius)',
    });
  if (command) {
    for (const n of nodes) {
      const r = await ctx.exec.run(
        command.map((a) => a.replaceAll('{node}', n)),
        { signal: ctx.signal, timeoutMs: 600_000 },
      );
      if (r.exitCode !== 0)
        throw new DrillError(
          'DISASTER_COMMAND_FAILED',
          `stopping node ${n} failed (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 200)}`,
          ExitCode.ObjectivesBreached,
        );
    }
    return {
      detail: `stopped ${nodes.join(', ')} with ${command[0]}`,
      revert: startCommand ? { kind: 'start-nodes', nodes, via: 'command', command: startCommand } : undefined,
    };
  }
  const control = await ctx.nodeControl();
  if (control === 'lab') {
    for (const n of nodes) await setLabNodeReady(ctx.kube, n, false);
    return {
      detail: `stopped ${nodes.join(', ')} (lab nodes go NotReady)`,
      revert: { kind: 'start-nodes', nodes, via: 'lab' },
    };
  }
  if (control === 'kind') {
    for (const n of nodes) {
      const r = await ctx.exec.run(['docker', 'stop', n], { signal: ctx.signal, timeoutMs: 120_000 });
      if (r.exitCode !== 0)
        throw new DrillError(
          'DISASTER_COMMAND_FAILED',
          `docker stop ${n} failed (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 200)}`,
          ExitCode.ObjectivesBreached,
        );
    }
    return {
      detail: `stopped kind nodes ${nodes.join(', ')} (docker stop)`,
      revert: { kind: 'start-nodes', nodes, via: 'kind' },
    };
  }
  throw new DrillError(
    'DISASTER_UNSUPPORTED',
    `cannot stop nodes in context "${ctx.kube.context}": it is neither the lab nor kind`,
    ExitCode.Precondition,
    { hint: 'give the step a `command` (argv, {node} is replaced) and a `startCommand` for your cloud' },
  );
}

async function waitNodesDown(ctx: InjectContext, nodes: string[]): Promise<void> {
  await until(ctx, `nodes ${nodes.join(', ')} are NotReady`, async () => {
    for (const n of nodes) {
      const node = await ctx.kube.get({ apiVersion: 'v1', kind: 'Node', name: n });
      const ready =
        (node?.status?.conditions as { type: string; status: string }[] | undefined)?.find((c) => c.type === 'Ready')
          ?.status === 'True';
      if (ready) return false;
    }
    return true;
  });
}

/** Runs one disaster step, then asserts that it really happened. Returns what undoes it. */
export async function inject(ctx: InjectContext, d: DisasterStep): Promise<Injected> {
  const kube = ctx.kube;
  switch (d.type) {
    case 'delete-namespace': {
      for (const n of d.namespaces) await kube.delete({ ...NS, name: n });
      await until(ctx, `namespaces ${d.namespaces.join(', ')} are gone`, async () => {
        for (const n of d.namespaces) if (await kube.get({ ...NS, name: n })) return false;
        return true;
      });
      return { detail: `deleted namespace ${d.namespaces.join(', ')}; it is gone` };
    }
    case 'delete-workload': {
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
    case 'delete-pvc': {
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
    case 'stop-nodes': {
      const nodes = new Set(d.nodes ?? []);
      if (d.hosting) for (const n of await nodesHosting(kube, d.hosting.namespace, d.hosting.selector)) nodes.add(n);
      const r = await stopNodes(ctx, [...nodes].sort(), d.command, d.startCommand);
      await waitNodesDown(ctx, [...nodes]);
      return r;
    }
    case 'lose-zone': {
      const nodes = (
        await kube.list({ apiVersion: 'v1', kind: 'Node' }, { labelSelector: `topology.kubernetes.io/zone=${d.zone}` })
      ).items.map((n) => n.metadata?.name ?? '');
      const r = await stopNodes(ctx, nodes, d.command, d.startCommand);
      await waitNodesDown(ctx, nodes);
      return { ...r, detail: `lost zone ${d.zone}: ${r.detail}` };
    }
    case 'command': {
      const r = d.script
        ? await ctx.exec.runZx(d.script, { timeoutMs: d.timeout * 1000, signal: ctx.signal })
        : await ctx.exec.run(d.argv ?? [], { timeoutMs: d.timeout * 1000, signal: ctx.signal });
      if (r.exitCode !== 0)
        throw new DrillError(
          'DISASTER_COMMAND_FAILED',
          `the disaster command failed (exit ${r.exitCode}${r.timedOut ? ', timed out' : ''}): ${r.stderr.trim().slice(0, 300)}`,
          ExitCode.ObjectivesBreached,
        );
      return {
        detail: `ran ${d.script ? `zx ${d.script}` : (d.argv ?? []).join(' ')}`,
        revert: d.revert ? { kind: 'command', argv: d.revert } : undefined,
      };
    }
  }
}

/** Undoes a step. Throws when it could not, so the drill can exit 5 and say what is still broken. */
export async function revert(ctx: InjectContext, r: Revert): Promise<string> {
  if (r.kind === 'command') {
    const res = await ctx.exec.run(r.argv, { timeoutMs: 600_000 });
    if (res.exitCode !== 0)
      throw new Error(`${r.argv.join(' ')} exited ${res.exitCode}: ${res.stderr.trim().slice(0, 200)}`);
    return `ran ${r.argv.join(' ')}`;
  }
  for (const n of r.nodes) {
    if (r.via === 'lab') await setLabNodeReady(ctx.kube, n, true);
    else {
      const argv = r.via === 'kind' ? ['docker', 'start', n] : (r.command ?? []).map((a) => a.replaceAll('{node}', n));
      const res = await ctx.exec.run(argv, { timeoutMs: 600_000 });
      if (res.exitCode !== 0)
        throw new Error(`${argv.join(' ')} exited ${res.exitCode}: ${res.stderr.trim().slice(0, 200)}`);
    }
  }
  return `started ${r.nodes.join(', ')}`;
}

/** Whether these nodes can be stopped here: lab nodes by label, kind by context name. */
export async function nodeControlFor(kube: KubeApi): Promise<'lab' | 'kind' | 'none'> {
  if (kube.context.startsWith('kind-')) return 'kind';
  const labNodes = (await kube.list({ apiVersion: 'v1', kind: 'Node' }, { labelSelector: `${LAB_NODE_LABEL}=true` }))
    .items;
  return labNodes.length ? 'lab' : 'none';
}

export type { Revert };
