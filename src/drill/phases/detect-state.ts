import type { AlertRecord, AvailabilityRecord, DetectionResult } from '../../detect/types.js';
import type { JournalEntry } from '../journal.js';
import type { RunState } from '../state.js';

/** The detect phase's journal records, replayed into the state (for resume): the last word of each wins. */
export const DETECT_REPLAY: Record<string, (s: RunState, e: JournalEntry) => void> = {
  'detect-started': (s, e) =>
    void (s.detect = { before: (e.before as string[][] | undefined) ?? [], alerts: s.detect?.alerts ?? [] }),
  'detect-alert': (s, e) =>
    void ((s.detect ??= { before: [], alerts: [] }).alerts[e.index as number] = e.record as AlertRecord),
  'detect-done': (s, e) => {
    s.detection = e.detection as DetectionResult | undefined;
    s.availability = e.availability as AvailabilityRecord[] | undefined;
  },
};
