import type { HistoryRecord } from './record.js';

/** How many earlier runs a regression is judged against, and by how much more it counts. */
export const REGRESSION_WINDOW = 5;
export const REGRESSION_FACTOR = 1.2;

export interface TrendRow extends HistoryRecord {
  /** The median RTO of up to five earlier runs of the same scenario, when there were any. */
  baselineRtoSeconds: number | null;
  /** RTO more than 20% above that median. */
  regression: boolean;
}

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Marks each run whose RTO is more than 20% above the median of the five runs of its scenario before
 * it. Runs without a measured RTO (a drill that never recovered) neither regress nor count.
 */
export function withRegressions(records: HistoryRecord[]): TrendRow[] {
  const seen = new Map<string, number[]>();
  return records.map((r) => {
    const before = seen.get(r.scenario) ?? [];
    const baseline = median(before.slice(-REGRESSION_WINDOW));
    const regression = r.rtoSeconds !== null && baseline !== null && r.rtoSeconds > baseline * REGRESSION_FACTOR;
    if (r.rtoSeconds !== null) seen.set(r.scenario, [...before, r.rtoSeconds]);
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
  return values.map((v) => (v === null ? ' ' : BARS[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))])).join('');
}
