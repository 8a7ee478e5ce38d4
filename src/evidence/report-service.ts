import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openActionLog } from '../actions/log.js';
import { usageError } from '../errors.js';
import { openHistory, type HistoryOptions } from '../history/open.js';
import { requireScenario } from '../scenario/load.js';
import { parseDuration } from '../scenario/duration.js';
import { periodReport, type PeriodReport } from './period.js';

/** `--since 90d` (back from now) or a date (`2026-01-01`); `--until` a date, default now. */
export function periodOf(since: string, until: string | undefined, now: Date): { from: Date; to: Date } {
  const to = until === undefined ? now : new Date(until);
  if (Number.isNaN(to.getTime()))
    throw usageError(`--until ${until} is not a date`, 'e.g. --until 2026-12-31 or --until 2026-12-31T23:59:59Z');
  const back = parseDuration(since);
  const from = back !== undefined ? new Date(to.getTime() - back * 1000) : new Date(since);
  if (Number.isNaN(from.getTime()) || back === 0)
    throw usageError(`--since ${since} is neither a duration nor a date`, 'e.g. --since 90d, or --since 2026-01-01');
  if (from >= to) throw usageError(`the period from ${from.toISOString()} to ${to.toISOString()} is empty`);
  return { from, to };
}

/** The scenario files given (a directory gives its *.yaml): their names and `requiredEvery`. */
async function requiredEveryOf(paths: string[]): Promise<Map<string, number>> {
  const files: string[] = [];
  for (const p of paths) {
    const st = await stat(p).catch(() => undefined);
    if (!st) throw usageError(`--scenarios ${p} does not exist`, 'give scenario files or a directory of them');
    if (st.isDirectory())
      files.push(
        ...(await readdir(p))
          .filter((n) => /\.ya?ml$/.test(n))
          .sort()
          .map((n) => join(p, n)),
      );
    else files.push(p);
  }
  const out = new Map<string, number>();
  for (const f of files) {
    const s = await requireScenario(f);
    if (s.spec.requiredEvery) out.set(s.metadata.name, s.spec.requiredEvery);
  }
  return out;
}

export interface EvidenceReportOptions {
  history: HistoryOptions;
  since: string;
  until?: string;
  scenarios: string[];
  now: Date;
}

/** `kdrill evidence report`: the period report over a history (a directory or s3://). */
export async function evidenceReport(o: EvidenceReportOptions): Promise<PeriodReport> {
  const { from, to } = periodOf(o.since, o.until, o.now);
  const requiredEvery = await requiredEveryOf(o.scenarios);
  const store = openHistory(o.history);
  const log = openActionLog(o.history);
  if (!store || !log) throw usageError('name the history to report on', 'e.g. --history drill-reports/history');
  const [records, events] = await Promise.all([store.list(), log.list()]);
  return periodReport(records, events, { from, to, where: store.where, requiredEvery });
}
