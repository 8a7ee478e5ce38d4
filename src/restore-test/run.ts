import { iso, type DrillContext, type RunDeps } from '../drill/context.js';
import { phase, type DrillRun } from '../drill/runner.js';
import type { RunState } from '../drill/state.js';
import { DrillError, ExitCode, isDrillError } from '../errors.js';
import { abortable } from '../kube/abortable.js';
import type { Scenario } from '../scenario/schema.js';
import { restoreTestBaseline } from './baseline.js';
import { sandboxNames } from './names.js';
import { restoreTestPreflight } from './preflight.js';
import { restoreIntoSandbox } from './restore.js';
import { createSandbox } from './sandbox.js';
import { sourceSnapshot } from './source.js';
import { tearDown } from './teardown.js';
import { verifySandbox } from './verify.js';

/** The run's restore-test record, journaled before anything is looked at. */
function start(deps: RunDeps, s: Scenario, state: RunState, keep: boolean): void {
  const expires = new Date(deps.clock.now().getTime() + (s.spec.sandbox?.ttl ?? 21600) * 1000);
  state.restoreTest = {
    mapping: sandboxNames(s, state.runId),
    sandboxContext: deps.recoveryKube.context,
    keep,
    expiresAt: iso(expires),
    created: { namespaces: [] },
  };
  const { created: _c, ...rest } = state.restoreTest;
  deps.journal.append('restore-test-started', { state: rest }, deps.clock.now());
}

/** The cleanup phase: the sandbox torn down, then production looked at again. */
async function cleanup(deps: RunDeps, s: Scenario, state: RunState): Promise<void> {
  const rt = state.restoreTest!;
  const entry = { phase: 'cleanup' as const, startedAt: iso(deps.clock.now()) };
  state.timeline.push(entry);
  deps.reporter.phase('cleanup', 'start');
  const t = await tearDown(deps, s, state);
  let detail = t.kept
    ? `sandbox kept until ${rt.expiresAt} (--keep)`
    : t.deleted.length
      ? `sandbox ${t.deleted.join(', ')} deleted`
      : 'no sandbox was made';
  if (rt.sourceBefore) {
    try {
      rt.sourceAfter = await sourceSnapshot(deps.kube, s.spec.target.namespaces, deps.clock.now());
      deps.journal.append('source-snapshot', { when: 'after', snapshot: rt.sourceAfter }, deps.clock.now());
    } catch (e) {
      state.notes.push(`production could not be read again after the test: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (t.failures.length) detail = `${detail}; NOT torn down: ${t.failures.join('; ')}`;
  Object.assign(entry, { endedAt: iso(deps.clock.now()), ok: t.failures.length === 0, detail });
  deps.reporter.phase('cleanup', t.failures.length ? 'fail' : 'ok', detail);
}

async function phases(deps: RunDeps, ctx: DrillContext): Promise<void> {
  const { state } = ctx;
  const rt = state.restoreTest!;
  await phase(deps, state, 'preflight', () => restoreTestPreflight(ctx));
  deps.journal.append('preflight-done', { preflight: state.preflight }, deps.clock.now());
  await phase(deps, state, 'baseline', () => restoreTestBaseline(ctx));
  deps.journal.append('baseline-done', { baseline: state.baseline }, deps.clock.now());
  await phase(deps, state, 'sandbox', () => createSandbox(ctx));
  if (!rt.isolation?.applied) return;
  await phase(deps, state, 'recover', () => restoreIntoSandbox(ctx));
  if (!rt.isolationHeld?.ok) return;
  await phase(deps, state, 'verify', () => verifySandbox(ctx));
}

/** A restore test interrupted earlier is not continued (its RTO would mean nothing): its leftovers are torn down. */
async function resume(deps: RunDeps, s: Scenario, state: RunState): Promise<DrillRun> {
  const rt = state.restoreTest!;
  if (rt.teardown && !rt.teardown.failures.length)
    throw new DrillError(
      'RESUME_FINISHED',
      'this restore test was interrupted and its sandbox is already torn down',
      ExitCode.Usage,
      {
        hint: 'a restore test is not continued: start a new one with `kdrill run`',
      },
    );
  await cleanup(deps, s, state);
  return {
    interrupted: false,
    revertFailures: [],
    error: 'the restore test was interrupted; resume tore its sandbox down and does not continue it',
  };
}

/**
 * Runs a restore test: preflight → baseline → sandbox → recover → verify, each journaled and on the
 * timeline; then, whatever happened (a failed check, an error, Ctrl-C), the cleanup phase tears the
 * sandbox down and reads production again. A precondition that fails before the sandbox exists is
 * recorded as the test's finding (exit 4), so a nightly test that cannot run still says so.
 */
export async function runRestoreTest(
  deps: RunDeps,
  s: Scenario,
  state: RunState,
  o: { keep: boolean },
): Promise<DrillRun> {
  if (state.restoreTest && state.timeline.length) return resume(deps, s, state);
  const kube = abortable(deps.kube, deps.signal);
  const phaseDeps: RunDeps = {
    ...deps,
    kube,
    recoveryKube: deps.recoveryKube === deps.kube ? kube : abortable(deps.recoveryKube, deps.signal),
  };
  const run: DrillRun = { interrupted: false, revertFailures: [] };
  start(deps, s, state, o.keep);
  const rt = state.restoreTest!;
  try {
    await phases(phaseDeps, { deps: phaseDeps, s, state });
  } catch (e) {
    if (deps.signal.aborted || (isDrillError(e) && e.exitCode === ExitCode.Interrupted)) run.interrupted = true;
    else if (isDrillError(e) && e.exitCode === ExitCode.Usage) throw e;
    else if (isDrillError(e) && e.exitCode === ExitCode.Precondition && !rt.created.namespaces.length) {
      rt.precondition = { code: e.code, message: e.message.split('\n')[0] ?? '', hint: e.hint };
      deps.journal.append('restore-test-precondition', { precondition: rt.precondition }, deps.clock.now());
    } else run.error = (e as Error).message.split('\n')[0];
  } finally {
    await cleanup(deps, s, state);
  }
  return run;
}
