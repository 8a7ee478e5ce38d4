import type { AuditReport } from './types.js';

/** The Markdown section the drill report reuses. */
export function auditMarkdown(r: AuditReport): string {
  const L = [
    '## Backup protection audit',
    '',
    `Bucket \`${r.bucket.name}\` at ${r.bucket.endpoint}: Object Lock ${r.bucket.objectLock ? 'enabled' : '**disabled**'}${r.bucket.defaultRetention ? ` (default ${r.bucket.defaultRetention.mode} ${r.bucket.defaultRetention.days ?? 0}d${r.bucket.defaultRetention.years ? ` ${r.bucket.defaultRetention.years}y` : ''})` : ''}, versioning ${r.bucket.versioning}.`,
    '',
  ];
  if (r.backups.length) {
    L.push(
      '| backup | objects | locked | unlocked | legal holds | noncurrent | delete markers |',
      '|---|---|---|---|---|---|---|',
    );
    for (const b of r.backups)
      L.push(
        `| ${b.name} | ${b.objects} | ${b.locked} | ${b.unlocked} | ${b.legalHolds} | ${b.noncurrent} | ${b.deleteMarkers} |`,
      );
    L.push('');
  }
  if (r.canary)
    L.push(
      `Canary \`${r.canary.key}\`: delete ${r.canary.deleteRefused ? 'refused (the lock is enforced)' : '**succeeded (the lock is not enforced)**'}.`,
      '',
    );
  if (r.replica)
    L.push(
      `Replica \`${r.replica.bucket}\`: ${r.replica.missing} missing, ${r.replica.mismatched} different; Object Lock ${r.replica.objectLock ? 'enabled' : 'disabled'}.`,
      '',
    );
  if (r.findings.length === 0) return `${[...L, 'No findings.'].join('\n')}\n`;
  L.push('| severity | finding | object | fix |', '|---|---|---|---|');
  for (const f of r.findings)
    L.push(`| ${f.severity} | ${f.message.replace(/\|/g, '\\|')} | ${f.key ? `\`${f.key}\`` : ''} | ${f.fix} |`);
  return `${L.join('\n')}\n`;
}

export function auditTable(r: AuditReport): string {
  const lines = [
    `bucket ${r.bucket.name} (${r.bucket.endpoint}${r.bucket.prefix ? `, prefix ${r.bucket.prefix}` : ''}): Object Lock ${r.bucket.objectLock ? 'on' : 'OFF'}, versioning ${r.bucket.versioning}${r.bucket.defaultRetention ? `, default ${r.bucket.defaultRetention.mode} ${r.bucket.defaultRetention.days ?? `${r.bucket.defaultRetention.years}y`}d` : ''}`,
  ];
  for (const b of r.backups)
    lines.push(
      `  ${b.name.padEnd(28)} ${String(b.objects).padStart(3)} objects, ${b.locked} locked, ${b.unlocked} unlocked, ${b.deleteMarkers} delete markers`,
    );
  if (r.canary) lines.push(`  canary ${r.canary.key}: ${r.canary.deleteRefused ? 'delete refused' : 'DELETED'}`);
  lines.push('', 'SEV  FINDING                          OBJECT / FIX');
  for (const f of r.findings)
    lines.push(`${f.severity}   ${f.code.padEnd(32)} ${f.key ?? ''}\n       ${f.message}\n       fix: ${f.fix}`);
  const n = (s: string): number => r.findings.filter((f) => f.severity === s).length;
  lines.push(
    '',
    `${n('P1')} P1, ${n('P2')} P2, ${n('P3')} P3 · ${r.stats.versions} versions in ${r.stats.seconds.toFixed(2)}s`,
  );
  return `${lines.join('\n')}\n`;
}
