import type { Options } from 'yargs';
import { movedTo } from './coerce.js';

/** --kubeconfig and --context, the way kubectl reads them. */
export const KUBE_OPTIONS = {
  kubeconfig: { type: 'string', describe: 'Path to the kubeconfig (default: $KUBECONFIG, then ~/.kube/config)' },
  context: { type: 'string', describe: 'Kube context to use (default: the current context)' },
} as const satisfies Record<string, Options>;

/** -o text|json|yaml (and what else a command prints); json and yaml carry the same content. */
/** -o/--output: its default is the first choice, so a command without `text` never defaults to it. */
export const outputOption = <const C extends readonly [string, ...string[]]>(choices: C, describe = 'Output format') =>
  ({ alias: 'o', choices, default: choices[0], describe }) as const;

/**
 * -n/--namespace means the target namespace wherever kdrill has it. Where a command once used it for
 * something else, it says where that went instead of quietly meaning something new.
 */
export const namespaceMoved = (now: string, what: string) =>
  ({
    namespace: {
      alias: 'n',
      type: 'string',
      hidden: true,
      coerce: movedTo('--namespace', now, `-n/--namespace names the target namespace in kdrill; ${what} is ${now}`),
    },
  }) as const satisfies Record<string, Options>;
