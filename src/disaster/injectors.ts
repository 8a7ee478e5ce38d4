import type { DisasterStep } from '../scenario/schema.js';
import { runCommand } from './steps/command.js';
import { deleteNamespace, deletePvc, deleteWorkload } from './steps/delete.js';
import { loseZone, startNodes, stopNodesStep } from './steps/nodes.js';
import type { DisasterType, InjectContext, Injected, Revert, StepOf } from './types.js';

export { nodeControlFor } from './steps/nodes.js';

/** One injector per disaster type: it runs the step, then asserts that the disaster really happened. */
const INJECTORS: { [T in DisasterType]: (ctx: InjectContext, d: StepOf<T>) => Promise<Injected> } = {
  'delete-namespace': deleteNamespace,
  'delete-workload': deleteWorkload,
  'delete-pvc': deletePvc,
  'stop-nodes': stopNodesStep,
  'lose-zone': loseZone,
  command: runCommand,
};

const injectorOf = <T extends DisasterType>(d: StepOf<T>): ((ctx: InjectContext, d: StepOf<T>) => Promise<Injected>) =>
  INJECTORS[d.type];

/** Runs one disaster step, then asserts that it really happened. Returns what undoes it. */
export async function inject(ctx: InjectContext, d: DisasterStep): Promise<Injected> {
  return injectorOf(d)(ctx, d);
}

/** Undoes a step. Throws when it could not, so the drill can exit 5 and say what is still broken. */
export async function revert(ctx: InjectContext, r: Revert): Promise<string> {
  if (r.kind === 'start-nodes') return startNodes(ctx, r);
  const res = await ctx.exec.run(r.argv, { timeoutMs: 600_000 });
  if (res.exitCode !== 0)
    throw new Error(`${r.argv.join(' ')} exited ${res.exitCode}: ${res.stderr.trim().slice(0, 200)}`);
  return `ran ${r.argv.join(' ')}`;
}

export type { Revert };
