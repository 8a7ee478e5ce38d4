import type { DrillResult } from '../drill/types.js';
import { auditMarkdown, type AuditReport } from '../backupstore/audit.js';
import { formatDuration } from '../scenario/duration.js';

const dur = (a?: string, b?: string): string => (a && b ? formatDuration((Date.parse(b) - Date.parse(a)) / 1000) : '—');
const mark = (ok: boolean): string => (ok ? '✅ met' : '❌ breached');

/** The retrospective the guide asks for, prefilled: what went well, what to improve, action items. */
export function retrospective(r: DrillResult): string {
  const L: string[] = [];
  L.push(`# Drill retrospective: ${r.scenario}`, '');
  if (r.description) L.push(r.description, '');
  L.push(`**Verdict: ${r.verdict === 'pass' ? 'PASS' : 'FAIL'}** (exit ${r.exitCode}) · run \`${r.runId}\` · context \`${r.context}\`${r.recoveryContext !== r.context ? ` → recovered into \`${r.recoveryContext}\`` : ''} · ${r.startedAt} – ${r.endedAt}`, '');
  L.push('## The drill', '');
  L.push(`- **Goals:** ${r.drill.goals.join('; ')}`);
  L.push(`- **Leader:** ${r.drill.leader}`);
  L.push(`- **Observers:** ${r.drill.observers.length ? r.drill.observers.join(', ') : '—'}`);
  L.push(`- **Cause:** ${r.drill.cause}`);
  L.push(`- **How the team found out:** ${r.drill.discovery}`);
  if (r.drill.environment) L.push(`- **Environment:** ${r.drill.environment}`);
  if (r.backup) L.push(`- **Backup:** ${r.backup.name} (${r.backup.phase}, started ${r.backup.startTimestamp}${r.backup.expiration ? `, expires ${r.backup.expiration}` : ''})`);
  for (const d of r.disaster) L.push(`- **Disaster (${d.type}):** ${d.detail}`);
  L.push('', '## Objectives', '', '| objective | target | measured | result |', '|---|---|---|---|');
  const o = r.objectives;
  L.push(`| RTO (disaster → verified recovery) | ${formatDuration(o.rto.objectiveSeconds)} | ${o.rto.measuredSeconds === null ? 'not measured' : formatDuration(o.rto.measuredSeconds)} | ${mark(o.rto.met)} |`);
  L.push(`| RPO (disaster − backup start) | ${formatDuration(o.rpo.objectiveSeconds)} | ${o.rpo.measuredSeconds === null ? 'not measured' : formatDuration(o.rpo.measuredSeconds)} | ${mark(o.rpo.met)} |`);
  L.push(`| Retention | ${formatDuration(o.retention.objectiveSeconds)} | ${o.retention.detail} | ${mark(o.retention.met)} |`);
  L.push('', '## Timeline', '', '| phase | started | ended | duration | result |', '|---|---|---|---|---|');
  for (const t of r.timeline) L.push(`| ${t.phase} | ${t.startedAt} | ${t.endedAt ?? '—'} | ${dur(t.startedAt, t.endedAt)} | ${t.ok === undefined ? 'unfinished' : t.ok ? 'ok' : `failed${t.detail ? `: ${t.detail}` : ''}`} |`);
  if (r.restores.length) {
    L.push('', '## Restores', '', '| restore | resources | phase | errors | warnings |', '|---|---|---|---|---|');
    for (const x of r.restores) L.push(`| ${x.name} | ${x.includedResources.length ? `include ${x.includedResources.join(', ')}` : x.excludedResources.length ? `exclude ${x.excludedResources.join(', ')}` : 'all'} | ${x.phase} | ${x.errors} | ${x.warnings} |`);
    const failed = r.restores.flatMap((x) => x.failedItems.map((i) => ({ restore: x.name, ...i })));
    if (failed.length) {
      L.push('', 'Items that failed to restore:', '');
      for (const f of failed.slice(0, 30)) L.push(`- \`${f.resource}/${f.namespace ? `${f.namespace}/` : ''}${f.name}\` (${f.restore}): ${f.message}`);
    }
  }
  if (r.runbook) {
    L.push('', `## Runbook: ${r.runbook.file}`, '', '| step | started | duration | result |', '|---|---|---|---|');
    for (const s of r.runbook.steps) L.push(`| ${s.title} | ${s.startedAt} | ${dur(s.startedAt, s.endedAt)} | ${s.status}${s.reason ? `: ${s.reason}` : ''} |`);
  }
  L.push('', '## Verification', '');
  for (const v of r.verify) L.push(`- ${v.passed ? '✅' : '❌'} **${v.type}**: ${v.detail}`);
  if (!r.verify.length) L.push('- not reached');
  L.push('', '## What the drill found', '');
  if (r.findings.every((f) => f.severity === 'P3')) L.push('- Nothing to fix: backups were protected, the restore was complete, and the objectives were met.');
  for (const f of r.findings.filter((x) => x.severity !== 'P3')) L.push(`- **${f.severity}** ${f.code}: ${f.message}${f.key ? ` (\`${f.key}\`)` : ''}`);
  for (const n of r.notes) L.push(`- Note: ${n}`);
  const audit = r.protection as AuditReport | undefined;
  if (audit?.bucket) L.push('', auditMarkdown({ ...audit, findings: audit.findings.filter((f) => f.severity !== 'P3') }).replace('## Backup protection audit', '## Backup protection').trimEnd());
  L.push('', '## What went well?', '');
  const well: string[] = [];
  if (o.rto.met) well.push(`Recovery was verified in ${formatDuration(o.rto.measuredSeconds!)}, within the ${formatDuration(o.rto.objectiveSeconds)} RTO.`);
  if (o.rpo.met) well.push(`The backup used was ${formatDuration(o.rpo.measuredSeconds!)} old at the disaster, within the ${formatDuration(o.rpo.objectiveSeconds)} RPO.`);
  for (const x of r.restores) if (x.phase === 'Completed') well.push(`Restore ${x.name} completed without errors.`);
  for (const v of r.verify) if (v.passed) well.push(`${v.type}: ${v.detail}.`);
  L.push(...(well.length ? well.map((w) => `- ${w}`) : ['- (to be filled in by the team)']));
  L.push('', '## What to improve?', '');
  // P3 findings are information (Velero's caveats); they are in result.json, not on the to-do list
  // P3 stays off the list, except a runbook step that was skipped: the runbook may be out of date
  const serious = r.findings.filter((f) => f.severity !== 'P3' || f.code.startsWith('RUNBOOK_STEP'));
  const improve = serious.map((f) => `- ${f.message}`);
  L.push(...(improve.length ? improve : ['- (to be filled in by the team)']));
  L.push('', '## Action items', '');
  const actions = serious.map((f) => `- [ ] ${f.severity}: ${f.fix}${f.code === 'RESTORE_ORDER_NETWORKPOLICY' ? ' — see runbooks/namespace-loss.md' : ''}`);
  L.push(...(actions.length ? [...new Set(actions)] : ['- [ ] Schedule the next drill, and rotate who leads it.']));
  L.push('');
  return L.join('\n');
}
