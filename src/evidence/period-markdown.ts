import { VERSION } from '../cli/version.js';
import { formatDuration } from '../scenario/duration.js';
import type { PeriodReport, ScenarioPeriod, SeriesSummary } from './period.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const secs = (s: number | null | undefined): string => (s === null || s === undefined ? '—' : formatDuration(s));
const day = (iso: string): string => iso.slice(0, 10);

/** "median 4.3s (last 4.1s, worst 6s) against 4h; 5/5 met; steady ▃▃▄▃▂" */
export function seriesText(s: SeriesSummary): string {
  if (!s.measured) return 'not measured';
  return `median ${secs(s.median)} (last ${secs(s.last)}, worst ${secs(s.worst)}) against ${secs(s.objectiveSeconds)}; ${s.met}/${s.measured} met; ${s.trend}${s.sparkline.trim() ? ` ${s.sparkline}` : ''}`;
}

export const lockText = (s: ScenarioPeriod): string =>
  s.lock.audited
    ? `enforced in ${s.lock.enforced}/${s.lock.audited}, canary proved it in ${s.lock.proven}`
    : 'not audited';

export const runsText = (s: ScenarioPeriod): string =>
  `${s.runs} (${s.drills} drill(s), ${s.restoreTests} restore test(s)${s.guided ? `, ${s.guided} guided` : ''}): ${s.pass} pass, ${s.fail} fail`;

function summary(r: PeriodReport): string[] {
  const L = [
    '| scenario | runs | RTO | RPO | backups tested | Object Lock | required every | last run |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const s of r.scenarios)
    L.push(
      `| ${s.scenario} | ${runsText(s)} | ${cell(seriesText(s.rto))} | ${cell(seriesText(s.rpo))} | ${s.backupsTested.length}${s.backupsTested.length ? `: ${s.backupsTested.join(', ')}` : ''} | ${lockText(s)} | ${secs(s.requiredEverySeconds)} | ${s.lastRunAt ? day(s.lastRunAt) : '—'} |`,
    );
  return L;
}

function controls(r: PeriodReport): string[] {
  const L = ['| control | reference | runs evidencing it in full | last |', '|---|---|---|---|'];
  for (const c of r.controls)
    L.push(
      `| ${c.id} | ${cell(c.ref)} | ${c.runs.length ? `${c.runs.length}: ${c.runs.join(', ')}` : 'none'} | ${c.lastAt ? day(c.lastAt) : '—'} |`,
    );
  if (r.runsWithoutControls)
    L.push('', `${r.runsWithoutControls} run(s) of the period were recorded before kdrill recorded controls.`);
  return L;
}

function actions(r: PeriodReport): string[] {
  const L: string[] = [];
  if (!r.open.length) L.push('None open.');
  else {
    L.push('| id | scenario | finding | action | owner | due | raised in |', '|---|---|---|---|---|---|---|');
    for (const a of r.open)
      L.push(
        `| \`${a.id}\` | ${a.scenario} | ${a.severity} ${a.code} | ${cell(`${a.object ? `${a.object}: ` : ''}${a.action}`)} | ${cell(a.owner)} | ${a.due}${a.overdue ? ' **overdue**' : ''} | ${a.raisedIn} (${day(a.raisedAt)}) |`,
      );
  }
  if (r.closed.length)
    L.push(
      '',
      `Closed in the period (${r.closed.length}):`,
      '',
      ...r.closed.map(
        (c) => `- \`${c.item.id}\` ${c.item.code}: closed ${day(c.closed.at)} by ${c.closed.by}: ${c.closed.note}`,
      ),
    );
  return L;
}

function runs(r: PeriodReport): string[] {
  const L = [
    '| started (UTC) | scenario | kind | run | verdict | RTO | RPO | backup |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const x of r.runs)
    L.push(
      `| ${x.startedAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')} | ${x.scenario} | ${x.restoreTest ? 'restore test' : (x.mode ?? 'run')} | ${x.runId} | ${x.verdict.toUpperCase()} | ${secs(x.rtoSeconds)} | ${secs(x.rpoSeconds)} | ${x.backup ?? '—'} |`,
    );
  return L;
}

/** The period report as Markdown, for the auditor's file. */
export function periodMarkdown(r: PeriodReport): string {
  const serious = r.findings.filter((f) => f.severity !== 'P3').length;
  return [
    `# Disaster-recovery evidence: ${day(r.from)} to ${day(r.to)}`,
    '',
    `History \`${r.where}\`; ${r.runs.length} run(s) in the period; ${r.findings.length} finding(s), ${serious} of them P1/P2. Written by kdrill ${VERSION}. Each run's signed evidence pack (\`kdrill evidence pack\`) holds its details.`,
    '',
    '## Scenarios',
    '',
    ...summary(r),
    '',
    `## Findings (${r.findings.length})`,
    '',
    ...(r.findings.length
      ? r.findings.map((f) => `- **${f.severity}** \`${f.code}\`: ${f.message}. Fix: ${f.fix}`)
      : ['- none: every scenario ran as often as it must']),
    '',
    '## Controls evidenced in the period',
    '',
    ...controls(r),
    '',
    `## Open action items (${r.open.length})`,
    '',
    ...actions(r),
    '',
    '## Runs',
    '',
    ...(r.runs.length ? runs(r) : ['No run in the period.']),
    '',
  ].join('\n');
}
