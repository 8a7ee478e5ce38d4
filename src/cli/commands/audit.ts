import type { Argv } from 'yargs';
import type { AuditArgs } from '../../backupstore/audit-service.js';
import { kubeOptions } from '../kube-options.js';

/** `kdrill audit`: is the backup protected, fresh, kept no longer than allowed, and copied off-site? */
export function registerAudit(y: Argv, setExit: (code: number) => void): void {
  y.command(
    'audit',
    'Audit backup protection: Object Lock, retention vs TTL, freshness vs RPO, a lock canary, and the off-site copy',
    (c) =>
      kubeOptions(c)
        .option('bsl', {
          type: 'string',
          default: 'default',
          describe: 'BackupStorageLocation to read the bucket and credentials from',
        })
        .option('velero-namespace', { type: 'string', default: 'velero' })
        .option('backup', { type: 'string', describe: 'Audit this backup only' })
        .option('all', { type: 'boolean', default: true, describe: 'Audit every backup (the default)' })
        .option('s3-endpoint', {
          type: 'string',
          describe: 'Without a cluster: the S3 endpoint (with --bucket, --prefix)',
        })
        .option('bucket', { type: 'string' })
        .option('prefix', { type: 'string', describe: "The BSL's objectStorage.prefix" })
        .option('region', { type: 'string', default: 'us-east-1' })
        .option('s3-credentials-file', {
          type: 'string',
          describe: 'AWS credentials file (default: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the BSL Secret)',
        })
        .option('replica-endpoint', { type: 'string', describe: 'The off-site / off-cloud copy to compare with' })
        .option('replica-bucket', { type: 'string' })
        .option('replica-prefix', { type: 'string' })
        .option('replica-credentials-file', {
          type: 'string',
          describe: 'Its own credentials file (kept separate on purpose)',
        })
        .option('rpo', { type: 'string', describe: 'Flag the newest backup when older than this, e.g. 24h' })
        .option('retention', { type: 'string', describe: 'Flag backups kept longer than this, e.g. 7d' })
        .option('margin', {
          type: 'string',
          default: '1d',
          describe: "Retain-until must cover the backup's expiration plus this",
        })
        .option('min-mode', { choices: ['GOVERNANCE', 'COMPLIANCE'] as const, default: 'GOVERNANCE' as const })
        .option('canary', {
          type: 'boolean',
          default: true,
          describe: 'Write a locked canary and try to delete it (--no-canary to skip)',
        })
        .option('canary-key', {
          type: 'string',
          describe: 'Key of the canary (default kdrill-canary-<host>-<time>, a file outside Velero folders)',
        })
        .option('canary-retention', { type: 'string', default: '10m', describe: 'How long the canary stays locked' })
        .option('concurrency', { type: 'number', default: 32, describe: 'S3 requests in flight' })
        .option('output', { alias: 'o', choices: ['text', 'json', 'markdown'] as const, default: 'text' as const })
        .example('$0 audit --kubeconfig .kdrill/lab/kubeconfig', 'audit the lab')
        .example(
          '$0 audit --s3-endpoint http://127.0.0.1:7480 --bucket velero --s3-credentials-file rgw.ini --rpo 24h --retention 7d',
          'without a cluster',
        ),
    async (a) => {
      const args = a as unknown as Record<string, unknown> & {
        output: string;
        rpo?: string;
        retention?: string;
        margin: string;
        canaryRetention: string;
      };
      const { parseDuration } = await import('../../scenario/duration.js');
      const { usageError } = await import('../../errors.js');
      const dur = (v: string | undefined, flag: string): number | undefined => {
        if (v === undefined) return undefined;
        const d = parseDuration(v);
        if (d === undefined) throw usageError(`--${flag} ${v} is not a duration`, 'e.g. 90s, 15m, 24h, 7d');
        return d;
      };
      const { runAudit } = await import('../../backupstore/audit-service.js');
      const { auditMarkdown, auditTable } = await import('../../backupstore/audit.js');
      const concurrency = Number(args.concurrency);
      if (!(concurrency >= 1 && concurrency <= 256))
        throw usageError('--concurrency must be between 1 and 256', 'the default, 32, suits most stores');
      const { report, exitCode } = await runAudit({
        ...(args as unknown as AuditArgs),
        rpo: dur(args.rpo, 'rpo'),
        retention: dur(args.retention, 'retention'),
        margin: dur(args.margin, 'margin')!,
        canaryRetention: dur(args.canaryRetention, 'canary-retention')!,
        concurrency,
      });
      process.stdout.write(
        args.output === 'json'
          ? `${JSON.stringify(report, null, 2)}\n`
          : args.output === 'markdown'
            ? auditMarkdown(report)
            : auditTable(report),
      );
      setExit(exitCode);
    },
  );
}
