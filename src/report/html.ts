import type { DrillResult, Objective } from '../drill/types.js';
import { formatDuration } from '../scenario/duration.js';
import { escapeXml as esc } from '../xml-escape.js';
import { sandboxHtml } from '../restore-test/report.js';
import { availabilityBand, detectionTable, downtimeTable } from './detection-html.js';

const W = 880; // chart width in px
const LABEL = 110; // left column for phase names
const ROW = 26;
const COLORS = { ok: '#2e7d32', fail: '#c62828', open: '#9e9e9e', rto: '#1565c0' };

/**
 * report.html: one self-contained page (inline CSS and SVG, no script, no network) that a browser,
 * a CI artifact viewer or an email client can show. The chart puts each phase on a time axis and
 * draws the RTO objective as a line from the moment of the disaster.
 */
export function htmlReport(r: DrillResult): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kdrill: ${esc(r.scenario)} ${r.verdict.toUpperCase()}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:940px;color:#212121;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}.verdict{padding:.1rem .6rem;border-radius:4px;color:#fff}
.pass{background:${COLORS.ok}}.fail{background:${COLORS.fail}}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border-bottom:1px solid #e0e0e0;text-align:left;padding:.3rem .5rem;vertical-align:top}
.met{color:${COLORS.ok};font-weight:600}.breached{color:${COLORS.fail};font-weight:600}.muted{color:#757575}
svg text{font:12px system-ui,sans-serif;fill:#424242}
</style></head><body>
<h1>${esc(r.scenario)} <span class="verdict ${r.verdict}">${r.verdict.toUpperCase()}</span></h1>
<p class="muted">${esc(r.mode)} · run ${esc(r.runId)} · context ${esc(r.context)}${r.recoveryContext !== r.context ? ` → ${esc(r.recoveryContext)}` : ''} · ${esc(r.startedAt)} · exit ${r.exitCode}</p>
${r.description ? `<p>${esc(r.description)}</p>` : ''}
<h2>Timeline</h2>
${timelineChart(r)}
${availabilityBand(r)}
<h2>Objectives</h2>
<table><tr><th>Objective</th><th>Target</th><th>Measured</th><th></th></tr>
${objectiveRow('RTO (recovery time)', r.objectives.rto)}
${objectiveRow('RPO (data lost)', r.objectives.rpo)}
<tr><td>Retention</td><td>${formatDuration(r.objectives.retention.objectiveSeconds)}</td><td>${r.objectives.retention.backupTtlSeconds === null ? '—' : `backup TTL ${formatDuration(r.objectives.retention.backupTtlSeconds)}`}</td><td class="${r.objectives.retention.met ? 'met' : 'breached'}">${r.objectives.retention.met ? 'met' : 'breached'}</td></tr>
</table>
${downtimeTable(r)}
${detectionTable(r)}
<h2>Verification</h2>
<table><tr><th>Check</th><th>Result</th><th>Detail</th></tr>
${r.verify.map((v) => `<tr><td>${esc(v.type)}</td><td class="${v.passed ? 'met' : 'breached'}">${v.passed ? 'passed' : 'failed'}</td><td>${esc(v.detail)}</td></tr>`).join('\n')}
</table>
${restoresTable(r)}
${sandboxHtml(r)}
<h2>Action items (${r.actionItems.length})</h2>
${r.actionItems.length === 0 ? '<p class="muted">none</p>' : `<table><tr><th>Severity</th><th>Object</th><th>Action</th></tr>\n${r.actionItems.map((a) => `<tr><td>${a.severity}</td><td>${a.object ? `<code>${esc(a.object)}</code>` : ''}</td><td>${esc(a.action)}</td></tr>`).join('\n')}</table>`}
<h2>Findings (${r.findings.length})</h2>
${r.findings.length === 0 ? '<p class="muted">none</p>' : `<table><tr><th>Severity</th><th>Finding</th><th>Fix</th></tr>\n${r.findings.map((f) => `<tr><td>${f.severity}</td><td><code>${esc(f.code)}</code> ${esc(f.message)}</td><td>${esc(f.fix)}</td></tr>`).join('\n')}</table>`}
</body></html>
`;
}

function restoresTable(r: DrillResult): string {
  if (!r.restores.length) return '';
  const rows = r.restores.map((x) => {
    const ok = x.phase === 'Completed' && x.results !== 'unreadable';
    const res = x.includedResources.length
      ? `include ${x.includedResources.join(', ')}`
      : x.excludedResources.length
        ? `exclude ${x.excludedResources.join(', ')}`
        : 'all';
    return `<tr><td><code>${esc(x.name)}</code></td><td>${esc(res)}</td><td class="${ok ? 'met' : 'breached'}">${esc(x.phase)}${x.results === 'unreadable' ? ' (results unreadable)' : ''}</td><td>${x.errors}</td><td>${x.warnings}</td></tr>`;
  });
  return `<h2>Restores</h2>\n<table><tr><th>Restore</th><th>Resources</th><th>Phase</th><th>Errors</th><th>Warnings</th></tr>\n${rows.join('\n')}</table>`;
}

function objectiveRow(name: string, o: Objective): string {
  const measured = o.measuredSeconds === null ? '—' : formatDuration(o.measuredSeconds);
  return `<tr><td>${name}</td><td>${formatDuration(o.objectiveSeconds)}</td><td>${measured}</td><td class="${o.met ? 'met' : 'breached'}">${o.met ? 'met' : 'breached'}</td></tr>`;
}

/** Phases as bars on a time axis; the RTO objective as a vertical line (an arrow when it lies beyond the drill). */
export function timelineChart(r: DrillResult): string {
  const t = (iso: string): number => Date.parse(iso) / 1000;
  const phases = r.timeline.filter((p) => p.startedAt);
  if (phases.length === 0) return '<p class="muted">no phase ran</p>';
  const t0 = t(phases[0]!.startedAt);
  const end = Math.max(...phases.map((p) => t(p.endedAt ?? r.endedAt)), t(r.endedAt));
  // a restore test has no disaster: its RTO estimate runs from the first Restore
  const inject =
    phases.find((p) => p.phase === 'inject') ??
    (r.mode === 'restore-test' ? phases.find((p) => p.phase === 'recover') : undefined);
  const rtoAt = inject ? t(inject.startedAt) + r.objectives.rto.objectiveSeconds : undefined;
  // the axis covers the drill, and the objective too unless it is far beyond (a 4h RTO for a 10s drill)
  const span = Math.max(end - t0, 1);
  const axisEnd = rtoAt !== undefined && rtoAt - t0 <= span * 1.5 ? Math.max(end, rtoAt) : end;
  const axis = Math.max(axisEnd - t0, 1);
  const plot = W - LABEL - 20;
  const x = (s: number): number => LABEL + ((s - t0) / axis) * plot;
  const height = phases.length * ROW + 80;
  const bars = phases.map((p, i) => {
    const a = t(p.startedAt);
    const b = t(p.endedAt ?? r.endedAt);
    const color = p.endedAt === undefined ? COLORS.open : p.ok === false ? COLORS.fail : COLORS.ok;
    const y = 10 + i * ROW;
    const w = Math.max(x(b) - x(a), 2);
    return `<text x="${LABEL - 8}" y="${y + 15}" text-anchor="end">${esc(p.phase)}</text><rect class="phase" data-phase="${esc(p.phase)}" x="${x(a).toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 8}" rx="3" fill="${color}"><title>${esc(p.phase)}: ${formatDuration(b - a)}${p.detail ? ` (${esc(p.detail)})` : ''}</title></rect>`;
  });
  const axisY = phases.length * ROW + 14;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (f) =>
      `<text x="${(LABEL + f * plot).toFixed(1)}" y="${axisY + 18}" text-anchor="middle">+${formatDuration(f * axis)}</text>`,
  );
  let rto = '';
  if (rtoAt !== undefined) {
    const label = `RTO objective ${formatDuration(r.objectives.rto.objectiveSeconds)}`;
    rto =
      rtoAt <= t0 + axis
        ? `<line class="rto" x1="${x(rtoAt).toFixed(1)}" x2="${x(rtoAt).toFixed(1)}" y1="4" y2="${axisY}" stroke="${COLORS.rto}" stroke-width="2" stroke-dasharray="6 3"/><text x="${x(rtoAt).toFixed(1)}" y="${axisY + 36}" text-anchor="end" style="fill:${COLORS.rto}">${label}</text>`
        : `<g class="rto-beyond"><line x1="${LABEL + plot - 120}" x2="${W - 6}" y1="${axisY + 30}" y2="${axisY + 30}" stroke="${COLORS.rto}" stroke-width="3"/><path d="M${W - 6} ${axisY + 30} l-10 -6 v12 z" fill="${COLORS.rto}"/><text x="${LABEL + plot - 126}" y="${axisY + 34}" text-anchor="end" style="fill:${COLORS.rto}">${label} is off this chart: at +${formatDuration(rtoAt - t0)}, ${Math.round((rtoAt - t0) / axis)}× the axis</text></g>`;
  }
  return `<svg id="timeline" role="img" aria-label="drill timeline" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" xmlns="http://www.w3.org/2000/svg">
<line x1="${LABEL}" x2="${LABEL + plot}" y1="${axisY}" y2="${axisY}" stroke="#9e9e9e"/>
${bars.join('\n')}
${ticks.join('\n')}
${rto}
</svg>`;
}
