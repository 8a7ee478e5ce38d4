import { DrillError, ExitCode } from '../../errors.js';
import type { KubeApi } from '../../kube/kube-api.js';
import { until } from '../happened.js';
import { LAB_NODE_LABEL, setLabNodeReady } from '../lab-nodes.js';
import type { InjectContext, Injected, Revert, StepOf } from '../types.js';

/** How a step says to stop and start nodes outside the lab and kind: argv, `{node}` replaced. */
interface NodeCommands {
  command?: string[];
  startCommand?: string[];
}

const commandFailed = (what: string, r: { exitCode: number; stderr: string }): DrillError =>
  new DrillError(
    'DISASTER_COMMAND_FAILED',
    `${what} failed (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 200)}`,
    ExitCode.ObjectivesBreached,
  );

async function nodesHosting(kube: KubeApi, namespace: string, selector: string): Promise<string[]> {
  const pods = (await kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace, labelSelector: selector })).items;
  return [...new Set(pods.map((p) => p.spec?.nodeName as string | undefined).filter((n): n is string => !!n))].sort();
}

async function stopByCommand(
  ctx: InjectContext,
  nodes: string[],
  c: NodeCommands & { command: string[] },
): Promise<Injected> {
  for (const n of nodes) {
    const r = await ctx.exec.run(
      c.command.map((a) => a.replaceAll('{node}', n)),
      { signal: ctx.signal, timeoutMs: 600_000 },
    );
    if (r.exitCode !== 0) throw commandFailed(`stopping node ${n}`, r);
  }
  return {
    detail: `stopped ${nodes.join(', ')} with ${c.command[0]}`,
    revert: c.startCommand ? { kind: 'start-nodes', nodes, via: 'command', command: c.startCommand } : undefined,
  };
}

async function stopKindNodes(ctx: InjectContext, nodes: string[]): Promise<Injected> {
  for (const n of nodes) {
    const r = await ctx.exec.run(['docker', 'stop', n], { signal: ctx.signal, timeoutMs: 120_000 });
    if (r.exitCode !== 0) throw commandFailed(`docker stop ${n}`, r);
  }
  return {
    detail: `stopped kind nodes ${nodes.join(', ')} (docker stop)`,
    revert: { kind: 'start-nodes', nodes, via: 'kind' },
  };
}

async function stopNodes(ctx: InjectContext, nodes: string[], c: NodeCommands): Promise<Injected> {
  if (nodes.length === 0)
    throw new DrillError('DISASTER_NO_NODES', 'no node matched: nothing to stop', ExitCode.Precondition, {
      hint: 'check the selector or zone against the cluster (`kdrill plan` shows the blast radius)',
    });
  if (c.command) return stopByCommand(ctx, nodes, { ...c, command: c.command });
  const control = await ctx.nodeControl();
  if (control === 'lab') {
    for (const n of nodes) await setLabNodeReady(ctx.kube, { name: n, ready: false, at: ctx.clock.now() });
    return {
      detail: `stopped ${nodes.join(', ')} (lab nodes go NotReady)`,
      revert: { kind: 'start-nodes', nodes, via: 'lab' },
    };
  }
  if (control === 'kind') return stopKindNodes(ctx, nodes);
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

export async function stopNodesStep(ctx: InjectContext, d: StepOf<'stop-nodes'>): Promise<Injected> {
  const nodes = new Set(d.nodes ?? []);
  if (d.hosting) for (const n of await nodesHosting(ctx.kube, d.hosting.namespace, d.hosting.selector)) nodes.add(n);
  const r = await stopNodes(ctx, [...nodes].sort(), d);
  await waitNodesDown(ctx, [...nodes]);
  return r;
}

export async function loseZone(ctx: InjectContext, d: StepOf<'lose-zone'>): Promise<Injected> {
  const nodes = (
    await ctx.kube.list({ apiVersion: 'v1', kind: 'Node' }, { labelSelector: `topology.kubernetes.io/zone=${d.zone}` })
  ).items.map((n) => n.metadata?.name ?? '');
  const r = await stopNodes(ctx, nodes, d);
  await waitNodesDown(ctx, nodes);
  return { ...r, detail: `lost zone ${d.zone}: ${r.detail}` };
}

/** Starts the nodes a step stopped, the way it stopped them. */
export async function startNodes(ctx: InjectContext, r: Extract<Revert, { kind: 'start-nodes' }>): Promise<string> {
  for (const n of r.nodes) {
    if (r.via === 'lab') await setLabNodeReady(ctx.kube, { name: n, ready: true, at: ctx.clock.now() });
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
