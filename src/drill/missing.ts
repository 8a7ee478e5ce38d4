import type { RunState } from './state.js';

const TERMINAL_OK = new Set(['Completed']);

/**
 * What a drill that exits 5 leaves undone, one line each, for the operator at 2 AM: the disaster
 * steps still in force, the Restores that did not complete, and the verification that never ran.
 * Empty when nothing is missing.
 */
export function stillMissing(st: RunState, o: { revertFailures: string[]; error?: string }): string[] {
  const out: string[] = [];
  for (const f of o.revertFailures) out.push(`a revert failed, the disaster step is still in force: ${f}`);
  for (const f of st.restoreTest?.teardown?.failures ?? []) out.push(`the restore test's sandbox is still there: ${f}`);
  for (const i of st.injected) {
    if (i.revert && !st.reverted.includes(i.index) && !o.revertFailures.some((f) => f.startsWith(`${i.type}:`)))
      out.push(`not reverted yet: ${i.type} (${i.detail})`);
  }
  if (!st.injectStartedAt || st.verify) return out;
  const done = new Map(st.restores.map((r) => [r.name, r.phase]));
  for (const c of st.restoresCreated) {
    const phase = done.get(c.name);
    if (!phase) out.push(`Restore ${c.name} was created and has not been seen to finish`);
    else if (!TERMINAL_OK.has(phase)) out.push(`Restore ${c.name} ended ${phase}`);
  }
  if (!st.recoverDone)
    out.push(
      st.restoresCreated.length
        ? 'the recovery did not finish: later restore phases were not created yet'
        : 'no Restore was created: the application has not been restored',
    );
  out.push(
    `the recovery was never verified${o.error ? ` (the drill stopped: ${o.error})` : ''}: the application may still be missing`,
  );
  return out;
}
