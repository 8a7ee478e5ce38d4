import type { DrillResult, TimelineEntry } from '../drill/types.js';
import { auditMarkdown, type AuditReport } from '../backupstore/audit.js';
import { formatDuration } from '../scenario/duration.js';
import { restoreTestProven, sandboxMarkdown } from '../restore-test/report.js';
import { actionMeta, carriedOverSection } from '../actions/render.js';
import { detectionObjectiveRows, detectionProven, downtimeSection, howWeFoundOut } from './detection-md.js';

const dur = (a?: string, b?: string): string => (a && b ? formatDuration((Date.parse(b) - Date.parse(a)) / 1000) : '—');
const mark = (ok: boolean): string => (ok ? '✅ met' : '❌ breached');
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const SHOWN = 5;

/** How a phase ended, in the words the table uses: ok, failed, interrupted, or unfinished. */
export function phaseResult(t: TimelineEntry): string {
  if (t.interrupted) return `interrupted${t.detail ? `: ${t.detail}` : ''}`;
  if (t.ok === undefined) return 'unfinished';
  return t.ok ? 'ok' : `failed${t.detail ? `: ${t.detail}` : ''}`;
}

function timeline(r: DrillResult): string[] {
  const L = ['', '## Timeline', '', '| phase | started | ended | duration | result |', '|---|---|---|---|---|'];
  const rows: { at: string; line: string }[] = r.timeline.map((t) => ({
    at: t.startedAt,
    line: `| ${t.phase} | ${t.startedAt} | ${t.endedAt ?? '—'} | ${dur(t.startedAt, t.endedAt)} | ${cell(phaseResult(t))} |`,
  }));
  for (const i of r.interruptions)
    rows.push({
      at: i.killedAt,
      line: `| ⏸ kdrill not running${i.phase ? ` (in ${i.phase})` : ''} | ${i.killedAt} | ${i.resumedAt} | ${formatDuration(i.downSeconds)} | ${i.how === 'signal' ? 'stopped by a signal' : 'killed'}, then resumed |`,
    });
  L.push(...rows.sort((a, b) => a.at.localeCompare(b.at)).map((x) => x.line));
  return L;
}

function restores(r: DrillResult): string[] {
  if (!r.restores.length) return [];
  const L = [
    '',
    '## Restores',
    '',
    '| restore | context | resources | phase | errors | warnings | results |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const x of r.restores) {
    const res = x.includedResources.length
      ? `include ${x.includedResources.join(', ')}`
      : x.excludedResources.length
        ? `exclude ${x.excludedResources.join(', ')}`
        : 'all';
    L.push(
      `| ${x.name} | ${x.context} | ${res} | ${x.phase} | ${x.errors} | ${x.warnings} | ${x.results === 'unreadable' ? `**unreadable**: ${cell(x.resultsError ?? '')}` : (x.results ?? 'bucket')} |`,
    );
  }
  const failed = r.restores.flatMap((x) => x.failedItems.map((i) => ({ restore: x.name, ...i })));
  if (failed.length) {
    L.push('', `Items that failed to restore (${failed.length}):`, '');
    for (const f of failed.slice(0, SHOWN))
      L.push(
        `- \`${f.resource}/${f.namespace ? `${f.namespace}/` : ''}${f.name}\` (${f.restore}): ${(f.reasons ?? [f.message]).join(' / ')}`,
      );
    if (failed.length > SHOWN) L.push(`- and ${failed.length - SHOWN} more (all of them are in result.json)`);
  }
  const warnings = r.restores.flatMap((x) => (x.warningMessages ?? []).map((w) => `${x.name}: ${w}`));
  if (warnings.length) {
    L.push('', 'Restore warnings:', '', ...warnings.slice(0, SHOWN).map((w) => `- ${w}`));
    const total = r.restores.reduce((n, x) => n + x.warnings, 0);
    if (total > SHOWN) L.push(`- and ${total - SHOWN} more`);
  }
  return L;
}

function scope(r: DrillResult): string[] {
  const b = r.backupScope;
  if (!b) return [];
  const L = [
    '',
    '## Backup scope',
    '',
    `Backup \`${b.backup}\` holds ${b.items} object(s) of ${b.namespaces.join(', ')} (read from its ${b.source}).`,
  ];
  if (b.gap.length) {
    L.push(
      '',
      `${b.gap.length} object(s) that were live before the disaster are **not in the backup**, and could not come back:`,
      '',
    );
    L.push(...b.gap.slice(0, SHOWN * 2).map((g) => `- \`${g}\``));
    if (b.gap.length > SHOWN * 2) L.push(`- and ${b.gap.length - SHOWN * 2} more`);
  } else
    L.push(
      '',
      `Everything live in the target namespaces ${r.mode === 'restore-test' ? 'when the test began' : 'before the disaster'} was in it.`,
    );
  return L;
}

