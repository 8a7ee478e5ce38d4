// Durations as text, without zod: `kdrill --help` and the option parsers load this, not the schema.

const UNIT: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
export const PATTERN = /^(?:\d+(?:ms|s|m|h|d|w))+$/;

/** "90s", "15m", "4h", "7d", "1h30m" → seconds. Anything else is undefined. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (!PATTERN.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * UNIT[m[2]!]!;
  return total;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const neg = seconds < 0;
  // a lab drill takes seconds: keep the tenths where they are the whole story
  if (Math.abs(seconds) < 10) return `${neg ? '-' : ''}${Math.abs(seconds).toFixed(Math.abs(seconds) < 1 ? 2 : 1)}s`;
  let s = Math.round(Math.abs(seconds));
  const parts: string[] = [];
  for (const [u, n] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)}${u}`);
      s %= n;
    }
  }
  if (s || parts.length === 0) parts.push(`${s}s`);
  return (neg ? '-' : '') + parts.slice(0, 2).join('');
}

/** The longest objective kdrill takes: ten years (a retention may be that long; nothing is longer). */
export const MAX_OBJECTIVE_SECONDS = 3650 * 86400;
/** The longest wait: 30 days. */
export const MAX_TIMEOUT_SECONDS = 30 * 86400;
