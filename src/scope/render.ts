import { formatDuration } from '../scenario/duration.js';
import { rpoText, type ScopeReport } from './coverage.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const age = (s?: number): string => (s === undefined ? 'none' : `${formatDuration(s)} ago`);

function rows(r: ScopeReport): string[][] {
  return r.namespaces.map((n) => [
    n.namespace,
    n.schedules.length ? n.schedules.map((s) => `${s.name}${s.partial ? ` (${s.partial})` : ''}`).join(', ') : 'NONE',
    rpoText(n.rpoSeconds),
    n.newestBackup ? `${n.newestBackup.name}, ${age(n.newestBackup.ageSeconds)}` : 'none',
    pvcCell(n.pvcs.map((c) => c.coverage.how)),
  ]);
}

/** `3: fs-backup (default) 2, none 1`: how many claims, and how their data is covered. */
function pvcCell(how: string[]): string {
  if (!how.length) return '—';
  const n = new Map<string, number>();
  for (const h of how) n.set(h, (n.get(h) ?? 0) + 1);
  return `${how.length}: ${[...n].map(([h, c]) => `${h} ${c}`).join(', ')}`;
}

const HEAD = ['NAMESPACE', 'SCHEDULES', 'RPO', 'NEWEST BACKUP', 'PVC DATA'];

export function scopeText(r: ScopeReport): string {
  const table = [HEAD, ...rows(r)];
  const widths = HEAD.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) =>
    row
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  const sched = r.schedules.map(
    (s) =>
      `  ${s.name}: "${s.cron}"${s.paused ? ' (PAUSED)' : ''}, RPO ${rpoText(s.rpoSeconds)}, newest ${s.newest ? `${s.newest.name} ${age(s.newest.ageSeconds)}` : 'none'}${s.filters.length ? `; ${s.filters.join('; ')}` : ''}`,
  );
  const f = r.findings.map((x) => `  ${x.severity} ${x.code}: ${x.message}\n     fix: ${x.fix}`);
  return `Backup scope in context "${r.context}" (${r.at})\n\n${lines.join('\n')}\n\nSchedules:\n${sched.join('\n') || '  none'}\n\nFindings (${r.findings.length}):\n${f.join('\n') || '  none'}\n`;
}

export function scopeMarkdown(r: ScopeReport): string {
  const L = [
    `## Backup scope: ${r.context}`,
    '',
    `At ${r.at}.`,
    '',
    `| ${HEAD.map((h) => h.toLowerCase()).join(' | ')} |`,
    `|${HEAD.map(() => '---').join('|')}|`,
  ];
  for (const row of rows(r)) L.push(`| ${row.map(cell).join(' | ')} |`);
  L.push('', '### Schedules', '');
  for (const s of r.schedules)
    L.push(
      `- **${s.name}** \`${s.cron}\`${s.paused ? ' (paused)' : ''}: RPO ${rpoText(s.rpoSeconds)}, newest ${s.newest ? `\`${s.newest.name}\` ${age(s.newest.ageSeconds)}` : 'none'}${s.filters.length ? `; ${s.filters.join('; ')}` : ''}`,
    );
  if (!r.schedules.length) L.push('- none');
  L.push('', `### Findings (${r.findings.length})`, '');
  for (const f of r.findings)
    L.push(`- **${f.severity}** \`${f.code}\`: ${f.message}${f.key ? ` (\`${f.key}\`)` : ''}. Fix: ${f.fix}`);
  if (!r.findings.length) L.push('- none');
  return `${L.join('\n')}\n`;
}
