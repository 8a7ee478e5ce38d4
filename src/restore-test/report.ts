import type { DrillResult } from '../drill/types.js';
import { formatDuration } from '../scenario/duration.js';
import { escapeXml as esc } from '../xml-escape.js';
import type { SandboxEvidence } from './evidence.js';

const SHOWN = 8;
const more = (n: number): string[] => (n > SHOWN ? [`- and ${n - SHOWN} more (all of them are in result.json)`] : []);

/** How production compared, in one sentence. */
export function sourceSentence(b: SandboxEvidence): string {
  const c = b.sourceComparison;
  if (!c) return 'Production was not compared before and after (the test stopped before its first look).';
  if (c.untouched)
    return `Production was untouched: all ${c.objects} object(s) of ${b.namespaces.map((n) => n.source).join(', ')} kept their uid and resourceVersion, and nothing appeared (${c.before} → ${c.after}).`;
  return `Production changed during the test: ${c.changed.length} new resourceVersion(s) (${c.changed.filter((x) => x.content === 'changed').length} with new content), ${c.replaced.length} replaced, ${c.missing.length} gone, ${c.added.length} new, ${c.restored.length} restored by this test's Restores.`;
}

/** The retrospective's section on the sandbox: where, how it was fenced off, what changed as it landed, its teardown, production. */
export function sandboxMarkdown(r: DrillResult): string[] {
  const b = r.sandbox;
  if (!b) return [];
  const L = ['', '## Sandbox', ''];
  L.push(
    `Restored into ${b.namespaces.map((n) => `\`${n.sandbox}\` (from \`${n.source}\`)`).join(', ')} in context \`${b.context}\`, expiring ${b.expiresAt}${b.backupPick?.how === 'random' ? `; the backup was picked at random among ${b.backupPick.candidates} within ${formatDuration(b.backupPick.windowSeconds ?? 0)}` : ''}.`,
    '',
  );
  const iso = b.isolation;
  if (!iso) L.push('- Not fenced off: the test stopped before the sandbox was made.');
  else if (!iso.applied) L.push(`- ❌ **Not fenced off**: ${iso.error ?? ''}. Nothing was restored.`);
  else {
    L.push(
      `- ✅ Fenced off before anything landed: ${iso.policies.map((p) => `\`${p}\``).join(', ')} (allowed: ${iso.allow.length ? iso.allow.join(', ') : 'nothing'}).`,
    );
    if (iso.held)
      L.push(
        iso.held.ok
          ? '- ✅ What landed was fenced off as planned.'
          : `- ❌ **Not fenced off as planned**: ${iso.held.problems.join('; ')}`,
      );
    for (const c of iso.changes.slice(0, SHOWN)) L.push(`- ${c.kind} \`${c.namespace}/${c.name}\`: ${c.change}`);
    L.push(...more(iso.changes.length));
  }
  const t = b.teardown;
  if (t)
    L.push(
      t.failures.length
        ? `- ❌ **Not torn down**: ${t.failures.join('; ')}`
        : t.kept
          ? `- Kept for inspection (--keep) until ${b.expiresAt}.`
          : `- ✅ Torn down: ${t.deleted.join(', ') || 'nothing was made'}.`,
    );
  L.push(`- ${b.sourceUntouched ? '✅' : b.sourceUntouched === false ? '⚠️' : '–'} ${sourceSentence(b)}`);
  return L;
}

/** On a pass: what a restore test proved, from the evidence. */
export function restoreTestProven(r: DrillResult): string[] {
  const o = r.objectives;
  const b = r.sandbox;
  const out = [
    `Backup \`${r.backup?.name ?? '?'}\` restored into ${b?.namespaces.map((n) => `\`${n.sandbox}\``).join(', ') ?? 'the sandbox'} and was verified there ${formatDuration(o.rto.measuredSeconds ?? 0)} after the first Restore: the RTO estimate, within ${formatDuration(o.rto.objectiveSeconds)}.`,
    `Every check passed in the sandbox: ${r.verify.map((v) => v.type).join(', ')}.`,
  ];
  if (b?.isolation?.applied)
    out.push(
      `The sandbox was fenced off before anything landed, and what landed was fenced off as planned (${b.isolation.changes.length} object(s) changed for it).`,
    );
  if (b) out.push(sourceSentence(b));
  return out;
}

/** report.html's section on the sandbox. */
export function sandboxHtml(r: DrillResult): string {
  const b = r.sandbox;
  if (!b) return '';
  const rows = [
    ['Namespaces', b.namespaces.map((n) => `${n.source} → ${n.sandbox}`).join(', '), true],
    [
      'Fenced off',
      b.isolation
        ? b.isolation.applied
          ? b.isolation.policies.join(', ')
          : `no: ${b.isolation.error ?? ''}`
        : 'not reached',
      !!b.isolation?.applied,
    ],
    [
      'Landed fenced off',
      b.isolation?.held
        ? b.isolation.held.ok
          ? `yes (${b.isolation.changes.length} object(s) changed)`
          : b.isolation.held.problems.join('; ')
        : 'not reached',
      !!b.isolation?.held?.ok,
    ],
    [
      'Torn down',
      b.teardown
        ? b.teardown.failures.length
          ? b.teardown.failures.join('; ')
          : b.teardown.kept
            ? `kept until ${b.expiresAt}`
            : b.teardown.deleted.join(', ') || 'nothing made'
        : 'no',
      !b.teardown?.failures.length,
    ],
    ['Production untouched', sourceSentence(b), b.sourceUntouched !== false],
  ] as const;
  return `<h2>Sandbox</h2>\n<table>${rows.map(([k, v, ok]) => `<tr><td>${k}</td><td class="${ok ? 'met' : 'breached'}">${esc(String(v))}</td></tr>`).join('\n')}</table>`;
}

/** junit testcases of a restore test: the fence, the teardown, production. */
export function sandboxCases(r: DrillResult): { name: string; ok: boolean; detail: string }[] {
  const b = r.sandbox;
  if (!b) return [];
  return [
    {
      name: 'sandbox: fenced off',
      ok: !!b.isolation?.applied && b.isolation.held?.ok !== false,
      detail: b.isolation?.error ?? b.isolation?.held?.problems.join('; ') ?? '',
    },
    {
      name: 'sandbox: torn down',
      ok: !!b.teardown && !b.teardown.failures.length,
      detail: b.teardown?.failures.join('; ') ?? 'not torn down',
    },
    { name: 'production untouched', ok: b.sourceUntouched === true, detail: sourceSentence(b) },
  ];
}
