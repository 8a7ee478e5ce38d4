import type { TrackedActionItem } from '../actions/types.js';
import type { DrillResult } from '../drill/types.js';
import type { HistoryRecord } from '../history/record.js';
import { restoreTestOf } from './facts.js';

const tracked = (r: DrillResult): TrackedActionItem[] =>
  r.actionItems.filter((a): a is TrackedActionItem => !!(a.id && a.owner && a.due && a.raisedIn && a.raisedAt));

/** What a history record keeps of a run for the period report: objectives, backup, lock, controls, action items. */
export function evidenceFields(r: DrillResult): Partial<HistoryRecord> {
  const canary = (r.protection as { canary?: { deleteRefused?: boolean } } | undefined)?.canary;
  return {
    objectiveSeconds: { rto: r.objectives.rto.objectiveSeconds, rpo: r.objectives.rpo.objectiveSeconds },
    ...(r.backup ? { backup: r.backup.name } : {}),
    ...(restoreTestOf(r).restoreTest ? { restoreTest: true } : {}),
    ...(r.protection !== undefined ? { lockProven: canary?.deleteRefused === true } : {}),
    ...(r.controls ? { controls: r.controls.filter((c) => c.status === 'evidenced').map((c) => c.id) } : {}),
    ...(r.requiredEverySeconds ? { requiredEverySeconds: r.requiredEverySeconds } : {}),
    actionItems: tracked(r),
  };
}
