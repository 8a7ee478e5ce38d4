import type { Argv } from 'yargs';
import { defineCommand, toModule, type CliContext } from '../command.js';
import { KUBE_OPTIONS, outputOption } from '../options.js';
import { isData, printData } from '../output.js';

/** `kdrill lint`: the guide's traps that turn a drain into downtime, or a restore into a failure. */
const lintCommand = defineCommand({
  command: 'lint',
  describe:
    'Maintenance and restore traps: single replicas, no topology spread, PDBs that block drains, long grace periods, workloads without a NetworkPolicy, ServiceAccount token Secrets, data in emptyDir or hostPath (exit 3 on a P2)',
  builder: (c: Argv) =>
    c
      .options({
        ...KUBE_OPTIONS,
        namespace: {
          alias: 'n',
          type: 'string',
          array: true,
          describe: "Lint these namespaces (default: all but kube-* and Velero's)",
        },
        hardened: {
          type: 'boolean',
          default: false,
          describe: 'The cluster refuses workloads no NetworkPolicy selects: that finding becomes P2',
        },
        'velero-namespace': { type: 'string', default: 'velero' },
        output: outputOption(['text', 'json', 'yaml', 'markdown']),
      })
      .example('$0 lint --kubeconfig .kdrill/lab/kubeconfig -n thanos', 'the lab app'),
  run: async (a) => {
    const { connectKube } = await import('../../kube/client-node.js');
    const { lint } = await import('../../lint/service.js');
    const { lintMarkdown, lintText } = await import('../../lint/render.js');
    const r = await lint(connectKube({ kubeconfig: a.kubeconfig, context: a.context }), {
      namespaces: a.namespace ?? [],
      hardened: a.hardened,
      veleroNamespace: a.veleroNamespace,
    });
    if (isData(a.output)) await printData(a.output, r);
    else process.stdout.write(a.output === 'markdown' ? lintMarkdown(r) : lintText(r));
    return r.findings.some((f) => f.severity !== 'P3') ? 3 : undefined;
  },
});

export function registerLint(y: Argv, ctx: CliContext): void {
  y.command(toModule(lintCommand, ctx));
}
