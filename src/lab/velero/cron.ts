/**
 * Velero's schedule syntax: five-field cron (minute hour day-of-month month day-of-week, with *, lists,
 * ranges and steps) or "@every <duration>". Times are UTC.
 */
export function nextRun(expr: string, after: Date): Date | undefined {
  const every = /^@every\s+(\d+)(s|m|h)$/.exec(expr.trim());
  if (every) {
    const ms = Number(every[1]) * (every[2] === 'h' ? 3600_000 : every[2] === 'm' ? 60_000 : 1000);
    return new Date(after.getTime() + ms);
  }
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return undefined;
  const ranges: [number, number][] = [
    [0, 59],
    [0, 23],
    [1, 31],
    [1, 12],
    [0, 6],
  ];
  const sets = fields.map((f, i) => parseField(f, ranges[i]![0], ranges[i]![1]));
  if (sets.some((s) => s === undefined)) return undefined;
  const [mins, hours, doms, months, dows] = sets as Set<number>[];
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  // a year of minutes is the longest gap a valid expression can have
  for (let i = 0; i < 366 * 24 * 60; i++) {
    if (months!.has(t.getUTCMonth() + 1) && doms!.has(t.getUTCDate()) && dows!.has(t.getUTCDay()) && hours!.has(t.getUTCHours()) && mins!.has(t.getUTCMinutes())) return t;
    t.setUTCMinutes(t.getUTCMinutes() + 1);
  }
  return undefined;
}

function parseField(f: string, lo: number, hi: number): Set<number> | undefined {
  const out = new Set<number>();
  for (const part of f.split(',')) {
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

/** Velero's backup name for a schedule run: `<schedule>-<YYYYMMDDHHMMSS>` (UTC). */
export function scheduledBackupName(schedule: string, at: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${schedule}-${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}`;
}
