import type { DetectSpec } from '../scenario/detect-schema.js';
import { formatDuration } from '../scenario/duration.js';
import type { Finding } from '../drill/types.js';
import type { AlertRecord, DetectionResult } from './types.js';

const what = (r: AlertRecord): string => `${r.alert}${r.matchers.length ? `{${r.matchers.join(', ')}}` : ''}`;
const minOf = (xs: (number | undefined)[]): number | null => {
  const v = xs.filter((x): x is number => x !== undefined);
  return v.length ? Math.min(...v) : null;
};

/** The detect phase's evidence: each expected alert, the first to fire, the first to page. */
export function detectionResult(o: {
  spec: DetectSpec;
  source: string;
  startedAt: string;
  endedAt: string;
  disasterAt?: string;
  alerts: AlertRecord[];
  receiver?: string;
  notifications?: number;
  heldRecoverySeconds?: number;
  sourceErrors?: { count: number; polls: number; last: string };
}): DetectionResult {
  return {
    source: o.source,
    startedAt: o.startedAt,
    endedAt: o.endedAt,
    ...(o.disasterAt ? { disasterAt: o.disasterAt } : {}),
    ...(o.spec.objective !== undefined ? { objectiveSeconds: o.spec.objective } : {}),
    timeoutSeconds: o.spec.timeout,
    priorityLabel: o.spec.priorityLabel,
    ttdSeconds: minOf(o.alerts.map((a) => a.ttdSeconds)),
    ...(o.spec.notify ? { ttpSeconds: minOf(o.alerts.map((a) => a.ttpSeconds)) } : {}),
    met: o.alerts.every((a) => a.fired && a.met),
    notify: o.spec.notify,
    ...(o.receiver ? { receiver: o.receiver, notifications: o.notifications ?? 0 } : {}),
    ...(o.heldRecoverySeconds !== undefined ? { heldRecoverySeconds: o.heldRecoverySeconds } : {}),
    ...(o.sourceErrors?.count ? { sourceErrors: o.sourceErrors } : {}),
    alerts: o.alerts,
  };
}

function notFired(d: DetectionResult, r: AlertRecord): Finding {
  const before = r.firingBefore
    ? `; ${r.firingBefore} matching alert(s) were already firing before it, and say nothing about it`
    : '';
  const errors = d.sourceErrors
    ? `; ${d.source} failed ${d.sourceErrors.count} of ${d.sourceErrors.polls} polls (${d.sourceErrors.last})`
    : '';
  return {
    severity: 'P2',
    code: 'ALERT_NOT_FIRED',
    key: r.alert,
    message: `${what(r)} did not fire within ${formatDuration(d.timeoutSeconds)} of the disaster: the disaster paged no one${before}${errors}`,
    fix: `write or fix the rule of ${r.alert} so this disaster fires it (series that vanish with a namespace need absent() or an offset/max_over_time query), and check that Alertmanager routes it`,
  };
}

function priorityFinding(r: AlertRecord, label: string): Finding | undefined {
  if (r.priority === r.expectedPriority) return undefined;
  const got =
    r.priorityLabel === undefined
      ? `has no ${label} label`
      : `fired as ${r.priority ?? 'no known priority'} (${label}="${r.priorityLabel}")`;
  return {
    severity: 'P3',
    code: 'ALERT_WRONG_PRIORITY',
    key: r.alert,
    message: `${what(r)} ${got}; the drill expects ${r.expectedPriority}`,
    fix: `set the ${label} label of ${r.alert} so it pages as a ${r.expectedPriority} (P1: wake someone now, P2: within a business day, P3: review regularly), or expect the priority it has`,
  };
}

/**
 * What the detection says to fix: an alert that never fired (P2, "the disaster paged no one"), one
 * that fired too late for the objective (P2), silenced, or never notified (P2), with the wrong priority (P3).
 */
export function detectionFindings(d: DetectionResult | undefined): Finding[] {
  if (!d) return [];
  const out: Finding[] = [];
  for (const r of d.alerts) {
    if (!r.fired) {
      out.push(notFired(d, r));
      continue;
    }
    if (!r.met && r.objectiveSeconds !== undefined)
      out.push({
        severity: 'P2',
        code: 'DETECT_OBJECTIVE_BREACHED',
        key: r.alert,
        message: `${what(r)} fired ${formatDuration(r.ttdSeconds ?? 0)} after the disaster, later than the ${formatDuration(r.objectiveSeconds)} time-to-detect objective`,
        fix: `shorten the for: of ${r.alert}, or the scrape and evaluation intervals, or agree on a realistic time to detect`,
      });
    if (r.suppressed)
      out.push({
        severity: 'P2',
        code: 'ALERT_SILENCED',
        key: r.alert,
        message: `${what(r)} fired, but Alertmanager silenced or inhibited it: it reached no one`,
        fix: `remove the silence or inhibition that covers ${r.alert}, or make it narrower`,
      });
    if (d.notify && !r.notifiedAt && !r.suppressed)
      out.push({
        severity: 'P2',
        code: 'ALERT_NOT_NOTIFIED',
        key: r.alert,
        message: `${what(r)} fired, but no notification of it reached kdrill's receiver${d.receiver ? ` (${d.receiver})` : ''} within ${formatDuration(d.timeoutSeconds)}: it paged no one`,
        fix: `check the Alertmanager route that matches ${r.alert} and its receiver (webhook_configs url), and the group_wait`,
      });
    const p = priorityFinding(r, d.priorityLabel);
    if (p) out.push(p);
  }
  return out;
}
