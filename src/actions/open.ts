import type { Severity } from '../drill/types.js';
import type { HistoryRecord } from '../history/record.js';
import type { ActionEvent, CarriedActionItem, TrackedActionItem } from './types.js';

const SEVERITIES: readonly string[] = ['P1', 'P2', 'P3'];
const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** The tracked items of a history record; a record another tool wrote may hold anything, so only whole items count. */
export function trackedItemsOf(r: HistoryRecord): TrackedActionItem[] {
  const raw: unknown = r.actionItems;
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (a): a is TrackedActionItem =>
      typeof a === 'object' &&
      a !== null &&
      [a.id, a.owner, a.due, a.raisedIn, a.raisedAt, a.code, a.action].every(str) &&
      SEVERITIES.includes(a.severity as Severity),
  );
}

/**
 * The items still open: raised by a run in the history and not closed in the action log. An item that
 * several runs raised again is one item, with every run that saw it. Oldest first.
 */
export function openActionItems(
  records: HistoryRecord[],
  events: ActionEvent[],
  scenario?: string,
): CarriedActionItem[] {
  const closed = new Set(events.filter((e) => e.event === 'closed').map((e) => e.id));
  const byId = new Map<string, CarriedActionItem>();
  for (const r of records) {
    if (scenario !== undefined && r.scenario !== scenario) continue;
    for (const a of trackedItemsOf(r)) {
      if (closed.has(a.id)) continue;
      const seen = byId.get(a.id);
      if (seen) {
        if (!seen.seenIn.includes(r.runId)) seen.seenIn.push(r.runId);
      } else byId.set(a.id, { ...a, scenario: r.scenario, seenIn: [r.runId] });
    }
  }
  return [...byId.values()];
}

/** The items closed, each with its closing event (the first one, should an item be closed twice). */
export function closedActionItems(
  records: HistoryRecord[],
  events: ActionEvent[],
): { item: CarriedActionItem; closed: ActionEvent }[] {
  const first = new Map<string, ActionEvent>();
  for (const e of events) if (e.event === 'closed' && !first.has(e.id)) first.set(e.id, e);
  const out = new Map<string, { item: CarriedActionItem; closed: ActionEvent }>();
  for (const r of records)
    for (const a of trackedItemsOf(r)) {
      const closed = first.get(a.id);
      if (closed && !out.has(a.id)) out.set(a.id, { item: { ...a, scenario: r.scenario, seenIn: [r.runId] }, closed });
    }
  return [...out.values()];
}

/** An item is overdue from the day after its due date. */
export const isOverdue = (a: { due: string }, now: Date): boolean => a.due < now.toISOString().slice(0, 10);
