import type { HistoryOptions } from '../history/open.js';
import { readActions } from './service.js';
import type { CarriedActionItem } from './types.js';

/** For `kdrill plan`: the items still open for the scenario; a history that cannot be read is a note, not a failure. */
export async function openForPlan(
  o: HistoryOptions,
  scenario: string,
): Promise<{ items: CarriedActionItem[]; note?: string }> {
  if (!o.history) return { items: [] };
  try {
    return { items: (await readActions(o, scenario)).open };
  } catch (e) {
    return { items: [], note: `not read from ${String(o.history)} (${(e as Error).message})` };
  }
}
