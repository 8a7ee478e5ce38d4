import type { ActionItem } from '../drill/types.js';

/** An action item with what keeps it alive across drills: an id, who owns it, when it is due, where it came from. */
export interface TrackedActionItem extends ActionItem {
  /** `<run id>-<n>`: kept while the item is open, also when a later run raises the same problem again. */
  id: string;
  owner: string;
  /** The day it is due, YYYY-MM-DD (UTC). */
  due: string;
  /** The run that first raised it, and when that run started. */
  raisedIn: string;
  raisedAt: string;
}

/** An item still open from earlier runs of a scenario: what the next drill lists as carried over. */
export interface CarriedActionItem extends TrackedActionItem {
  scenario: string;
  /** Every run that raised it while it stayed open, oldest first. */
  seenIn: string[];
}

/** What the action log holds: an item closed, by whom, and what was done. Appended, never rewritten. */
export interface ActionEvent {
  v: 1;
  event: 'closed';
  id: string;
  scenario: string;
  at: string;
  by: string;
  note: string;
}
