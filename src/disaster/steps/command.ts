import { DrillError, ExitCode } from '../../errors.js';
import type { InjectContext, Injected, StepOf } from '../types.js';

/** A command (argv) or a zx script is the disaster; it has happened when it exits 0. */
export async function runCommand(ctx: InjectContext, d: StepOf<'command'>): Promise<Injected> {
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
