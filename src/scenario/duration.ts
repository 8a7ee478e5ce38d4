import { z } from 'zod';
import { MAX_OBJECTIVE_SECONDS, MAX_TIMEOUT_SECONDS, PATTERN, formatDuration, parseDuration } from './duration-text.js';

export { MAX_OBJECTIVE_SECONDS, MAX_TIMEOUT_SECONDS, formatDuration, parseDuration };

/** A duration field: a string such as "90s", "15m", "4h" or "7d", parsed to seconds, at most `maxSeconds`. */
export const duration = (what = 'a duration', maxSeconds = MAX_OBJECTIVE_SECONDS) =>
  z
    .string({ error: `expected ${what} such as "90s", "15m", "4h" or "7d"` })
    .meta({
      description: `${what}: digits and a unit (ms, s, m, h, d, w), e.g. "90s", "4h", "7d", "1h30m"; at most ${formatDuration(maxSeconds)}`,
      pattern: PATTERN.source,
    })
    .transform((s, ctx) => {
      const v = parseDuration(s);
      if (v === undefined) {
        const message = s.trim().startsWith('-')
          ? `"${s}" is negative: durations count forward, e.g. "5m"`
          : `"${s}" is not a duration: use digits and a unit, e.g. "90s", "15m", "4h", "7d"`;
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      if (!Number.isFinite(v) || v > maxSeconds) {
        ctx.addIssue({
          code: 'custom',
          message: `"${s}" is longer than ${what} may be (at most ${formatDuration(maxSeconds)})`,
        });
        return z.NEVER;
      }
      return v;
    });

export const positiveDuration = (what: string) =>
  duration(what).refine((v) => v > 0, { message: `${what} must be longer than zero` });

/** A wait: at most 30 days (kdrill's timers are chunked, so that long is honoured to the second). */
export const timeout = (what = 'the timeout') => duration(what, MAX_TIMEOUT_SECONDS);
