import { usageError } from '../errors.js';
import { openHistory, type HistoryOptions } from '../history/open.js';
import type { HistoryRecord } from '../history/record.js';
import { openActionLog } from './log.js';
import { closedActionItems, openActionItems } from './open.js';
import type { ActionEvent, CarriedActionItem } from './types.js';

export interface ActionsState {
  where: string;
  records: HistoryRecord[];
  events: ActionEvent[];
  open: CarriedActionItem[];
  closed: { item: CarriedActionItem; closed: ActionEvent }[];
}

/** Reads the history and its action log: which items are open, which were closed. */
export async function readActions(o: HistoryOptions, scenario?: string): Promise<ActionsState> {
  const store = openHistory(o);
  const log = openActionLog(o);
  if (!store || !log)
    throw usageError('there is no history to read action items from', 'give --history <dir or s3://bucket/prefix>');
  const [records, events] = await Promise.all([store.list(scenario), log.list()]);
  return {
    where: store.where,
    records,
    events,
    open: openActionItems(records, events, scenario),
    closed: closedActionItems(records, events),
  };
}

/**
 * `kdrill actions close <id>`: records in the history's action log that the item was done, by whom and
 * how. Only an open item can be closed; the next drill no longer carries it over.
 */
export async function closeAction(
  o: HistoryOptions,
  id: string,
  x: { by: string; note: string; now: Date },
): Promise<{ item: CarriedActionItem; event: ActionEvent; where: string }> {
  if (!x.note.trim())
    throw usageError('say what was done: --note is empty', 'e.g. --note "Schedule now includes the namespace"');
  const st = await readActions(o);
  const item = st.open.find((a) => a.id === id);
  if (!item) {
    const closed = st.closed.find((c) => c.item.id === id);
    throw usageError(
      closed
        ? `action item ${id} was already closed on ${closed.closed.at} by ${closed.closed.by}`
        : `no open action item ${id} in ${st.where}`,
      'see the open ones with: kdrill actions list',
    );
  }
  const event: ActionEvent = {
    v: 1,
    event: 'closed',
    id,
    scenario: item.scenario,
    at: x.now.toISOString(),
    by: x.by,
    note: x.note.trim(),
  };
  await openActionLog(o)!.append(event);
  return { item, event, where: openActionLog(o)!.where };
}
