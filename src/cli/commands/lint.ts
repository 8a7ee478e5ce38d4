import type { Argv } from 'yargs';
import { kubeOptions, type KubeArgs } from '../kube-options.js';

/** `kdrill lint`: the guide's traps that turn a drain into downtime, or a restore into a failure. */
export function registerLint(y: Argv, setExit: (code: number) => void): void {
  y.command(
    'lint',
    'Maintenance and restore traps: single replicas, no topology spread, PDBs that block drains, long grace periods, workloads without a NetworkPolicy, ServiceAccount token Secrets, data in emptyDir or hostPath (exit 3 on a P2)',
    (c) =>
      kubeOptions(c)
        .option('namespace', {
          alias: 'n',
          type: 'string',
          array: true,
          describe: "Lint these namespaces (default: all but kube-* and Velero's)",
        })
        .option('hardened', {
          type: 'boolean',
          default: false,
          describe: 'The cluster refuses workloads no NetworkPolicy selects: that finding becomes P2',
        })
        .option('velero-namespace', { type: 'string', default: 'velero' })
        .option('output', { alias: 'o', choices: ['text', 'json', 'markdown'] as const, default: 'text' as const })
        .example('$0 lint --kubeconfig .kdrill/lab/kubeconfig -n thanos', 'the lab app'),
    async (a) => {
      const args = a as unknown as KubeArgs & {
        namespace?: string[];
        hardened: boolean;
        veleroNamespace: string;
        output: string;
      };
      const { connectKube } = await import('../../kube/client-node.js');
      const { lint } = await import('../../lint/service.js');
      const { lintMarkdown, lintText } = await import('../../lint/render.js');
      const r = await lint(connectKube({ kubeconfig: args.kubeconfig, context: args.context }), {
        namespaces: args.namespace ?? [],
        hardened: args.hardened,
        veleroNamespace: args.veleroNamespace,
      });
      process.stdout.write(
        args.output === 'json'
          ? `${JSON.stringify(r, null, 2)}\n`
          : args.output === 'markdown'
            ? lintMarkdown(r)
            : lintText(r),
      );
      if (r.findings.some((f) => f.severity !== 'P3')) setExit(3);
    },
  );
}