/** On a pass: what was proven, once, from the evidence. */
function proven(r: DrillResult): string[] {
  const o = r.objectives;
  const out = [
    `The disaster (${r.disaster.map((d) => d.type).join(', ')}) really happened, and everything was back and verified ${formatDuration(o.rto.measuredSeconds ?? 0)} after it began, within the ${formatDuration(o.rto.objectiveSeconds)} RTO${o.rto.kdrillDowntimeSeconds ? ` (of which kdrill was not running for ${formatDuration(o.rto.kdrillDowntimeSeconds)})` : ''}.`,
  ];
  if (r.backup)
    out.push(
      `Backup \`${r.backup.name}\` was ${formatDuration(o.rpo.measuredSeconds ?? 0)} old at the disaster, within the ${formatDuration(o.rpo.objectiveSeconds)} RPO${r.backupScope ? `, and held every one of the ${r.backupScope.items} objects of ${r.backupScope.namespaces.join(', ')}` : ''}.`,
    );
  if (r.restores.length)
    out.push(
      `${r.restores.length} Restore(s) completed without errors: ${r.restores.map((x) => (x.includedResources.length ? `${x.includedResources.join(', ')} first` : 'then the rest')).join(', ')}.`,
    );
  out.push(`Every check passed: ${r.verify.map((v) => v.type).join(', ')}.`);
  out.push(...detectionProven(r));
  const audit = r.protection as AuditReport | undefined;
  if (audit?.canary?.deleteRefused)
    out.push('The backups are under Object Lock, and the store refused to delete a locked canary.');
  return out;
}

/** The title, the verdict line, and the warnings a reader must see first. */
function header(r: DrillResult): string[] {
  const L = [`# ${r.mode === 'restore-test' ? 'Restore test' : 'Drill'} retrospective: ${r.scenario}`, ''];
  if (r.description) L.push(r.description, '');
  L.push(
    `**Verdict: ${r.verdict === 'pass' ? 'PASS' : 'FAIL'}** (exit ${r.exitCode}) · mode \`${r.mode}\` · run \`${r.runId}\` · context \`${r.context}\`${r.recoveryContext !== r.context ? ` → recovered into \`${r.recoveryContext}\`` : ''} · ${r.startedAt} – ${r.endedAt}`,
    '',
  );
  if (r.interruptions.length)
    L.push(
      `> This run was interrupted ${r.interruptions.length} time(s) and resumed; kdrill was not running for ${formatDuration(r.interruptions.reduce((n, i) => n + i.downSeconds, 0))} in all (see the timeline).`,
      '',
    );
  if (r.stillMissing?.length)
    L.push(
      '> **The cluster may still be degraded.** Still missing:',
      ...r.stillMissing.map((m) => `> - ${m}`),
      '> ',
      '> Continue with `kdrill resume <this report directory>`.',
      '',
    );
  return L;
}

/** What the drill was: goals, people, the story of the disaster, the backup it relied on. */
function theDrill(r: DrillResult): string[] {
  const L = [r.mode === 'restore-test' ? '## The restore test' : '## The drill', ''];
  L.push(`- **Goals:** ${r.drill.goals.join('; ')}`);
  L.push(`- **Leader:** ${r.drill.leader}`);
  L.push(`- **Observers:** ${r.drill.observers.length ? r.drill.observers.join(', ') : '—'}`);
  L.push(`- **Cause:** ${r.drill.cause}`);
  L.push(`- **How the team found out:** ${r.drill.discovery}`);
  if (r.drill.environment) L.push(`- **Environment:** ${r.drill.environment}`);
  if (r.backup)
    L.push(
      `- **Backup:** ${r.backup.name} (${r.backup.phase}, started ${r.backup.startTimestamp}${r.backup.expiration ? `, expires ${r.backup.expiration}` : ''})`,
    );
  for (const d of r.disaster) L.push(`- **Disaster (${d.type}):** ${d.detail}`);
  return L;
}

function objectives(r: DrillResult): string[] {
  const o = r.objectives;
  const rt = r.mode === 'restore-test';
  return [
    '',
    '## Objectives',
    '',
    '| objective | target | measured | result |',
    '|---|---|---|---|',
    `| ${rt ? 'RTO estimate (first Restore → verified in the sandbox)' : 'RTO (disaster → verified recovery)'} | ${formatDuration(o.rto.objectiveSeconds)} | ${o.rto.measuredSeconds === null ? 'not measured' : `${formatDuration(o.rto.measuredSeconds)}${o.rto.kdrillDowntimeSeconds ? ` (kdrill down ${formatDuration(o.rto.kdrillDowntimeSeconds)} of it)` : ''}`} | ${mark(o.rto.met)} |`,
    `| ${rt ? 'RPO (test − newest backup start)' : 'RPO (disaster − backup start)'} | ${formatDuration(o.rpo.objectiveSeconds)} | ${o.rpo.measuredSeconds === null ? 'not measured' : formatDuration(o.rpo.measuredSeconds)} | ${mark(o.rpo.met)} |`,
    `| Retention | ${formatDuration(o.retention.objectiveSeconds)} | ${cell(o.retention.detail)} | ${mark(o.retention.met)} |`,
    ...detectionObjectiveRows(r),
  ];
}

/** A guided recovery's steps, each with how long it took and how it ended. */
function runbook(r: DrillResult): string[] {
  if (!r.runbook) return [];
  const L = ['', `## Runbook: ${r.runbook.file}`, '', '| step | started | duration | result |', '|---|---|---|---|'];
  for (const s of r.runbook.steps)
    L.push(
      `| ${s.title} | ${s.startedAt} | ${dur(s.startedAt, s.endedAt)} | ${s.status}${s.reason ? `: ${cell(s.reason)}` : ''} |`,
    );
  return L;
}

