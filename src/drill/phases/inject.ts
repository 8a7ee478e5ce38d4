import { inject, nodeControlFor } from '../../disaster/injectors.js';
import type { InjectContext } from '../../disaster/types.js';
import { iso, type DrillContext, type PhaseOutcome } from '../context.js';

/** Steps injected and then undone by a revert (an interrupted run): the disaster is no longer there. */
export const reverted = (state: DrillContext['state']): DrillContext['state']['injected'] =>
  state.verify ? [] : state.injected.filter((i) => i.revert && state.reverted.includes(i.index));

/**
 * Inject: each disaster step, in order, asserted to have really happened (the namespace is gone, the
 * nodes are NotReady, …); its revert is journaled with it, onto the cleanup stack. A step already
 * journaled as done is never run again on resume; one that an interrupted run reverted is injected
 * again, and the report says so, for the drill must measure recovery from the disaster, not from its undoing.
 */
export async function injectDisaster(ctx: DrillContext): Promise<PhaseOutcome> {
  const { deps, s, state } = ctx;
  const { kube, clock, journal, signal } = deps;
  if (!state.injectStartedAt) {
    state.injectStartedAt = iso(clock.now());
    journal.append('inject-started', {}, clock.now());
  }
  let control: Promise<'lab' | 'kind' | 'none'> | undefined;
  const ictx: InjectContext = {
    kube,
    clock,
    exec: deps.exec,
    signal,
    nodeControl: () => (control ??= nodeControlFor(kube)),
  };
  const undone = new Map(reverted(state).map((i) => [i.index, i]));
  const again = new Set(undone.keys());
  for (const [index, step] of s.spec.disaster.entries()) {
    if (state.injected.some((x) => x.index === index) && !again.has(index)) continue;
    if (again.has(index)) {
      state.injected = state.injected.filter((x) => x.index !== index);
      state.reverted = state.reverted.filter((x) => x !== index);
      state.notes.push(
        `disaster step ${index + 1} (${step.type}) was undone when kdrill was interrupted; it was injected again on resume`,
      );
      journal.append('inject-step-reinjecting', { index, type: step.type }, clock.now());
    }
    signal.throwIfAborted();
    journal.append('inject-step-started', { index, type: step.type }, clock.now());
    // the same nodes again: the selector that found them may find none now (their namespace is gone)
    const prev = undone.get(index)?.revert;
    const target =
      prev?.kind === 'start-nodes' && (step.type === 'stop-nodes' || step.type === 'lose-zone')
        ? { ...step, type: 'stop-nodes' as const, nodes: prev.nodes, hosting: undefined }
        : step;
    const r = await inject(ictx, target);
    const at = iso(clock.now());
    state.injected.push({ index, type: step.type, detail: r.detail, at, revert: r.revert });
    journal.append('inject-step-done', { index, type: step.type, detail: r.detail, revert: r.revert }, clock.now());
    deps.reporter.info(`  ${r.detail}`);
  }
  state.injectDone = true;
  journal.append('inject-done', {}, clock.now());
  return { ok: true, detail: `${state.injected.length} step(s); the disaster happened` };
}
