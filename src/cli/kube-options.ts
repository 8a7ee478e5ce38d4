import type { Argv } from 'yargs';

export interface KubeArgs {
  kubeconfig?: string;
  context?: string;
}

/** --kubeconfig and --context, the way kubectl reads them. */
export function kubeOptions<T>(y: Argv<T>): Argv<T & KubeArgs> {
  return y
    .option('kubeconfig', {
      type: 'string',
      describe: 'Path to the kubeconfig (default: $KUBECONFIG, then ~/.kube/config)',
    })
    .option('context', { type: 'string', describe: 'Kube context to use (default: the current context)' });
}
