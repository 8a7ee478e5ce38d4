import { Cron } from 'croner';

/**
 * Cron schedules as robfig/cron v3's standard parser reads them (cron.ParseStandard: what Kubernetes
 * CronJobs and Velero Schedules use). croner does the calendar and time-zone arithmetic; this module
 * reads robfig's grammar and turns it into a croner pattern, because the two differ:
 * - when day-of-month and day-of-week are both restricted, robfig fires on EITHER; when one of them
 *   is `*` or `?` (without a step over 1), on the other alone;
 * - `?` is `*` (croner gives `?` other meanings); day-of-week is 0-6 (croner also takes 7);
 * - the descriptors @yearly … @hourly (case-sensitive) and `@every <Go duration>`;
 * - a `CRON_TZ=<zone> ` or `TZ=<zone> ` prefix; without one, times are UTC;
 * - robfig walks a day hour by hour, so a time in a DST gap never fires and a repeated one fires twice.
 */
export type CronSchedule =
  { timeZone: string; everyMs: number } | { timeZone: string; pattern: string; domAndDow: boolean };

interface FieldSpec {
  name: string;
  lo: number;
  hi: number;
  names?: Record<string, number>;
}

const named = (list: string[], first: number): Record<string, number> =>
  Object.fromEntries(list.map((n, i) => [n, i + first]));

const FIELDS: FieldSpec[] = [
  { name: 'minute', lo: 0, hi: 59 },
  { name: 'hour', lo: 0, hi: 23 },
  { name: 'day-of-month', lo: 1, hi: 31 },
  { name: 'month', lo: 1, hi: 12, names: named('jan feb mar apr may jun jul aug sep oct nov dec'.split(' '), 1) },
  { name: 'day-of-week', lo: 0, hi: 6, names: named('sun mon tue wed thu fri sat'.split(' '), 0) },
];

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

// croner treats a job whose time fields have no `*` or `/` as "fixed-time" (a time in a DST gap runs
// after the gap, a repeated time once); robfig has no such notion. A seconds field with a step makes
// every job one of croner's interval jobs, which behave as robfig does.
const SECOND_ZERO = '0-0/1';

type Problem = { problem: string };
interface Field {
  values: number[];
  star: boolean;
}

/** The schedule, or undefined when robfig would refuse the expression. */
export function parseCron(expr: string): CronSchedule | undefined {
  const r = readCron(expr);
  return 'problem' in r ? undefined : r;
}

/** Why robfig would refuse the expression, in its words; undefined when it is a schedule. */
export function cronProblem(expr: string): string | undefined {
  const r = readCron(expr);
  return 'problem' in r ? r.problem : undefined;
}

/** A `CRON_TZ=`/`TZ=` prefix apart from the schedule it applies to. */
export function splitTimeZone(expr: string): { timeZone?: string; schedule: string } {
  if (!/^(CRON_)?TZ=/.test(expr)) return { schedule: expr };
  const space = expr.indexOf(' ');
  if (space < 0) return { timeZone: expr.slice(expr.indexOf('=') + 1), schedule: '' };
  return { timeZone: expr.slice(expr.indexOf('=') + 1, space), schedule: expr.slice(space).trim() };
}

/** The first time strictly after `after` that the schedule fires. */
export function nextRun(expr: string, after: Date): Date | undefined {
  const s = parseCron(expr);
  if (!s) return undefined;
  // robfig: the delay from `after` with its fraction of a second dropped
  if ('everyMs' in s) return new Date(after.getTime() - mod(after.getTime(), 1000) + s.everyMs);
  const cron = new Cron(s.pattern, { timezone: s.timeZone, domAndDow: s.domAndDow, mode: '6-part' });
  return cron.nextRun(after) ?? undefined;
}

function readCron(expr: string): CronSchedule | Problem {
  if (!expr) return { problem: 'empty spec string' };
  const { timeZone = 'UTC', schedule } = splitTimeZone(expr);
  if (!validZone(timeZone)) return { problem: `provided bad location ${timeZone}` };
  if (schedule.startsWith('@every ')) {
    const ms = goDurationMs(schedule.slice('@every '.length));
    if (ms === undefined) return { problem: `failed to parse duration ${schedule}` };
    // robfig: less than a second becomes a second, and fractions of a second are dropped
    return { timeZone, everyMs: ms < 1000 ? 1000 : ms - mod(ms, 1000) };
  }
  if (schedule.startsWith('@')) {
    const fields = DESCRIPTORS[schedule];
    return fields ? fieldSchedule(fields, timeZone) : { problem: `unrecognized descriptor: ${schedule}` };
  }
  return fieldSchedule(schedule, timeZone);
}

