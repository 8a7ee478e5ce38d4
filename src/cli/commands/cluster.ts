import type { Argv } from 'yargs';
import { kubeOptions, type KubeArgs } from '../kube-options.js';

/** `kdrill cluster`: what kdrill sees of a cluster, read-only. Also the quickest connectivity check. */
export function registerCluster(y: Argv): void {
  y.command(
    'cluster',
    'Show what kdrill sees of a cluster (version, nodes by zone, Velero), touching nothing',
    (c) =>
      kubeOptions(c)
        .option('output', {
          alias: 'o',
          choices: ['text', 'json'] as const,
          default: 'text',
          describe: 'Output format',
        })
        .example('$0 cluster --kubeconfig .kdrill/lab/kubeconfig', 'check the lab answers'),
    async (a) => {
      const args = a as unknown as KubeArgs & { output: string };
      const { connectKube } = await import('../../kube/client-node.js');
      const { describeCluster, renderCluster } = await import('../../cluster/describe.js');
      const s = await describeCluster(connectKube({ kubeconfig: args.kubeconfig, context: args.context }));
      process.stdout.write(args.output === 'json' ? `${JSON.stringify(s, null, 2)}\n` : renderCluster(s));
    },
  );
}
