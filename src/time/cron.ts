/**
 * Five-field cron as robfig/cron's standard parser reads it (Velero Schedules, Kubernetes CronJobs):
 * minute hour day-of-month month day-of-week, with *, lists, ranges, steps and month/day names, the
 * @yearly … @hourly macros, and "@every <duration>". Times are UTC.
 */
const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FIELDS: { lo: number; hi: number; names?: string[]; first?: number }[] = [
  { lo: 0, hi: 59 },
  { lo: 0, hi: 23 },
  { lo: 1, hi: 31 },
  { lo: 1, hi: 12, names: MONTHS, first: 1 },
  { lo: 0, hi: 6, names: DAYS, first: 0 },
];

export type CronSchedule = { everyMs: number } | { fields: Set<number>[] };

/** The schedule, or undefined when the expression is not one. */
export function parseCron(expr: string): CronSchedule | undefined {
  const e = expr.trim().toLowerCase();
  const every = /^@every\s+(\d+)(s|m|h)$/.exec(e);
  if (every) return { everyMs: Number(every[1]) * (every[2] === 'h' ? 3600_000 : every[2] === 'm' ? 60_000 : 1000) };
  const fields = (MACROS[e] ?? e).split(/\s+/);
  if (fields.length !== 5) return undefined;
  const sets = fields.map((f, i) => parseField(f, FIELDS[i]!));
  return sets.some((s) => s === undefined) ? undefined : { fields: sets as Set<number>[] };
}

/** The first time after `after` that the schedule fires. */
export function nextRun(expr: string, after: Date): Date | undefined {
  const s = parseCron(expr);
  if (!s) return undefined;
  if ('everyMs' in s) return new Date(after.getTime() + s.everyMs);
  const [mins, hours, doms, months, dows] = s.fields;
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  // a year of minutes is the longest gap a valid expression can have
  for (let i = 0; i < 366 * 24 * 60; i++) {
    if (
      months!.has(t.getUTCMonth() + 1) &&
      doms!.has(t.getUTCDate()) &&
      dows!.has(t.getUTCDay()) &&
      hours!.has(t.getUTCHours()) &&
      mins!.has(t.getUTCMinutes())
    )
      return t;
    t.setUTCMinutes(t.getUTCMinutes() + 1);
  }
  return undefined;
}

function parseField(f: string, spec: (typeof FIELDS)[number]): Set<number> | undefined {
  const { lo, hi, names, first = 0 } = spec;
  const named = names ? f.replace(/[a-z]{3}/g, (n) => (names.includes(n) ? String(names.indexOf(n) + first) : n)) : f;
  const out = new Set<number>();
  for (const part of named.split(',')) {
    const m = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const step = m[2] ? Number(m[2]) : 1;
    let a = lo;
    let b = hi;
    if (m[1] !== '*') {
      const [x, y] = m[1]!.split('-').map(Number);
      a = x!;
      b = y ?? (m[2] ? hi : x!);
    }
    if (a < lo || b > hi || a > b || step < 1) return undefined;
    for (let v = a; v <= b; v += step) out.add(v);
  }
  return out;
}
