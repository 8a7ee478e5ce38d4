import type { AlertRecord, AvailabilityRecord, DetectionResult } from '../../detect/types.js';
import type { JournalEntry } from '../journal.js';
import type { RunState } from '../state.js';

/** The detect phase's journal records, replayed into the state (for resume): the last word of each wins. */
export function replayDetect(s: RunState, e: JournalEntry): void {
  switch (e.event) {
    case 'detect-started':
      s.detect = { before: (e.before as string[][] | undefined) ?? [], alerts: s.detect?.alerts ?? [] };
      break;
    case 'detect-alert':
      (s.detect ??= { before: [], alerts: [] }).alerts[e.index as number] = e.record as AlertRecord;
      break;
    case 'detect-done':
      s.detection = e.detection as DetectionResult | undefined;
      s.availability = e.availability as AvailabilityRecord[] | undefined;
      break;
  }
}
