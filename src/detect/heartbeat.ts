import type { Finding } from '../drill/types.js';
import { expectationMatchers, matcherText, matches } from './matchers.js';
import type { AlertSource } from './source.js';
import type { HeartbeatRecord } from './types.js';

/**
 * "Who watches the watchers?": the always-firing heartbeat (kube-prometheus's Watchdog) must fire
 * before the disaster, or a silent alerting pipeline would look like a disaster nobody noticed. When
 * it is missing, the drill goes on (its alerts may still tell), with a P1 finding.
 */
export async function checkHeartbeat(
  source: AlertSource,
  hb: { alert: string; labels?: Record<string, string>; matchers?: string[] },
  now: Date,
  signal?: AbortSignal,
): Promise<{ heartbeat: HeartbeatRecord; findings: Finding[] }> {
  const ms = expectationMatchers(hb);
  const alerts = await source.firing(signal);
  const hit = alerts.filter((a) => matches(a.labels, ms)).sort((a, b) => a.firedAt.localeCompare(b.firedAt))[0];
  const what = `${hb.alert}${ms.length > 1 ? `{${ms.slice(1).map(matcherText).join(', ')}}` : ''}`;
  if (hit)
    return {
      heartbeat: {
        alert: hb.alert,
        ok: true,
        checkedAt: now.toISOString(),
        since: hit.firedAt,
        detail: `${what} fires in ${source.name} since ${hit.firedAt}${hit.suppressed ? ' (silenced: it reaches no receiver)' : ''}`,
      },
      findings: [],
    };
  return {
    heartbeat: {
      alert: hb.alert,
      ok: false,
      checkedAt: now.toISOString(),
      detail: `${what} is not firing in ${source.name} (${alerts.length} other alert(s) are)`,
    },
    findings: [
      {
        severity: 'P1',
        code: 'HEARTBEAT_MISSING',
        key: hb.alert,
        message: `the heartbeat alert ${what} is not firing in ${source.name}: nobody watches the watchers, and a broken alerting pipeline would stay silent through a real disaster`,
        fix: `add an always-firing alert (expr: vector(1), as kube-prometheus's Watchdog) and route it to a dead man's switch in the on-call tool, which pages when the heartbeat stops`,
      },
    ],
  };
}
