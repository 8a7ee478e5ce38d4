import type { HistoryRecord, RunMode } from './record.js';

/** How many earlier runs a regression is judged against, and by how much more it counts. */
export const REGRESSION_WINDOW = 5;
export const REGRESSION_FACTOR = 1.2;
/** Below this RTO nothing is a regression: a lab drill of a second jitters by more than 20%. */
export const DEFAULT_REGRESSION_FLOOR_SECONDS = 30;

export interface TrendRow extends HistoryRecord {
  /** The median RTO of up to five earlier runs of the same scenario and mode, when there were any. */
  baselineRtoSeconds: number | null;
  /** RTO more than 20% above that median, and above the floor. */
  regression: boolean;
}

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Records from before modes were recorded were all `kdrill run`. */
export const modeOf = (r: HistoryRecord): RunMode => r.mode ?? 'run';

/**
 * Marks each run whose RTO is more than 20% above the median of the five runs before it of the same
 * scenario and mode, and above `floorSeconds`. A guided recovery (a person reading a runbook) and an
 * automated one are different measurements, so modes are never compared. Runs without a measured RTO
 * (a drill that never recovered) neither regress nor count.
 */
export function withRegressions(records: HistoryRecord[], o: { floorSeconds?: number } = {}): TrendRow[] {
  const floor = o.floorSeconds ?? DEFAULT_REGRESSION_FLOOR_SECONDS;
  const seen = new Map<string, number[]>();
  return records.map((r) => {
    const series = `${r.scenario}\0${modeOf(r)}`;
    const before = seen.get(series) ?? [];
    const baseline = median(before.slice(-REGRESSION_WINDOW));
    const regression =
      r.rtoSeconds !== null && baseline !== null && r.rtoSeconds > baseline * REGRESSION_FACTOR && r.rtoSeconds > floor;
    if (r.rtoSeconds !== null) seen.set(series, [...before, r.rtoSeconds]);
    return { ...r, baselineRtoSeconds: baseline, regression };
  });
}

const BARS = '▁▂▃▄▅▆▇█';

/** A one-line chart of values, low to high; a gap (no measurement) is a space. */
export function sparkline(values: (number | null)[]): string {
  const xs = values.filter((v): v is number => v !== null);
  if (xs.length === 0) return '';
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return values
    .map((v) => (v === null ? ' ' : BARS[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))]))
    .join('');
}
