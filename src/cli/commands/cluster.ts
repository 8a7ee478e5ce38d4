import type { Argv } from 'yargs';
import { defineCommand, toModule, type CliContext } from '../command.js';
import { KUBE_OPTIONS, outputOption } from '../options.js';
import { isData, printData } from '../output.js';

/** `kdrill cluster`: what kdrill sees of a cluster, read-only. Also the quickest connectivity check. */
const cluster = defineCommand({
  command: 'cluster',
  describe: 'Show what kdrill sees of a cluster (version, nodes by zone, Velero), touching nothing',
  builder: (c: Argv) =>
    c
      .options({ ...KUBE_OPTIONS, output: outputOption(['text', 'json', 'yaml']) })
      .example('$0 cluster --kubeconfig .kdrill/lab/kubeconfig', 'check the lab answers'),
  run: async (a) => {
    const { connectKube } = await import('../../kube/client-node.js');
    const { describeCluster, renderCluster } = await import('../../cluster/describe.js');
    const s = await describeCluster(connectKube({ kubeconfig: a.kubeconfig, context: a.context }));
    if (isData(a.output)) await printData(a.output, s);
    else process.stdout.write(renderCluster(s));
  },
});

export function registerCluster(y: Argv, ctx: CliContext): void {
  y.command(toModule(cluster, ctx));
}
