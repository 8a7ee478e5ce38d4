import type { DrillResult } from '../drill/types.js';
import { escapeXml as esc } from '../xml-escape.js';
import { phaseResult } from './retrospective.js';
import { sandboxCases } from '../restore-test/report.js';
import { detectionCases } from './detection-cases.js';

interface Case {
  name: string;
  ok: boolean;
  detail: string;
  seconds?: number;
}

const seconds = (a: string, b?: string): number => (b ? Math.max(0, (Date.parse(b) - Date.parse(a)) / 1000) : 0);

/** One testcase per phase, per objective, per verify step and per restore, so CI shows what failed. */
export function junit(r: DrillResult): string {
  const cases: Case[] = [
    ...r.timeline.map((t) => ({
      name: `phase: ${t.phase}`,
      ok: t.ok === true,
      detail: phaseResult(t),
      seconds: seconds(t.startedAt, t.endedAt),
    })),
    {
      name: 'objective: RTO',
      ok: r.objectives.rto.met,
      detail: r.objectives.rto.detail ?? '',
      seconds: r.objectives.rto.measuredSeconds ?? 0,
    },
    { name: 'objective: RPO', ok: r.objectives.rpo.met, detail: r.objectives.rpo.detail ?? '' },
    { name: 'objective: retention', ok: r.objectives.retention.met, detail: r.objectives.retention.detail },
    ...r.restores.map((x) => ({
      name: `restore: ${x.name}`,
      ok: x.phase === 'Completed' && x.results !== 'unreadable',
      detail: `${x.phase}, ${x.errors} error(s), ${x.warnings} warning(s)${x.results === 'unreadable' ? '; results unreadable' : ''}`,
      seconds: x.startedAt ? seconds(x.startedAt, x.completedAt) : 0,
    })),
    ...r.verify.map((v, i) => ({ name: `verify ${i + 1}: ${v.type}`, ok: v.passed, detail: v.detail })),
    ...sandboxCases(r),
    ...detectionCases(r),
  ];
  const failures = cases.filter((c) => !c.ok).length;
  const total = seconds(r.startedAt, r.endedAt);
  const body = cases
    .map(
      (c) =>
        `    <testcase classname="kdrill.${esc(r.scenario)}" name="${esc(c.name)}" time="${(c.seconds ?? 0).toFixed(3)}">${c.ok ? '' : `\n      <failure message="${esc(c.detail.slice(0, 300))}">${esc(c.detail)}</failure>\n    `}</testcase>`,
    )
    .join('\n');
  const findings = r.findings.map((f) => `${f.severity} ${f.code}: ${f.message}`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="kdrill" tests="${cases.length}" failures="${failures}" time="${total.toFixed(3)}">
  <testsuite name="${esc(r.scenario)}" tests="${cases.length}" failures="${failures}" errors="0" time="${total.toFixed(3)}" timestamp="${esc(r.startedAt)}">
    <properties>
      <property name="runId" value="${esc(r.runId)}"/>
      <property name="verdict" value="${r.verdict}"/>
      <property name="mode" value="${esc(r.mode)}"/>
    </properties>
${body}
    <system-out>${esc(findings)}</system-out>
  </testsuite>
</testsuites>
`;
}
