import type { Argv } from 'yargs';
import { kubeOptions, type KubeArgs } from '../kube-options.js';

interface RestoreArgs extends KubeArgs {
  name: string;
  fromBackup?: string;
  fromSchedule?: string;
  includeNamespaces?: string;
  includeResources?: string;
  excludeResources?: string;
  namespace: string;
  wait: boolean;
  timeout: string;
}

const list = (s?: string): string[] | undefined =>
  s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : undefined;

/**
 * `kdrill velero restore create`: the part of the velero CLI a runbook needs, done through the Restore
 * custom resource, for clusters (the lab, a locked-down jump host) where the velero binary is not at hand.
 */
export function registerVelero(y: Argv, setExit: (code: number) => void): void {
  y.command(
    'velero',
    'The velero CLI subset runbooks use, through Velero custom resources (no velero binary needed)',
    (v) =>
      v
        .command(
          'restore create <name>',
          'Create a Velero Restore and (with --wait) wait by watch until it ends; exit 0 Completed, 3 otherwise',
          (c) =>
            kubeOptions(c)
              .positional('name', { type: 'string', demandOption: true })
              .option('from-backup', { type: 'string' })
              .option('from-schedule', { type: 'string', describe: 'the newest Completed backup of this schedule' })
              .option('include-namespaces', { type: 'string' })
              .option('include-resources', { type: 'string' })
              .option('exclude-resources', { type: 'string' })
              .option('namespace', { type: 'string', default: 'velero', describe: "Velero's namespace" })
              .option('wait', { type: 'boolean', default: false })
              .option('timeout', { type: 'string', default: '30m' })
              .example(
                '$0 velero restore create thanos-netpol --from-schedule nightly --include-namespaces thanos --include-resources networkpolicies.networking.k8s.io --wait',
                '',
              ),
          async (a) => {
            const args = a as unknown as RestoreArgs;
            const { usageError } = await import('../../errors.js');
            if (!!args.fromBackup === !!args.fromSchedule)
              throw usageError('give one of --from-backup or --from-schedule', 'e.g. --from-schedule nightly');
            const { parseDuration } = await import('../../scenario/duration.js');
            const timeout = parseDuration(args.timeout);
            if (timeout === undefined) throw usageError(`--timeout ${args.timeout} is not a duration`, 'e.g. 30m');
            const { connectKube } = await import('../../kube/client-node.js');
            const { RESTORE_TERMINAL, V, waitForPhase } = await import('../../velero/velero.js');
            const { systemClock } = await import('../../time/clock.js');
            const kube = connectKube({ kubeconfig: args.kubeconfig, context: args.context });
            await kube.create({
              ...V('Restore'),
              metadata: { name: args.name, namespace: args.namespace },
              spec: {
                ...(args.fromBackup ? { backupName: args.fromBackup } : { scheduleName: args.fromSchedule }),
                ...(list(args.includeNamespaces) ? { includedNamespaces: list(args.includeNamespaces) } : {}),
                ...(list(args.includeResources) ? { includedResources: list(args.includeResources) } : {}),
                ...(list(args.excludeResources) ? { excludedResources: list(args.excludeResources) } : {}),
              },
            });
            process.stdout.write(`Restore request "${args.name}" submitted successfully.\n`);
            if (!args.wait) return;
            const done = await waitForPhase(kube, 'Restore', args.namespace, args.name, RESTORE_TERMINAL, {
              timeoutMs: timeout * 1000,
              clock: systemClock,
            });
            const st = done.object.status ?? {};
            process.stdout.write(
              `Restore completed with status: ${st.phase}.${st.errors ? ` Errors: ${st.errors}.` : ''}${st.warnings ? ` Warnings: ${st.warnings}.` : ''}\n`,
            );
            if (st.phase !== 'Completed') setExit(3);
          },
        )
        .demandCommand(1, 'Name a velero command: restore create.'),
  );
}
