import type { Argv, Options } from 'yargs';
import { defineCommand, toModule, type CliContext } from '../command.js';
import { KUBE_OPTIONS, namespaceMoved } from '../options.js';
import { VERSION } from '../version.js';

const SCHEDULE_OPTIONS = {
  ...KUBE_OPTIONS,
  cron: {
    type: 'string',
    demandOption: true,
    describe:
      'When to drill, as a CronJob schedule, e.g. "0 2 * * *" (02:00 every night); "CRON_TZ=Europe/Berlin 0 2 * * *" sets spec.timeZone',
  },
  'install-namespace': {
    type: 'string',
    default: 'kdrill',
    describe: 'Namespace of the CronJob, its ServiceAccount and the scenario ConfigMap',
  },
  ...namespaceMoved('--install-namespace', "the CronJob's own namespace"),
  image: { type: 'string', default: `kdrill:${VERSION}`, describe: 'The kdrill image (build it from the Dockerfile)' },
  history: {
    type: 'string',
    describe: 'Where each run is remembered: s3://bucket/prefix (a pod forgets anything local)',
  },
  'history-endpoint': { type: 'string', describe: 'S3 endpoint of the history bucket' },
  's3-secret': {
    type: 'string',
    default: 'kdrill-s3',
    describe: 'Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the history bucket',
  },
  'bsl-secret': {
    type: 'string',
    default: 'cloud-credentials',
    describe: "The Secret in Velero's namespace with the BSL's S3 credentials (read to audit the backups)",
  },
  pushgateway: { type: 'string', describe: 'Push the metrics of each run to this Pushgateway URL' },
  'cronjob-api': {
    choices: ['batch/v1', 'batch/v1beta1'],
    describe:
      'CronJob API version (default batch/v1; with --apply, what the cluster serves: batch/v1beta1 before 1.21)',
  },
  'out-dir': { type: 'string', describe: 'Write one file per object here instead of printing them' },
  apply: {
    type: 'boolean',
    default: false,
    describe: 'Create or update the objects in the cluster (the context must be allow-listed)',
  },
  'allow-context': {
    type: 'string',
    array: true,
    describe: 'With --apply: allow this context (also KDRILL_ALLOW_CONTEXTS, .kdrill.yaml)',
  },
} as const satisfies Record<string, Options>;

/** `kdrill schedule`: the manifests of a drill that runs itself, as a Kubernetes CronJob. */
const schedule = defineCommand({
  command: 'schedule <scenario>',
  describe:
    'Write the manifests of a scheduled drill (Namespace, ServiceAccount, least-privilege RBAC, scenario ConfigMap, CronJob); --apply installs them',
  builder: (c: Argv) =>
    c
      .positional('scenario', { type: 'string', demandOption: true })
      .options(SCHEDULE_OPTIONS)
      .example(
        '$0 schedule scenarios/namespace-loss.yaml --cron "0 2 * * *" > drill.yaml',
        'review, then kubectl apply -f drill.yaml',
      )
      .example(
        '$0 schedule drill.yaml --cron "0 2 * * *" --history s3://drill-history/kdrill --apply --context staging --allow-context staging',
        'install it',
      ),
  run: async (a) => {
    const { scheduleCommand } = await import('../../schedule/command.js');
    await scheduleCommand(a);
  },
});

export function registerSchedule(y: Argv, ctx: CliContext): void {
  y.command(toModule(schedule, ctx));
}
