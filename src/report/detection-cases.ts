import type { DrillResult } from '../drill/types.js';

/** JUnit testcases: the heartbeat, and each expected alert (fired, in time, notified). */
export function detectionCases(r: DrillResult): { name: string; ok: boolean; detail: string; seconds?: number }[] {
  const d = r.detection;
  if (!d) return [];
  return [
    ...(d.heartbeat
      ? [{ name: `heartbeat: ${d.heartbeat.alert}`, ok: d.heartbeat.ok, detail: d.heartbeat.detail }]
      : []),
    ...d.alerts.map((a) => ({
      name: `detect: ${a.alert}${a.matchers.length ? `{${a.matchers.join(', ')}}` : ''}`,
      ok: a.fired && a.met && (!d.notify || !!a.notifiedAt),
      detail: `${a.detail}${d.notify ? (a.notifiedAt ? `; notified after ${a.ttpSeconds}s` : '; not notified') : ''}`,
      seconds: a.ttdSeconds ?? 0,
    })),
  ];
}
