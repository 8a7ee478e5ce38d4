import type { DrillResult } from '../drill/types.js';
import { escapeXml as esc } from '../xml-escape.js';

/** One testcase per objective and per verify step, so CI shows what failed. */
export function junit(r: DrillResult): string {
  const cases: { name: string; ok: boolean; detail: string; seconds?: number }[] = [
    { name: 'objective: RTO', ok: r.objectives.rto.met, detail: r.objectives.rto.detail ?? '', seconds: r.objectives.rto.measuredSeconds ?? 0 },
    { name: 'objective: RPO', ok: r.objectives.rpo.met, detail: r.objectives.rpo.detail ?? '' },
    { name: 'objective: retention', ok: r.objectives.retention.met, detail: r.objectives.retention.detail },
    ...r.verify.map((v, i) => ({ name: `verify ${i + 1}: ${v.type}`, ok: v.passed, detail: v.detail })),
  ];
  const failures = cases.filter((c) => !c.ok).length;
  const total = (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000;
  const body = cases
    .map((c) => `    <testcase classname="kdrill.${esc(r.scenario)}" name="${esc(c.name)}" time="${(c.seconds ?? 0).toFixed(3)}">${c.ok ? '' : `\n      <failure message="${esc(c.detail.slice(0, 300))}">${esc(c.detail)}</failure>\n    `}</testcase>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="kdrill" tests="${cases.length}" failures="${failures}" time="${total.toFixed(3)}">\n  <testsuite name="${esc(r.scenario)}" tests="${cases.length}" failures="${failures}" errors="0" time="${total.toFixed(3)}" timestamp="${esc(r.startedAt)}">\n    <properties>\n      <property name="runId" value="${esc(r.runId)}"/>\n      <property name="verdict" value="${r.verdict}"/>\n    </properties>\n${body}\n  </testsuite>\n</testsuites>\n`;
}
