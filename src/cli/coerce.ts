import { type DrillError, usageError } from '../errors.js';
import { parseDuration } from '../scenario/duration-text.js';
import { parseGoDuration } from '../time/go-duration.js';

/**
 * Option values parsed where yargs parses them (`coerce`), so handlers get numbers and lists. yargs
 * re-throws what a coerce function throws as a YError with the same message, dropping the hint and
 * the exit code; `fromYargs` finds the DrillError again by that message.
 */
const raised = new Map<string, DrillError>();

function refuse(message: string, hint: string): never {
  const e = usageError(message, hint);
  raised.set(message, e);
  throw e;
}

/** The usage error a coerce function raised, for the YError yargs made of it. */
export function fromYargs(err: Error): Error {
  return raised.get(err.message) ?? err;
}

/** A kdrill duration ("90s", "15m", "24h", "7d") in seconds. */
export const durationArg =
  (flag: string, hint = 'e.g. 90s, 15m, 24h, 7d') =>
  (v: string): number =>
    parseDuration(v) ?? refuse(`--${flag} ${v} is not a duration`, hint);

/** A comma-separated list, given once or repeated: "a,b" --x c → [a, b, c]. */
export const listArg = (v: string | string[]): string[] =>
  [v]
    .flat()
    .flatMap((s) => String(s).split(','))
    .map((s) => s.trim())
    .filter(Boolean);

/** A number within bounds. */
export const numberBetween =
  (flag: string, lo: number, hi: number, hint: string) =>
  (v: number): number =>
    v >= lo && v <= hi ? v : refuse(`--${flag} must be between ${lo} and ${hi}`, hint);

/** A number of seconds, zero or more. */
export const secondsArg =
  (flag: string, hint: string) =>
  (v: number): number =>
    Number.isFinite(v) && v >= 0 ? v : refuse(`--${flag} ${v} is not a number of seconds`, hint);

/** One of a few words. */
export const oneOf =
  <W extends string>(flag: string, words: readonly W[], hint: string) =>
  (v: string): W =>
    (words as readonly string[]).includes(v) ? (v as W) : refuse(`--${flag} ${v}: say ${words.join(' or ')}`, hint);

/** kubectl's --request-timeout: a Go duration (30s, 1m30s) or a number of seconds, 1s to 24h. */
export function requestTimeoutArg(v: string): number {
  const seconds = /^\d+(\.\d+)?$/.test(v)
    ? Number(v)
    : /^(\d+(\.\d+)?(h|m|s|ms))+$/.test(v)
      ? parseGoDuration(v, 0) / 1000
      : undefined;
  if (seconds === undefined || !(seconds > 0) || seconds > 86400)
    refuse(
      `--request-timeout ${v} is not a duration between 1s and 24h`,
      'e.g. --request-timeout 30s, or 2m for a slow API server',
    );
  return seconds;
}

/** An option whose old meaning moved to another flag: a clear error instead of a silent change. */
export const movedTo =
  (flag: string, now: string, why: string) =>
  (v: unknown): never =>
    refuse(`${flag} ${String(v)}: ${why}`, `use ${now} ${String(v)}`);
