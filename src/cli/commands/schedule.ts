import type { Argv } from 'yargs';
import { VERSION } from '../version.js';
import type { ScheduleCommandArgs } from '../../schedule/command.js';
import { kubeOptions } from '../kube-options.js';

/** `kdrill schedule`: the manifests of a drill that runs itself, as a Kubernetes CronJob. */
export function registerSchedule(y: Argv): void {
  y.command(
    'schedule <scenario>',
    'Write the manifests of a scheduled drill (Namespace, ServiceAccount, least-privilege RBAC, scenario ConfigMap, CronJob); --apply installs them',
    (c) =>
      kubeOptions(c)
        .positional('scenario', { type: 'string', demandOption: true })
        .option('cron', {
          type: 'string',
          demandOption: true,
          describe: 'When to drill, as a CronJob schedule, e.g. "0 2 * * *" (02:00 every night)',
        })
        .option('namespace', {
          type: 'string',
          default: 'kdrill',
          describe: 'Namespace of the CronJob and its ServiceAccount',
        })
        .option('image', {
          type: 'string',
          default: `kdrill:${VERSION}`,
          describe: 'The kdrill image (build it from the Dockerfile)',
        })
        .option('history', {
          type: 'string',
          describe: 'Where each run is remembered: s3://bucket/prefix (a pod forgets anything local)',
        })
        .option('history-endpoint', { type: 'string', describe: 'S3 endpoint of the history bucket' })
        .option('s3-secret', {
          type: 'string',
          default: 'kdrill-s3',
          describe: 'Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the history bucket',
        })
        .option('bsl-secret', {
          type: 'string',
          default: 'cloud-credentials',
          describe: "The Secret in Velero's namespace with the BSL's S3 credentials (read to audit the backups)",
        })
        .option('pushgateway', { type: 'string', describe: 'Push the metrics of each run to this Pushgateway URL' })
        .option('cronjob-api', {
          choices: ['batch/v1', 'batch/v1beta1'] as const,
          describe:
            'CronJob API version (default batch/v1; with --apply, what the cluster serves: batch/v1beta1 before 1.21)',
        })
        .option('out-dir', { type: 'string', describe: 'Write one file per object here instead of printing them' })
        .option('apply', {
          type: 'boolean',
          default: false,
          describe: 'Create or update the objects in the cluster (the context must be allow-listed)',
        })
        .option('allow-context', {
          type: 'string',
          array: true,
          describe: 'With --apply: allow this context (also KDRILL_ALLOW_CONTEXTS, .kdrill.yaml)',
        })
        .example(
          '$0 schedule scenarios/namespace-loss.yaml --cron "0 2 * * *" > drill.yaml',
          'review, then kubectl apply -f drill.yaml',
        )
        .example(
          '$0 schedule drill.yaml --cron "0 2 * * *" --history s3://drill-history/kdrill --apply --context staging --allow-context staging',
          'install it',
        ),
    async (a) => {
      const args = a as unknown as ScheduleCommandArgs;
      const { scheduleCommand } = await import('../../schedule/command.js');
      await scheduleCommand(args);
    },
  );
}
