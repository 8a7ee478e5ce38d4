import { VERSION } from '../cli/version.js';
import { escapeXml as esc } from '../xml-escape.js';
import { formatDuration } from '../scenario/duration.js';
import type { PeriodReport } from './period.js';
import { lockText, runsText, seriesText } from './period-markdown.js';

const day = (iso: string): string => iso.slice(0, 10);
const secs = (s: number | null | undefined): string => (s === null || s === undefined ? '—' : formatDuration(s));

function table(head: string[], rows: string[][]): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const CSS =
  'body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f3f3f3}.P1,.P2{color:#a00}.P3{color:#666}';

function scenariosTable(r: PeriodReport): string {
  return table(
    ['scenario', 'runs', 'RTO', 'RPO', 'backups tested', 'Object Lock', 'required every', 'last run'],
    r.scenarios.map((s) => [
      s.scenario,
      runsText(s),
      seriesText(s.rto),
      seriesText(s.rpo),
      `${s.backupsTested.length}${s.backupsTested.length ? `: ${s.backupsTested.join(', ')}` : ''}`,
      lockText(s),
      secs(s.requiredEverySeconds),
      s.lastRunAt ? day(s.lastRunAt) : '—',
    ]),
  );
}

function openTable(r: PeriodReport): string {
  if (!r.open.length) return '<p>None open.</p>';
  return table(
    ['id', 'scenario', 'finding', 'action', 'owner', 'due', 'raised in'],
    r.open.map((a) => [
      a.id,
      a.scenario,
      `${a.severity} ${a.code}`,
      `${a.object ? `${a.object}: ` : ''}${a.action}`,
      a.owner,
      `${a.due}${a.overdue ? ' (overdue)' : ''}`,
      `${a.raisedIn} (${day(a.raisedAt)})`,
    ]),
  );
}

/** The period report as one self-contained HTML page (no scripts, no external resources). */
export function periodHtml(r: PeriodReport): string {
  const scenarios = scenariosTable(r);
  const findings = r.findings.length
    ? `<ul>${r.findings.map((f) => `<li class="${f.severity}"><b>${f.severity}</b> <code>${esc(f.code)}</code>: ${esc(f.message)}. Fix: ${esc(f.fix)}</li>`).join('\n')}</ul>`
    : '<p>None: every scenario ran as often as it must.</p>';
  const controls = table(
    ['control', 'reference', 'runs evidencing it in full', 'last'],
    r.controls.map((c) => [
      c.id,
      c.ref,
      c.runs.length ? `${c.runs.length}: ${c.runs.join(', ')}` : 'none',
      c.lastAt ? day(c.lastAt) : '—',
    ]),
  );
  const open = openTable(r);
  const runs = table(
    ['started (UTC)', 'scenario', 'kind', 'run', 'verdict', 'RTO', 'RPO', 'backup'],
    r.runs.map((x) => [
      x.startedAt,
      x.scenario,
      x.restoreTest ? 'restore test' : (x.mode ?? 'run'),
      x.runId,
      x.verdict.toUpperCase(),
      secs(x.rtoSeconds),
      secs(x.rpoSeconds),
      x.backup ?? '—',
    ]),
  );
  const title = `Disaster-recovery evidence: ${day(r.from)} to ${day(r.to)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(title)}</h1>
<p>History <code>${esc(r.where)}</code>; ${r.runs.length} run(s) in the period; ${r.findings.length} finding(s). Written by kdrill ${esc(VERSION)}.</p>
<h2>Scenarios</h2>
${scenarios}
<h2>Findings (${r.findings.length})</h2>
${findings}
<h2>Controls evidenced in the period</h2>
${controls}
<h2>Open action items (${r.open.length})</h2>
${open}
<h2>Runs</h2>
${runs}
</body></html>
`;
}
