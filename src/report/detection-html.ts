import type { AvailabilityRecord } from '../detect/types.js';
import type { DrillResult } from '../drill/types.js';
import { formatDuration } from '../scenario/duration.js';
import { escapeXml as esc } from '../xml-escape.js';

const W = 880;
const LABEL = 110;
const ROW = 22;
const UP = '#2e7d32';
const DOWN = '#c62828';

/** One endpoint's band: green while up, red for each outage, on the window from the disaster to the end of verification. */
function band(a: AvailabilityRecord, i: number, x: (t: number) => number): string {
  const y = 6 + i * (ROW + 8);
  const t0 = Date.parse(a.windowStart);
  const t1 = Date.parse(a.windowEnd);
  const short = a.target.length > 16 ? `…${a.target.slice(-15)}` : a.target;
  const outages = a.outages.map((o) => {
    const from = Date.parse(o.from);
    const to = o.to ? Date.parse(o.to) : t1;
    return `<rect class="down" x="${x(from).toFixed(1)}" y="${y}" width="${Math.max(x(to) - x(from), 1.5).toFixed(1)}" height="${ROW}" fill="${DOWN}"><title>down ${formatDuration(o.seconds)} from ${esc(o.from)}: ${esc(o.lastError)}</title></rect>`;
  });
  return `<text x="${LABEL - 8}" y="${y + 15}" text-anchor="end">${esc(short)}<title>${esc(a.target)}</title></text>
<rect class="up" x="${x(t0).toFixed(1)}" y="${y}" width="${Math.max(x(t1) - x(t0), 1.5).toFixed(1)}" height="${ROW}" fill="${UP}" data-target="${esc(a.target)}"><title>${esc(a.target)}: down ${formatDuration(a.downtimeSeconds)}, ${a.availabilityPercent ?? '?'}% available</title></rect>
${outages.join('\n')}`;
}

/**
 * The time axis of the phase timeline (html.ts timelineChart: first phase to the end of the run,
 * stretched to the RTO line when that is near), so that each band lies right under the phases.
 */
function timelineAxis(r: DrillResult): { t0: number; span: number } {
  const t = (iso: string): number => Date.parse(iso);
  const phases = r.timeline.filter((p) => p.startedAt);
  const t0 = phases.length ? t(phases[0]!.startedAt) : t(r.startedAt);
  const end = Math.max(...phases.map((p) => t(p.endedAt ?? r.endedAt)), t(r.endedAt));
  const inject = phases.find((p) => p.phase === 'inject');
  const rtoAt = inject ? t(inject.startedAt) + r.objectives.rto.objectiveSeconds * 1000 : undefined;
  const span = Math.max(end - t0, 1000);
  const axisEnd = rtoAt !== undefined && rtoAt - t0 <= span * 1.5 ? Math.max(end, rtoAt) : end;
  return { t0, span: Math.max(axisEnd - t0, 1000) };
}

/**
 * Under the phase timeline, on its time axis: each sampled endpoint as an up/down band over the
 * time from the disaster's start to the end of verification (its numbers are downtimeTable's).
 */
export function availabilityBand(r: DrillResult): string {
  const av = r.availability ?? [];
  if (!av.length) return '';
  const { t0, span } = timelineAxis(r);
  const plot = W - LABEL - 20;
  const x = (t: number): number => LABEL + ((t - t0) / span) * plot;
  const axisY = av.length * (ROW + 8) + 8;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (f) =>
      `<text x="${(LABEL + f * plot).toFixed(1)}" y="${axisY + 16}" text-anchor="middle">+${formatDuration((f * span) / 1000)}</text>`,
  );
  return `<p class="muted">Each endpoint sampled from the start of the disaster to the end of verification, on the timeline's axis: green up, red down.</p>
<svg id="availability" role="img" aria-label="availability during the drill" width="${W}" height="${axisY + 24}" viewBox="0 0 ${W} ${axisY + 24}" xmlns="http://www.w3.org/2000/svg">
<line x1="${LABEL}" x2="${LABEL + plot}" y1="${axisY}" y2="${axisY}" stroke="#9e9e9e"/>
${av.map((a, i) => band(a, i, x)).join('\n')}
${ticks.join('\n')}
</svg>`;
}

/** Each sampled endpoint's downtime, after the objectives: the objectives table stays the report's first. */
export function downtimeTable(r: DrillResult): string {
  const av = r.availability ?? [];
  if (!av.length) return '';
  const rows = av.map(
    (a) =>
      `<tr><td><code>${esc(a.target)}</code></td><td class="${a.downtimeSeconds ? 'breached' : 'met'}">${formatDuration(a.downtimeSeconds)}</td><td>${a.availabilityPercent ?? '—'}%</td><td>${formatDuration(a.longestOutageSeconds)}</td><td>${esc(a.recoveredAt ?? (a.downtimeSeconds ? 'not recovered' : '—'))}</td></tr>`,
  );
  return `<h2>Downtime</h2>
<table id="downtime"><tr><th>Endpoint</th><th>Down</th><th>Available</th><th>Longest outage</th><th>Recovered at</th></tr>
${rows.join('\n')}</table>`;
}

/** "How did we find out?": each expected alert, when it fired and paged, as a table. */
export function detectionTable(r: DrillResult): string {
  const d = r.detection;
  if (!d) return '';
  const rows = d.alerts.map((a) => {
    const ok = a.fired && a.met && (!d.notify || !!a.notifiedAt);
    return `<tr><td><code>${esc(a.alert)}</code>${a.matchers.length ? ` <span class="muted">${esc(a.matchers.join(', '))}</span>` : ''}</td><td>${a.expectedPriority}${a.fired && a.priority !== a.expectedPriority ? ` <span class="breached">(fired as ${a.priority ?? '?'})</span>` : ''}</td><td class="${ok ? 'met' : 'breached'}">${a.fired ? `${formatDuration(a.ttdSeconds ?? 0)}` : 'did not fire'}</td><td>${d.notify ? (a.notifiedAt ? formatDuration(a.ttpSeconds ?? 0) : 'not notified') : '—'}</td></tr>`;
  });
  const hb = d.heartbeat;
  return `<h2>How did we find out?</h2>
<p>${esc(r.drill.discovery)}</p>
${hb ? `<p class="${hb.ok ? 'met' : 'breached'}">Heartbeat ${esc(hb.alert)}: ${hb.ok ? 'firing before the disaster' : 'not firing before the disaster'}</p>` : ''}
<table id="detection"><tr><th>Alert</th><th>Priority</th><th>Time to detect</th><th>Time to page</th></tr>
${rows.join('\n')}</table>`;
}
