import { inject, nodeControlFor } from '../../disaster/injectors.js';
import type { InjectContext } from '../../disaster/types.js';
import { iso, type DrillContext, type PhaseOutcome } from '../context.js';

/**
 * Inject: each disaster step, in order, asserted to have really happened (the namespace is gone, the
 * nodes are NotReady, …); its revert is journaled with it, onto the cleanup stack. A step already
 * journaled as done is never run again on resume.
 */
export async function injectDisaster(ctx: DrillContext): Promise<PhaseOutcome> {
  const { deps, s, state } = ctx;
  const { kube, clock, journal, signal } = deps;
  if (!state.injectStartedAt) {
    state.injectStartedAt = iso(clock.now());
    journal.append('inject-started', {}, clock.now());
  }
  let control: Promise<'lab' | 'kind' | 'none'> | undefined;
  const ictx: InjectContext = { kube, clock, exec: deps.exec, signal, nodeControl: () => (control ??= nodeControlFor(kube)) };
  for (const [index, step] of s.spec.disaster.entries()) {
    if (state.injected.some((x) => x.index === index)) continue;
    signal.throwIfAborted();
    journal.append('inject-step-started', { index, type: step.type }, clock.now());
    const r = await inject(ictx, step);
    const at = iso(clock.now());
    state.injected.push({ index, type: step.type, detail: r.detail, at, revert: r.revert });
    journal.append('inject-step-done', { index, type: step.type, detail: r.detail, revert: r.revert }, clock.now());
    deps.reporter.info(`  ${r.detail}`);
  }
  state.injectDone = true;
  journal.append('inject-done', {}, clock.now());
  return { ok: true, detail: `${state.injected.length} step(s); the disaster happened` };
}
