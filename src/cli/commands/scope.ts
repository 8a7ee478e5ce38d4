import type { Argv } from 'yargs';
import { defineCommand, toModule, type CliContext } from '../command.js';
import { KUBE_OPTIONS, outputOption } from '../options.js';
import { isData, printData } from '../output.js';

/** `kdrill scope`: which namespaces and which volumes the Schedules back up, and how fresh. */
const scope = defineCommand({
  command: 'scope',
  describe:
    "Backup coverage: for every namespace, the Schedules that back it up, the RPO they imply, the newest backup, and how each PVC's data is covered (exit 3 on a P2)",
  builder: (c: Argv) =>
    c
      .options({
        ...KUBE_OPTIONS,
        'velero-namespace': { type: 'string', default: 'velero' },
        output: outputOption(['text', 'json', 'yaml', 'markdown']),
      })
      .example(
        '$0 scope --kubeconfig .kdrill/lab/kubeconfig',
        'the lab: Thanos is in the nightly Schedule, its volume data is not',
      ),
  run: async (a) => {
    const { connectKube } = await import('../../kube/client-node.js');
    const { scope: coverage } = await import('../../scope/service.js');
    const { scopeMarkdown, scopeText } = await import('../../scope/render.js');
    const r = await coverage(connectKube({ kubeconfig: a.kubeconfig, context: a.context }), {
      veleroNamespace: a.veleroNamespace,
      now: new Date(),
    });
    if (isData(a.output)) await printData(a.output, r);
    else process.stdout.write(a.output === 'markdown' ? scopeMarkdown(r) : scopeText(r));
    return r.findings.some((f) => f.severity !== 'P3') ? 3 : undefined;
  },
});

export function registerScope(y: Argv, ctx: CliContext): void {
  y.command(toModule(scope, ctx));
}
