import type { AlertRecord, AvailabilityRecord, DetectionResult } from '../detect/types.js';
import type { DrillResult } from '../drill/types.js';
import { formatDuration } from '../scenario/duration.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const name = (a: AlertRecord): string => `\`${a.alert}${a.matchers.length ? `{${a.matchers.join(', ')}}` : ''}\``;
const mark = (ok: boolean): string => (ok ? '✅ met' : '❌ breached');

function alertLine(d: DetectionResult, a: AlertRecord): string {
  if (!a.fired)
    return `- ❌ ${name(a)} (expected ${a.expectedPriority}) **did not fire** within ${formatDuration(d.timeoutSeconds)} of the disaster: it paged no one.`;
  const prio =
    a.priority === a.expectedPriority
      ? `${a.priority}`
      : `${a.priority ?? 'no known priority'}, expected ${a.expectedPriority}`;
  const label = a.priorityLabel !== undefined ? `, ${d.priorityLabel}=${a.priorityLabel}` : '';
  const page = !d.notify
    ? ''
    : a.notifiedAt
      ? `; its notification reached kdrill's receiver ${formatDuration(a.ttpSeconds ?? 0)} after the disaster (time to page)`
      : '; **no notification of it reached kdrill’s receiver**';
  const late =
    !a.met && a.objectiveSeconds !== undefined
      ? ` (later than the ${formatDuration(a.objectiveSeconds)} objective)`
      : '';
  return `- ${a.met && (!d.notify || a.notifiedAt) ? '✅' : '⚠️'} ${name(a)} (${prio}${label}) fired ${formatDuration(a.ttdSeconds ?? 0)} after the disaster${late}${a.suppressed ? ', **but it was silenced**' : ''}${page}.`;
}

const URGENCY = ['P1', 'P2', 'P3'];
const urgency = (a: AlertRecord): number => {
  const i = URGENCY.indexOf(a.priority ?? a.expectedPriority);
  return i < 0 ? URGENCY.length : i;
};
const byTtd = (a: AlertRecord, b: AlertRecord): number => (a.ttdSeconds ?? 0) - (b.ttdSeconds ?? 0);

/**
 * The first page, in one sentence: which alert, which priority, how many seconds, notified or not.
 * The most urgent alert that fired is the page (a P2 waits for a business day, so a P1 a moment later
 * is how the on-call engineer finds out); an earlier, less urgent one is named beside it.
 */
function firstPage(d: DetectionResult): string {
  const fired = d.alerts.filter((a) => a.fired).sort(byTtd);
  const page = [...fired].sort((a, b) => urgency(a) - urgency(b) || byTtd(a, b))[0];
  if (!page)
    return '**No expected alert fired: nobody would have been paged.** The team would have found out some other way, if at all.';
  const notified = d.notify
    ? page.notifiedAt
      ? ', and the page reached the receiver'
      : ', but no page reached the receiver'
    : '';
  const earlier = fired[0] !== page ? fired[0] : undefined;
  const before = earlier
    ? ` ${name(earlier)}, a ${earlier.priority ?? earlier.expectedPriority}, fired before it, ${formatDuration(earlier.ttdSeconds ?? 0)} after the disaster.`
    : '';
  return `The team would have found out from ${name(page)}, a ${page.priority ?? page.expectedPriority}, ${formatDuration(page.ttdSeconds ?? 0)} after the disaster${notified}.${before}`;
}

/** "How did we find out?": the scenario's answer beside what the alerts really did. */
export function howWeFoundOut(r: DrillResult): string[] {
  const d = r.detection;
  if (!d) return [];
  const L = ['', '## How did we find out?', '', `The scenario says: ${r.drill.discovery}`, '', firstPage(d), ''];
  for (const a of d.alerts) L.push(alertLine(d, a));
  const hb = d.heartbeat;
  if (hb)
    L.push(
      hb.ok
        ? `- ✅ Heartbeat \`${hb.alert}\` was firing before the disaster (who watches the watchers).`
        : `- ❌ **Heartbeat \`${hb.alert}\` was not firing before the disaster**: a silent alerting pipeline would look the same as a disaster nobody noticed.`,
    );
  if (d.heldRecoverySeconds !== undefined)
    L.push(
      `- The recovery started when the alerts had fired, ${formatDuration(d.heldRecoverySeconds)} after the disaster: the RTO includes the time to detect.`,
    );
  L.push(
    '',
    `Alerts read from ${d.source}${d.notify && d.receiver ? `; notifications received at ${d.receiver}` : ''}.`,
  );
  return L;
}

/** The time-to-detect row of the objectives table. */
export function detectionObjectiveRows(r: DrillResult): string[] {
  const d = r.detection;
  if (!d || d.objectiveSeconds === undefined) return [];
  const slowest = Math.max(...d.alerts.map((a) => a.ttdSeconds ?? Infinity));
  const measured = Number.isFinite(slowest) ? `slowest alert ${formatDuration(slowest)}` : 'an alert never fired';
  return [
    `| Time to detect (disaster → each expected alert) | ${formatDuration(d.objectiveSeconds)} | ${measured} | ${mark(d.met)} |`,
  ];
}

/** On a pass: what the detection proved. */
export function detectionProven(r: DrillResult): string[] {
  const d = r.detection;
  const out: string[] = [];
  if (d?.met && d.ttdSeconds !== null)
    out.push(
      `Every expected alert fired${d.objectiveSeconds !== undefined ? ` within the ${formatDuration(d.objectiveSeconds)} objective` : ''}; the first ${formatDuration(d.ttdSeconds)} after the disaster${d.ttpSeconds != null ? `, paging ${formatDuration(d.ttpSeconds)} after it` : ''}.`,
    );
  return out;
}

function downtimeRow(a: AvailabilityRecord): string {
  const pct = a.availabilityPercent === null ? 'not sampled' : `${a.availabilityPercent}%`;
  return `| ${cell(a.target)} | ${formatDuration(a.downtimeSeconds)} | ${a.firstFailureAt ?? '—'} | ${a.recoveredAt ?? (a.downtimeSeconds ? '**not recovered**' : '—')} | ${formatDuration(a.longestOutageSeconds)} | ${pct} | ${a.samples} every ${formatDuration(a.intervalSeconds)} |`;
}

/** The downtime of each sampled endpoint, from the disaster to the end of verification. */
export function downtimeSection(r: DrillResult): string[] {
  if (!r.availability?.length) return [];
  return [
    '',
    '## Downtime',
    '',
    'Sampled from the start of the disaster to the end of verification.',
    '',
    '| endpoint | down | first failure | recovered at | longest outage | available | samples |',
    '|---|---|---|---|---|---|---|',
    ...r.availability.map(downtimeRow),
  ];
}
