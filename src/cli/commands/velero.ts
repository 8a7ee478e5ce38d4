import type { Argv, Options } from 'yargs';
import { usageError } from '../../errors.js';
import type { KubeApi } from '../../kube/kube-api.js';
import { durationArg, listArg } from '../coerce.js';
import { defineCommand, toModule, type ArgsOf, type CliContext } from '../command.js';
import { KUBE_OPTIONS, namespaceMoved } from '../options.js';

const list = { type: 'string', coerce: listArg } as const;

const RESTORE_OPTIONS = {
  ...KUBE_OPTIONS,
  'from-backup': { type: 'string' },
  'from-schedule': { type: 'string', describe: 'the newest Completed backup of this schedule' },
  'include-namespaces': { ...list, describe: 'comma-separated, as velero takes them' },
  'include-resources': list,
  'exclude-resources': list,
  'velero-namespace': { type: 'string', default: 'velero', describe: "Velero's namespace" },
  ...namespaceMoved('--velero-namespace', "Velero's own namespace"),
  wait: { type: 'boolean', default: false },
  timeout: { type: 'string', default: '30m', coerce: durationArg('timeout', 'e.g. 30m') },
} as const satisfies Record<string, Options>;

const builder = (c: Argv) =>
  c
    .positional('name', { type: 'string', demandOption: true })
    .options(RESTORE_OPTIONS)
    .example(
      '$0 velero restore create thanos-netpol --from-schedule nightly --include-namespaces thanos --include-resources networkpolicies.networking.k8s.io --wait',
      '',
    );

const restoreCreate = defineCommand({
  command: 'restore create <name>',
  describe: 'Create a Velero Restore and (with --wait) wait by watch until it ends; exit 0 Completed, 3 otherwise',
  builder,
  run: async (a) => {
    if (!!a.fromBackup === !!a.fromSchedule)
      throw usageError('give one of --from-backup or --from-schedule', 'e.g. --from-schedule nightly');
    const { connectKube } = await import('../../kube/client-node.js');
    const { V } = await import('../../velero/velero.js');
    const kube = connectKube({ kubeconfig: a.kubeconfig, context: a.context });
    await kube.create({
      ...V('Restore'),
      metadata: { name: a.name, namespace: a.veleroNamespace },
      spec: restoreSpec(a),
    });
    process.stdout.write(`Restore request "${a.name}" submitted successfully.\n`);
    return a.wait ? waitForRestore(kube, a) : undefined;
  },
});

function restoreSpec(a: ArgsOf<typeof builder>): Record<string, unknown> {
  const given = (k: string, v: string[] | undefined) => (v?.length ? { [k]: v } : {});
  return {
    ...(a.fromBackup ? { backupName: a.fromBackup } : { scheduleName: a.fromSchedule }),
    ...given('includedNamespaces', a.includeNamespaces),
    ...given('includedResources', a.includeResources),
    ...given('excludedResources', a.excludeResources),
  };
}

/** As `velero restore create --wait` says it: the phase, errors and warnings; exit 3 unless Completed. */
async function waitForRestore(kube: KubeApi, a: ArgsOf<typeof builder>): Promise<number | undefined> {
  const { RESTORE_TERMINAL } = await import('../../velero/velero.js');
  const { waitForVelero } = await import('../../velero/wait.js');
  const { systemClock } = await import('../../time/clock.js');
  const done = await waitForVelero(kube, {
    kind: 'Restore',
    namespace: a.veleroNamespace,
    name: a.name,
    terminal: RESTORE_TERMINAL,
    timeoutMs: a.timeout * 1000,
    clock: systemClock,
  });
  const st = done.object.status ?? {};
  process.stdout.write(
    `Restore completed with status: ${st.phase}.${st.errors ? ` Errors: ${st.errors}.` : ''}${st.warnings ? ` Warnings: ${st.warnings}.` : ''}\n`,
  );
  return st.phase === 'Completed' ? undefined : 3;
}

/**
 * `kdrill velero restore create`: the part of the velero CLI a runbook needs, done through the Restore
 * custom resource, for clusters (the lab, a locked-down jump host) where the velero binary is not at hand.
 */
export function registerVelero(y: Argv, ctx: CliContext): void {
  y.command(
    'velero',
    'The velero CLI subset runbooks use, through Velero custom resources (no velero binary needed)',
    (v) => v.command(toModule(restoreCreate, ctx)).demandCommand(1, 'Name a velero command: restore create.'),
  );
}