function verification(r: DrillResult): string[] {
  const L = ['', '## Verification', ''];
  for (const v of r.verify) L.push(`- ${v.passed ? '✅' : '❌'} **${v.type}**: ${v.detail}`);
  if (!r.verify.length) L.push('- not reached');
  return L;
}

/** The findings and notes, then the protection audit of the bucket when there was one. */
function findings(r: DrillResult): string[] {
  const L = ['', `## Findings (${r.findings.length})`, ''];
  if (!r.findings.length) L.push('- none');
  for (const f of r.findings)
    L.push(`- **${f.severity}** \`${f.code}\`: ${f.message}${f.key ? ` (\`${f.key}\`)` : ''}`);
  for (const n of r.notes) L.push(`- Note: ${n}`);
  const audit = r.protection as AuditReport | undefined;
  if (audit?.bucket)
    L.push('', auditMarkdown(audit).replace('## Backup protection audit', '## Backup protection').trimEnd());
  return L;
}

/** On a failure: whatever did hold, so the team keeps it. */
function heldUp(r: DrillResult): string[] {
  const o = r.objectives;
  const well: string[] = [];
  if (o.rto.met)
    well.push(
      `Recovery was verified in ${formatDuration(o.rto.measuredSeconds!)}, within the ${formatDuration(o.rto.objectiveSeconds)} RTO.`,
    );
  if (o.rpo.met)
    well.push(
      `The backup used was ${formatDuration(o.rpo.measuredSeconds!)} old at the disaster, within the ${formatDuration(o.rpo.objectiveSeconds)} RPO.`,
    );
  for (const x of r.restores)
    if (x.phase === 'Completed' && x.results !== 'unreadable') well.push(`Restore ${x.name} completed without errors.`);
  for (const v of r.verify) if (v.passed) well.push(`${v.type} passed.`);
  return well;
}

function wentWell(r: DrillResult): string[] {
  const L = ['', '## What went well?', ''];
  if (r.verdict === 'pass')
    return [...L, ...(r.mode === 'restore-test' ? restoreTestProven(r) : proven(r)).map((w) => `- ${w}`)];
  const well = heldUp(r);
  return [...L, ...(well.length ? well.map((w) => `- ${w}`) : ['- (to be filled in by the team)'])];
}

function toImprove(r: DrillResult): string[] {
  const serious = r.findings.filter((f) => f.severity !== 'P3' || f.code.startsWith('RUNBOOK_STEP'));
  return [
    '',
    '## What to improve?',
    '',
    ...(serious.length ? serious.map((f) => `- ${f.message}`) : ['- (to be filled in by the team)']),
  ];
}

function actionItems(r: DrillResult): string[] {
  const actions = r.actionItems.map(
    (a) =>
      `- [ ] **${a.severity}** ${a.object ? `\`${a.object}\`: ` : ''}${a.action}${a.code === 'RESTORE_ORDER_NETWORKPOLICY' ? ' (see runbooks/namespace-loss.md)' : ''}${actionMeta(a, r.runId)}`,
  );
  return [
    '',
    '## Action items',
    '',
    ...(actions.length ? actions : ['- [ ] Schedule the next drill, and rotate who leads it.']),
    ...carriedOverSection(r),
  ];
}

/** The retrospective the guide asks for, prefilled from the evidence: what went well, what to improve, action items. */
export function retrospective(r: DrillResult): string {
  return [
    ...header(r),
    ...theDrill(r),
    ...objectives(r),
    ...timeline(r),
    ...howWeFoundOut(r),
    ...downtimeSection(r),
    ...scope(r),
    ...sandboxMarkdown(r),
    ...restores(r),
    ...runbook(r),
    ...verification(r),
    ...findings(r),
    ...wentWell(r),
    ...toImprove(r),
    ...actionItems(r),
    '',
  ].join('\n');
}
