import type { AvailabilityRecord } from '../detect/types.js';
import type { Sample } from './sampler.js';

type Meta = Pick<AvailabilityRecord, 'target' | 'from' | 'intervalSeconds' | 'timeoutSeconds'>;

const round3 = (s: number): number => Math.round(s * 1000) / 1000;
const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Downtime from samples: an outage runs from the first failed sample to the next good one (or the
 * end of the window), clipped to the window from the disaster's start to the end of verification.
 * Its precision is one interval. Time kdrill did not sample (it was not running) is left out.
 */
export function summarize(
  samples: Sample[],
  window: { start: number; end: number; unsampledMs?: number },
  meta: Meta,
): AvailabilityRecord {
  const outages: { from: number; to?: number; lastError: string }[] = [];
  let open: { from: number; to?: number; lastError: string } | undefined;
  for (const s of samples) {
    if (!s.up) {
      if (!open) outages.push((open = { from: s.at, lastError: s.detail ?? 'down' }));
      else open.lastError = s.detail ?? open.lastError;
    } else if (open) {
      open.to = s.at;
      open = undefined;
    }
  }
  const clipped = outages
    .map((o) => ({ ...o, a: Math.max(o.from, window.start), b: Math.min(o.to ?? window.end, window.end) }))
    .filter((o) => o.b > o.a);
  const downMs = clipped.reduce((n, o) => n + Math.max(0, o.b - o.a), 0);
  const inWindow = samples.filter((s) => s.at >= window.start && s.at <= window.end);
  const observed = window.end - window.start - (window.unsampledMs ?? 0);
  const last = clipped[clipped.length - 1];
  return {
    ...meta,
    windowStart: iso(window.start),
    windowEnd: iso(window.end),
    samples: inWindow.length,
    failures: inWindow.filter((s) => !s.up).length,
    downtimeSeconds: round3(downMs / 1000),
    ...(clipped[0] ? { firstFailureAt: iso(clipped[0].a) } : {}),
    ...(last?.to !== undefined && last.to <= window.end ? { recoveredAt: iso(last.to) } : {}),
    longestOutageSeconds: round3(Math.max(0, ...clipped.map((o) => o.b - o.a)) / 1000),
    availabilityPercent:
      inWindow.length && observed > 0 ? Math.round(10000 * Math.max(0, 1 - downMs / observed)) / 100 : null,
    outages: clipped.map((o) => ({
      from: iso(o.a),
      ...(o.to !== undefined && o.to <= window.end ? { to: iso(o.to) } : {}),
      seconds: round3((o.b - o.a) / 1000),
      lastError: o.lastError,
    })),
    ...(window.unsampledMs ? { unsampledSeconds: round3(window.unsampledMs / 1000) } : {}),
  };
}
