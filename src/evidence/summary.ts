import type { DrillResult } from '../drill/types.js';
import { formatDuration } from '../scenario/duration.js';
import type { ControlEvidence } from './controls.js';
import type { PackFile } from './collect.js';
import { sha256 } from './manifest.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const STATUS: Record<ControlEvidence['status'], string> = {
  evidenced: '✅ evidenced',
  partial: '◐ partly',
  'not-evidenced': '— not evidenced',
};

/** The control table: each control, its reference, and per point what evidences it or what it would need. */
export function controlsMarkdown(controls: ControlEvidence[]): string[] {
  const L = ['| control | reference | status | by what |', '|---|---|---|---|'];
  for (const c of controls) {
    const points = c.points.map(
      (p) =>
        `${p.evidenced ? '✅' : '—'} ${p.text}: ${p.evidenced ? p.by.join('; ') : `needs ${p.missing.join('; ')}`}`,
    );
    L.push(`| ${c.id} | ${cell(c.ref)} | ${STATUS[c.status]} | ${cell(points.join(' <br> '))} |`);
  }
  const overTime = controls.filter((c) => c.overTime);
  if (overTime.length)
    L.push(
      '',
      'What one run cannot show, `kdrill evidence report --history …` shows over a period:',
      '',
      ...overTime.map((c) => `- ${c.id}: ${c.overTime}`),
    );
  return L;
}

function versionsLine(r: DrillResult): string {
  const v = r.versions;
  if (!v) return 'Versions: not recorded by the kdrill that ran this drill.';
  const clusters = v.clusters.map(
    (c) =>
      `\`${c.context}\`: Kubernetes ${c.kubernetes ?? '?'}, Velero ${c.velero ?? '?'}${c.error ? ` (${c.error})` : ''}`,
  );
  return `Versions: kdrill ${v.kdrill}; ${clusters.join('; ')}.`;
}

/** summary.md of a pack: the run, the controls it evidences, and what each file is. */
export function packSummary(r: DrillResult, controls: ControlEvidence[], files: PackFile[], packName: string): string {
  const o = r.objectives;
  const measured = (x: number | null): string => (x === null ? 'not measured' : formatDuration(x));
  return [
    `# Evidence pack: ${r.scenario}, run ${r.runId}`,
    '',
    `**Verdict: ${r.verdict === 'pass' ? 'PASS' : 'FAIL'}** (exit ${r.exitCode}) · mode \`${r.mode}\` · context \`${r.context}\`${r.recoveryContext !== r.context ? ` → recovered into \`${r.recoveryContext}\`` : ''} · ${r.startedAt} – ${r.endedAt}`,
    '',
    `RTO ${measured(o.rto.measuredSeconds)} against ${formatDuration(o.rto.objectiveSeconds)} (${o.rto.met ? 'met' : 'breached'}); RPO ${measured(o.rpo.measuredSeconds)} against ${formatDuration(o.rpo.objectiveSeconds)} (${o.rpo.met ? 'met' : 'breached'}); ${r.findings.length} finding(s), ${r.actionItems.length} action item(s).`,
    '',
    versionsLine(r),
    '',
    '## Controls this run evidences',
    '',
    'A point counts only for what the run really did (result.json, the scenario as run); `controls.json` holds the same as data.',
    '',
    ...controlsMarkdown(controls),
    '',
    '## Files',
    '',
    '| file | what | SHA-256 |',
    '|---|---|---|',
    ...files.map((f) => `| ${f.path} | ${cell(f.what)} | \`${sha256(f.data)}\` |`),
    '',
    'manifest.json lists the SHA-256 of every file (this one included); signature.json, when present, is an Ed25519 signature over manifest.json. Check it all with:',
    '',
    '```sh',
    `kdrill evidence verify ${packName} --pub <signer>.pub`,
    '```',
    '',
  ].join('\n');
}
