import type { LintReport } from './service.js';

export function lintText(r: LintReport): string {
  const head = `kdrill lint in context "${r.context}": ${r.namespaces.join(', ') || 'no namespace'}`;
  const body = r.findings.map((f) => `  ${f.severity} ${f.code}: ${f.message}\n     fix: ${f.fix}`).join('\n');
  const skipped = r.notChecked.length ? `\nnot checked (no read access): ${r.notChecked.join(', ')}\n` : '';
  return `${head}\n\nFindings (${r.findings.length}):\n${body || '  none'}\n${skipped}`;
}

export function lintMarkdown(r: LintReport): string {
  const L = [
    `## Maintenance and restore traps: ${r.context}`,
    '',
    `Namespaces: ${r.namespaces.join(', ') || 'none'}.`,
    '',
  ];
  if (!r.findings.length) L.push('- none');
  for (const f of r.findings)
    L.push(`- **${f.severity}** \`${f.code}\` \`${f.key ?? ''}\`: ${f.message}. Fix: ${f.fix}`);
  if (r.notChecked.length) L.push('', `Not checked (no read access): ${r.notChecked.join(', ')}.`);
  return `${L.join('\n')}\n`;
}
