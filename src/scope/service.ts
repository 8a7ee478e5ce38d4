import { DrillError, ExitCode } from '../errors.js';
import type { KubeApi } from '../kube/kube-api.js';
import { V } from '../velero/velero.js';
import { readScopeInput } from './cluster.js';
import { scopeReport, type ScopeReport } from './coverage.js';

/** `kdrill scope`: the cluster's backup coverage, read-only. Exit 4 when there is no Velero to ask. */
export async function scope(kube: KubeApi, o: { veleroNamespace: string; now: Date }): Promise<ScopeReport> {
  if (!(await kube.serves(V('Schedule'))))
    throw new DrillError(
      'VELERO_MISSING',
      `Velero is not installed in context "${kube.context}" (no velero.io CRDs)`,
      ExitCode.Precondition,
      {
        hint: 'install Velero, or point --context at the cluster it runs in',
      },
    );
  return scopeReport(await readScopeInput(kube, o.veleroNamespace, o.now));
}
