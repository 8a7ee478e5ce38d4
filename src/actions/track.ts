import type { ActionItem, Severity } from '../drill/types.js';
import type { CarriedActionItem, TrackedActionItem } from './types.js';

/** Days until an item is due, by severity: a P1 leaves the cluster at risk, a P3 is information worth a look. */
export const DUE_DAYS: Record<Severity, number> = { P1: 7, P2: 30, P3: 90 };

/**
 * The day an item raised at `from` is due: by severity, and never after the next required drill of
 * the scenario (its `requiredEvery`), so the next drill shows whether it was done.
 */
export function dueDate(severity: Severity, from: Date, requiredEverySeconds?: number): string {
  let days = DUE_DAYS[severity];
  if (requiredEverySeconds) days = Math.max(1, Math.min(days, Math.floor(requiredEverySeconds / 86400)));
  return new Date(from.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

/** The same problem: the same finding code about the same object. */
export const sameProblem = (a: ActionItem, b: ActionItem): boolean =>
  a.code === b.code && (a.object ?? '') === (b.object ?? '');

export interface TrackOptions {
  runId: string;
  startedAt: string;
  endedAt: Date;
  owner: string;
  /** Items earlier runs of the scenario left open. */
  open: CarriedActionItem[];
  requiredEverySeconds?: number;
}

/**
 * Gives each of a run's action items an id, an owner and a due date. A problem an earlier run raised
 * and nobody closed keeps that item (its id, owner, due date and first run): one item per problem, not
 * one per drill. What stays open and was not raised again is carried over.
 */
export function trackActionItems(
  items: ActionItem[],
  o: TrackOptions,
): { items: TrackedActionItem[]; carriedOver: CarriedActionItem[] } {
  const raisedAgain = new Set<string>();
  const tracked = items.map((a, i): TrackedActionItem => {
    const earlier = o.open.find((x) => !raisedAgain.has(x.id) && sameProblem(x, a));
    if (earlier) {
      raisedAgain.add(earlier.id);
      const { id, owner, due, raisedIn, raisedAt } = earlier;
      return { ...a, id, owner, due, raisedIn, raisedAt };
    }
    return {
      ...a,
      id: `${o.runId}-${i + 1}`,
      owner: o.owner,
      due: dueDate(a.severity, o.endedAt, o.requiredEverySeconds),
      raisedIn: o.runId,
      raisedAt: o.startedAt,
    };
  });
  return { items: tracked, carriedOver: o.open.filter((x) => !raisedAgain.has(x.id)) };
}
