import type { RunOptions } from '../drill/service.js';
import { selfArgv } from './self-argv.js';

type TargetArgs = Pick<RunOptions, 'kubeconfig' | 'context' | 'lab' | 'keepLab' | 'out'> & { allowContext?: string[] };

/** What `run` and `guide` both tell runScenario: the scenario, the cluster, what may be touched, where reports go. */
export function scenarioTarget(
  file: string,
  a: TargetArgs,
): Pick<RunOptions, 'file' | 'kubeconfig' | 'context' | 'allowContexts' | 'lab' | 'keepLab' | 'out' | 'self'> {
  return {
    file,
    kubeconfig: a.kubeconfig,
    context: a.context,
    allowContexts: a.allowContext ?? [],
    lab: a.lab,
    keepLab: a.keepLab,
    out: a.out,
    self: selfArgv(),
  };
}
