import type { Severity } from '../drill/types.js';
import { formatDuration } from '../scenario/duration.js';

export interface PeriodFinding {
  severity: Severity;
  code: string;
  scenario?: string;
  message: string;
  fix: string;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Every stretch of the period longer than `everySeconds` without a run of the scenario: between two
 * runs, from the period's start (or the last run before it) to the first run in it, and from the last
 * run to the period's end. Strict on purpose: a period that begins without a run begins with a gap.
 */
export function gapFindings(
  scenario: string,
  everySeconds: number,
  times: number[],
  from: number,
  to: number,
): PeriodFinding[] {
  const every = everySeconds * 1000;
  const sorted = [...times].sort((a, b) => a - b);
  const base = { severity: 'P2' as Severity, scenario };
  const fix = `run it (kdrill run, or a CronJob: kdrill schedule) at least every ${formatDuration(everySeconds)}`;
  if (!sorted.length)
    return [
      {
        ...base,
        code: 'DRILL_NEVER_RUN',
        message: `${scenario} must run every ${formatDuration(everySeconds)} and has no run in the history`,
        fix,
      },
    ];
  const out: PeriodFinding[] = [];
  const before = sorted.filter((t) => t < from).pop();
  let prev = before ?? from;
  let label = before === undefined ? `${day(from)} (the start of the period)` : day(before);
  for (const t of sorted.filter((x) => x >= from && x <= to)) {
    if (t - prev > every)
      out.push({
        ...base,
        code: 'DRILL_GAP',
        message: `${scenario} did not run for ${formatDuration((t - prev) / 1000)}, from ${label} to ${day(t)}: it must run every ${formatDuration(everySeconds)}`,
        fix,
      });
    prev = t;
    label = day(t);
  }
  if (to - prev > every)
    out.push({
      ...base,
      code: 'DRILL_OVERDUE',
      message:
        prev === from && before === undefined
          ? `${scenario} did not run in the period (from ${day(from)}); it must run every ${formatDuration(everySeconds)}`
          : `${scenario} has not run since ${day(prev)} (${formatDuration((to - prev) / 1000)} before ${day(to)}): it must run every ${formatDuration(everySeconds)}`,
      fix,
    });
  return out;
}
