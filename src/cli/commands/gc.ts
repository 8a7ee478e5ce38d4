import type { Argv } from 'yargs';
import { kubeOptions, type KubeArgs } from '../kube-options.js';

/** `kdrill gc`: remove the restore-test sandboxes a crashed (or --keep) run left, once they expired. */
export function registerGc(y: Argv): void {
  y.command(
    'gc',
    'Remove expired restore-test sandboxes (namespaces labelled kdrill.dev/sandbox, past their kdrill.dev/expires) and their resource-modifier ConfigMaps',
    (c) =>
      kubeOptions(c)
        .option('dry-run', { type: 'boolean', default: false, describe: 'Say what would go, remove nothing' })
        .option('velero-namespace', { type: 'string', default: 'velero' })
        .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' as const })
        .example('$0 gc --context prod --dry-run', 'what a crashed restore test left, and when it expires'),
    async (a) => {
      const args = a as unknown as KubeArgs & { dryRun: boolean; veleroNamespace: string; output: string };
      const { connectKube } = await import('../../kube/client-node.js');
      const { collectSandboxes, renderGc } = await import('../../restore-test/gc.js');
      const r = await collectSandboxes(connectKube({ kubeconfig: args.kubeconfig, context: args.context }), {
        now: new Date(),
        dryRun: args.dryRun,
        veleroNamespace: args.veleroNamespace,
      });
      process.stdout.write(args.output === 'json' ? `${JSON.stringify(r, null, 2)}\n` : renderGc(r));
    },
  );
}
