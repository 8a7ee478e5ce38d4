import type { KubeApi } from '../core.js';

/** The ConfigMap in Velero's namespace that tells the lab Velero which failures to simulate (SPEC.md). */
export const FAULTS_CONFIGMAP = 'kdrill-lab-faults';

/**
 * Failures a real Velero meets, on demand, so that drills can be shown to fail on them:
 * - `backupItemErrors`: group-resources (comma-separated) whose every item fails to back up, as when
 *   a plugin or an API call fails per item; the Backup ends PartiallyFailed.
 * - `restoreResults: missing`: the results file of each Restore is not uploaded, as when the upload
 *   fails; a DownloadRequest for it then finds nothing.
 */
export interface LabFaults {
  backupItemErrors: Set<string>;
  restoreResultsMissing: boolean;
}

export async function readFaults(kube: KubeApi, namespace: string): Promise<LabFaults> {
  const cm = await kube
    .get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: FAULTS_CONFIGMAP })
    .catch(() => undefined);
  const data = (cm?.data ?? {}) as Record<string, string>;
  return {
    backupItemErrors: new Set(
      (data.backupItemErrors ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
    restoreResultsMissing: data.restoreResults === 'missing',
  };
}