function fieldSchedule(text: string, timeZone: string): CronSchedule | Problem {
  const words = text.split(/\s+/).filter(Boolean);
  if (words.length !== 5) return { problem: `expected exactly 5 fields, found ${words.length}: ${text}` };
  const fields: Field[] = [];
  for (const [i, w] of words.entries()) {
    const f = parseField(w, FIELDS[i]!);
    if ('problem' in f) return { problem: `${FIELDS[i]!.name} "${w}": ${f.problem}` };
    fields.push(f);
  }
  const [dom, dow] = [fields[2]!, fields[4]!];
  // explicit lists everywhere, so croner's own idea of a wildcard never enters the day logic
  const pattern = [SECOND_ZERO, ...fields.map((f) => f.values.join(','))].join(' ');
  return { timeZone, pattern, domAndDow: dom.star || dow.star };
}

function parseField(text: string, spec: FieldSpec): Field | Problem {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(',')) {
    const r = parseRange(part, spec);
    if ('problem' in r) return r;
    for (let v = r.start; v <= r.end; v += r.step) values.add(v);
    star ||= r.star;
  }
  return { values: [...values].sort((a, b) => a - b), star };
}

/** One comma-separated part, checked as robfig's getRange checks it. */
function parseRange(
  part: string,
  spec: FieldSpec,
): { start: number; end: number; step: number; star: boolean } | Problem {
  const rangeAndStep = part.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    [start, end, star] = [spec.lo, spec.hi, true];
  } else {
    if (lowAndHigh.length > 2) return { problem: `too many hyphens: ${part}` };
    const low = intOrName(lowAndHigh[0]!, spec);
    const high = lowAndHigh.length === 2 ? intOrName(lowAndHigh[1]!, spec) : low;
    if (typeof low !== 'number') return low;
    if (typeof high !== 'number') return high;
    [start, end] = [low, high];
  }
  if (rangeAndStep.length > 2) return { problem: `too many slashes: ${part}` };
  let step = 1;
  if (rangeAndStep.length === 2) {
    const s = intOrName(rangeAndStep[1]!, { ...spec, names: undefined });
    if (typeof s !== 'number') return s;
    step = s;
    // "N/step" means N through the maximum
    if (lowAndHigh.length === 1) end = spec.hi;
    if (step > 1) star = false;
  }
  if (start < spec.lo) return { problem: `beginning of range (${start}) below minimum (${spec.lo})` };
  if (end > spec.hi) return { problem: `end of range (${end}) above maximum (${spec.hi})` };
  if (start > end) return { problem: `beginning of range (${start}) beyond end of range (${end})` };
  if (step === 0) return { problem: 'step of range should be a positive number' };
  return { start, end, step, star };
}

function intOrName(text: string, spec: FieldSpec): number | Problem {
  const byName = spec.names?.[text.toLowerCase()];
  if (byName !== undefined) return byName;
  if (!/^[+-]?\d+$/.test(text)) return { problem: `failed to parse int from ${text}` };
  const n = Number(text);
  return n < 0 ? { problem: `negative number (${n}) not allowed: ${text}` } : n;
}

const GO_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3600_000,
};

/** Go's time.ParseDuration, in milliseconds: "1h30m", "90s", "1.5h", "-5m", "0". */
function goDurationMs(text: string): number | undefined {
  const m = /^([-+]?)(.*)$/.exec(text)!;
  const sign = m[1] === '-' ? -1 : 1;
  if (m[2] === '0') return 0;
  if (!m[2]) return undefined;
  let ms = 0;
  let rest = m[2];
  while (rest) {
    const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!part) return undefined;
    ms += Number(part[1]) * GO_UNITS_MS[part[2]!]!;
    rest = rest.slice(part[0].length);
  }
  return sign * ms;
}

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone !== '' && zone.toLowerCase() !== 'local';
  } catch {
    return false;
  }
}

const mod = (a: number, b: number): number => ((a % b) + b) % b;
