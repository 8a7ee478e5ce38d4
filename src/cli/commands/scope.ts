import type { Argv } from 'yargs';
import { kubeOptions, type KubeArgs } from '../kube-options.js';

/** `kdrill scope`: which namespaces and which volumes the Schedules back up, and how fresh. */
export function registerScope(y: Argv, setExit: (code: number) => void): void {
  y.command(
    'scope',
    "Backup coverage: for every namespace, the Schedules that back it up, the RPO they imply, the newest backup, and how each PVC's data is covered (exit 3 on a P2)",
    (c) =>
      kubeOptions(c)
        .option('velero-namespace', { type: 'string', default: 'velero' })
        .option('output', { alias: 'o', choices: ['text', 'json', 'markdown'] as const, default: 'text' as const })
        .example(
          '$0 scope --kubeconfig .kdrill/lab/kubeconfig',
          'the lab: Thanos is in the nightly Schedule, its volume data is not',
        ),
    async (a) => {
      const args = a as unknown as KubeArgs & { veleroNamespace: string; output: string };
      const { connectKube } = await import('../../kube/client-node.js');
      const { scope } = await import('../../scope/service.js');
      const { scopeMarkdown, scopeText } = await import('../../scope/render.js');
      const r = await scope(connectKube({ kubeconfig: args.kubeconfig, context: args.context }), {
        veleroNamespace: args.veleroNamespace,
        now: new Date(),
      });
      process.stdout.write(
        args.output === 'json'
          ? `${JSON.stringify(r, null, 2)}\n`
          : args.output === 'markdown'
            ? scopeMarkdown(r)
            : scopeText(r),
      );
      if (r.findings.some((f) => f.severity !== 'P3')) setExit(3);
    },
  );
}
