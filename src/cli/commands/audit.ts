import type { Argv, Options } from 'yargs';
import { durationArg, numberBetween } from '../coerce.js';
import { defineCommand, toModule, type CliContext } from '../command.js';
import { KUBE_OPTIONS, outputOption } from '../options.js';
import { isData, printData } from '../output.js';

const AUDIT_OPTIONS = {
  ...KUBE_OPTIONS,
  bsl: {
    type: 'string',
    default: 'default',
    describe: 'BackupStorageLocation to read the bucket and credentials from',
  },
  'velero-namespace': { type: 'string', default: 'velero' },
  backup: { type: 'string', describe: 'Audit this backup only' },
  all: { type: 'boolean', default: true, describe: 'Audit every backup (the default)' },
  's3-endpoint': { type: 'string', describe: 'Without a cluster: the S3 endpoint (with --bucket, --prefix)' },
  bucket: { type: 'string' },
  prefix: { type: 'string', describe: "The BSL's objectStorage.prefix" },
  region: { type: 'string', default: 'us-east-1' },
  's3-credentials-file': {
    type: 'string',
    describe: 'AWS credentials file (default: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the BSL Secret)',
  },
  'replica-endpoint': { type: 'string', describe: 'The off-site / off-cloud copy to compare with' },
  'replica-bucket': { type: 'string' },
  'replica-prefix': { type: 'string' },
  'replica-credentials-file': { type: 'string', describe: 'Its own credentials file (kept separate on purpose)' },
  rpo: {
    type: 'string',
    describe: 'Flag the newest backup when older than this, e.g. 24h',
    coerce: durationArg('rpo'),
  },
  retention: {
    type: 'string',
    describe: 'Flag backups kept longer than this, e.g. 7d',
    coerce: durationArg('retention'),
  },
  margin: {
    type: 'string',
    default: '1d',
    describe: "Retain-until must cover the backup's expiration plus this",
    coerce: durationArg('margin'),
  },
  'min-mode': { choices: ['GOVERNANCE', 'COMPLIANCE'], default: 'GOVERNANCE' },
  canary: {
    type: 'boolean',
    default: true,
    describe: 'Write a locked canary and try to delete it (--no-canary to skip)',
  },
  'canary-key': {
    type: 'string',
    describe: 'Key of the canary (default kdrill-canary-<host>-<time>, a file outside Velero folders)',
  },
  'canary-retention': {
    type: 'string',
    default: '10m',
    describe: 'How long the canary stays locked',
    coerce: durationArg('canary-retention'),
  },
  concurrency: {
    type: 'number',
    default: 32,
    describe: 'S3 requests in flight',
    coerce: numberBetween('concurrency', 1, 256, 'the default, 32, suits most stores'),
  },
  output: outputOption(['text', 'json', 'yaml', 'markdown']),
} as const satisfies Record<string, Options>;

/** `kdrill audit`: is the backup protected, fresh, kept no longer than allowed, and copied off-site? */
const audit = defineCommand({
  command: 'audit',
  describe:
    'Audit backup protection: Object Lock, retention vs TTL, freshness vs RPO, a lock canary, and the off-site copy',
  builder: (c: Argv) =>
    c
      .options(AUDIT_OPTIONS)
      .example('$0 audit --kubeconfig .kdrill/lab/kubeconfig', 'audit the lab')
      .example(
        '$0 audit --s3-endpoint http://127.0.0.1:7480 --bucket velero --s3-credentials-file rgw.ini --rpo 24h --retention 7d',
        'without a cluster',
      ),
  run: async (a) => {
    const { runAudit } = await import('../../backupstore/audit-service.js');
    const { auditMarkdown, auditTable } = await import('../../backupstore/audit.js');
    const { report, exitCode } = await runAudit(a);
    if (isData(a.output)) await printData(a.output, report);
    else process.stdout.write(a.output === 'markdown' ? auditMarkdown(report) : auditTable(report));
    return exitCode;
  },
});

export function registerAudit(y: Argv, ctx: CliContext): void {
  y.command(toModule(audit, ctx));
}
