import { formatDuration } from '../scenario/duration.js';
import { REGRESSION_FACTOR, REGRESSION_WINDOW, modeOf, sparkline, type TrendRow } from './trend.js';

const secs = (s: number | null): string => (s === null ? '—' : formatDuration(s));

/** The history as a table, then one RTO sparkline per scenario and mode, oldest to newest. */
export function renderHistory(rows: TrendRow[], where: string, floorSeconds?: number): string {
  if (rows.length === 0) return `no drills recorded in ${where} yet\n`;
  const table = [['STARTED (UTC)', 'SCENARIO', 'MODE', 'RUN', 'VERDICT', 'RTO', 'RPO', 'FINDINGS', '']];
  for (const r of rows) {
    const note = r.regression
      ? `REGRESSION: RTO ${Math.round((r.rtoSeconds! / r.baselineRtoSeconds! - 1) * 100)}% above the median ${secs(r.baselineRtoSeconds)} of the previous runs`
      : '';
    table.push([
      r.startedAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''),
      r.scenario,
      modeOf(r),
      r.runId,
      r.verdict.toUpperCase(),
      secs(r.rtoSeconds),
      secs(r.rpoSeconds),
      String(r.findings),
      note,
    ]);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) =>
    row
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  const series = [...new Set(rows.map((r) => `${r.scenario}${modeOf(r) === 'run' ? '' : ` (${modeOf(r)})`}`))];
  const width = Math.max(...series.map((x) => x.length));
  const spark = series.map((s) => {
    const mine = rows.filter((r) => `${r.scenario}${modeOf(r) === 'run' ? '' : ` (${modeOf(r)})`}` === s);
    const regressions = mine.filter((r) => r.regression).length;
    return `${s.padEnd(width)}  RTO ${sparkline(mine.map((r) => r.rtoSeconds))}  ${mine.length} run(s), last ${secs(mine[mine.length - 1]!.rtoSeconds)}${regressions ? `, ${regressions} regression(s)` : ''}`;
  });
  const floor = floorSeconds === undefined ? '' : ` and above ${formatDuration(floorSeconds)}`;
  return `${lines.join('\n')}\n\n${spark.join('\n')}\n\nhistory: ${where}; a regression is an RTO more than ${Math.round((REGRESSION_FACTOR - 1) * 100)}% above the median of the ${REGRESSION_WINDOW} runs before it of the same scenario and mode${floor}\n`;
}
