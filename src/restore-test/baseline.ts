import type { DrillContext, PhaseOutcome } from '../drill/context.js';
import { baseline } from '../drill/phases/baseline.js';
import { sourceSnapshot } from './source.js';

/**
 * The drill's baseline of the source namespaces (inventory, what the backup misses, the sentinel the
 * backup holds), then production's identity: every object's uid and resourceVersion, compared again
 * after the sandbox is gone. Objects the backup misses because they are newer than it are not a scope
 * gap: the next backup will hold them.
 */
export async function restoreTestBaseline(ctx: DrillContext): Promise<PhaseOutcome> {
  const { deps, s, state } = ctx;
  const rt = state.restoreTest!;
  const out = await baseline(ctx);
  const snap = await sourceSnapshot(deps.kube, s.spec.target.namespaces, deps.clock.now());
  rt.sourceBefore = snap;
  deps.journal.append('source-snapshot', { when: 'before', snapshot: snap }, deps.clock.now());
  const backupStart = Date.parse(state.preflight!.backup.startTimestamp);
  const created = new Map(snap.objects.map((o) => [o.key, Date.parse(o.createdAt ?? '')]));
  const gap = state.baseline!.scopeGap ?? [];
  const newer = gap.filter((k) => (created.get(k) ?? 0) > backupStart);
  if (newer.length && rt.plan) {
    state.baseline!.scopeGap = gap.filter((k) => !newer.includes(k));
    rt.plan.newerThanBackup = newer;
    deps.journal.append('restore-test-planned', { plan: rt.plan }, deps.clock.now());
  }
  const stillGap = state.baseline!.scopeGap?.length ?? 0;
  return {
    ok: stillGap === 0,
    detail: `${out.detail}${newer.length ? ` (${newer.length} newer than the backup)` : ''}; production: ${snap.objects.length} object(s) by uid and resourceVersion`,
  };
}
