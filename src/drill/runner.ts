import { revert } from '../disaster/injectors.js';
import type { InjectContext } from '../disaster/types.js';
import { ExitCode, isDrillError } from '../errors.js';
import type { Scenario } from '../scenario/schema.js';
import { abortable } from '../kube/abortable.js';
import { iso, type DrillContext, type PhaseOutcome, type RunDeps } from './context.js';
import { takeBackup } from './phases/backup.js';
import { baseline } from './phases/baseline.js';
import { injectDisaster, reverted } from './phases/inject.js';
import { contextsAllowed, preflight } from './phases/preflight.js';
import { startDetect, type Detecting } from './phases/detect.js';
import { recover } from './phases/recover.js';
import { verify } from './phases/verify.js';
import type { RunState } from './state.js';
import type { Phase } from './types.js';

export type { Reporter, RunDeps } from './context.js';

/** How a run went, beyond what the state records: what stopped it, and what could not be undone. */
export interface DrillRun {
  interrupted: boolean;
  /** The first line of an error that ended the drill after the disaster (the drill then fails). */
  error?: string;
  revertFailures: string[];
}

/** Runs one phase: journaled before it acts, stamped on the timeline, shown ✔ or ✖ by what it returns. */
export async function phase(
  deps: RunDeps,
  state: RunState,
  name: Phase,
  fn: () => Promise<PhaseOutcome>,
): Promise<PhaseOutcome> {
  const { journal, clock, reporter } = deps;
  deps.signal.throwIfAborted();
  journal.append('phase-started', { phase: name }, clock.now());
  const entry = { phase: name, startedAt: iso(clock.now()) } as RunState['timeline'][number];
  state.timeline.push(entry);
  reporter.phase(name, 'start');
  const cpu0 = process.cpuUsage();
  const end = (ok: boolean, detail: string, interrupted = false): void => {
    const cpu = process.cpuUsage(cpu0);
    journal.append('phase-ended', { phase: name, ok, detail, ...(interrupted ? { interrupted } : {}) }, clock.now());
    // kdrill's own CPU in the phase: where the orchestrator spends it (bench, and a slow drill's first question)
    Object.assign(entry, {
      endedAt: iso(clock.now()),
      ok,
      detail,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      ...(interrupted ? { interrupted } : {}),
    });
    reporter.phase(name, ok ? 'ok' : 'fail', detail);
  };
  try {
    const out = await fn();
    end(out.ok, out.detail);
    return out;
  } catch (e) {
    end(false, (e as Error).message.split('\n')[0] ?? '', deps.signal.aborted);
    throw e;
  }
}

/**
 * Runs (or resumes) a drill: preflight → baseline → [backup] → inject → recover → verify, each a
 * module of its own (phases/), each journaled before it acts; then the cleanup stack, whatever
 * happened. A phase already journaled as done is not run again. Preconditions (exit 4, before the
 * disaster) and usage errors throw; anything that stops the drill after the disaster becomes the
 * drill's error, and the reverts still run.
 */
export async function runDrill(deps: RunDeps, s: Scenario, state: RunState): Promise<DrillRun> {
  // the phases stop at the first call after Ctrl-C; the reverts (on `deps`) must still reach the cluster
  const kube = abortable(deps.kube, deps.signal);
  const phaseDeps: RunDeps = {
    ...deps,
    kube,
    recoveryKube: deps.recoveryKube === deps.kube ? kube : abortable(deps.recoveryKube, deps.signal),
  };
  const ctx: DrillContext = { deps: phaseDeps, s, state };
  const { journal, clock } = deps;
  const run: DrillRun = { interrupted: false, revertFailures: [] };
  let detecting: Detecting | undefined;
  // on every start, a resumed run too: a context is allow-listed now, or nothing is touched
  contextsAllowed(deps);
  try {
    if (!state.preflight) {
      await phase(deps, state, 'preflight', () => preflight(ctx));
      journal.append('preflight-done', { preflight: state.preflight }, clock.now());
    }
    if (!state.baseline) {
      await phase(deps, state, 'baseline', () => baseline(ctx));
      journal.append('baseline-done', { baseline: state.baseline }, clock.now());
    }
    if (s.spec.backup.take && !state.preflight!.contents) await phase(deps, state, 'backup', () => takeBackup(ctx));
    // alerts and downtime are watched from the disaster's start to the end of verification
    detecting = await startDetect(ctx);
    if (!state.injectDone || reverted(state).length) await phase(deps, state, 'inject', () => injectDisaster(ctx));
    if (!state.recoverDone) await detecting?.hold();
    if (!state.recoverDone) await phase(deps, state, 'recover', () => recover(ctx));
    if (!state.verify) await phase(deps, state, 'verify', () => verify(ctx));
  } catch (e) {
    if (deps.signal.aborted || (isDrillError(e) && e.exitCode === ExitCode.Interrupted)) run.interrupted = true;
    else if (
      isDrillError(e) &&
      (e.exitCode === ExitCode.Usage || (e.exitCode === ExitCode.Precondition && !state.injectStartedAt))
    )
      throw e;
    else run.error = (e as Error).message.split('\n')[0];
  } finally {
    await detecting?.finish(run.interrupted || deps.signal.aborted);
    if (state.injected.some((i) => i.revert && !state.reverted.includes(i.index)))
      run.revertFailures = await cleanup(deps, state);
  }
  return run;
}

/** The cleanup stack as a phase of its own on the timeline. */
async function cleanup(deps: RunDeps, state: RunState): Promise<string[]> {
  const entry = { phase: 'cleanup' as const, startedAt: iso(deps.clock.now()) };
  state.timeline.push(entry);
  deps.reporter.phase('cleanup', 'start');
  const failures = await runReverts(deps, state);
  Object.assign(entry, {
    endedAt: iso(deps.clock.now()),
    ok: failures.length === 0,
    ...(failures.length ? { detail: failures.join('; ') } : {}),
  });
  deps.reporter.phase('cleanup', failures.length ? 'fail' : 'ok', failures.join('; ') || undefined);
  return failures;
}

/** Runs the reverts on the cleanup stack, newest first. Returns what could not be undone. */
export async function runReverts(
  deps: Pick<RunDeps, 'kube' | 'clock' | 'exec' | 'journal' | 'reporter'>,
  state: RunState,
): Promise<string[]> {
  const failures: string[] = [];
  const ctx: InjectContext = {
    kube: deps.kube,
    clock: deps.clock,
    exec: deps.exec,
    nodeControl: () => Promise.resolve('none'),
  };
  for (const step of [...state.injected].reverse()) {
    if (!step.revert || state.reverted.includes(step.index)) continue;
    try {
      const msg = await revert(ctx, step.revert);
      state.reverted.push(step.index);
      deps.journal.append('revert-done', { index: step.index, detail: msg }, deps.clock.now());
      deps.reporter.info(`  reverted: ${msg}`);
    } catch (e) {
      failures.push(`${step.type}: ${(e as Error).message}`);
      deps.journal.append('revert-failed', { index: step.index, error: (e as Error).message }, deps.clock.now());
    }
  }
  return failures;
}
