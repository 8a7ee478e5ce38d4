import { k8sTime, nextRun } from '../../core.js';
import type { KubeApi, KubeObject } from '../../core.js';
import { scheduledBackupName } from '../cron.js';
import { V, type Reconciler, type VeleroServer } from './server.js';

/**
 * Schedules (pkg/controller/schedule_controller.go): a new one is validated (Enabled, or FailedValidation
 * for a bad cron expression); an Enabled one whose next run since its last backup has come creates it.
 */
export function schedules(s: VeleroServer): Reconciler {
  return {
    name: 'schedules',
    reconcile: async () => {
      for (const sch of s.inf.Schedule.list(s.ns)) {
        if (sch.spec?.paused) continue;
        const now = s.clock.now();
        if (sch.status?.phase !== 'Enabled') {
          const valid = nextRun(String(sch.spec?.schedule ?? ''), now) !== undefined;
          await s.kube.patchStatus(
            { ...V('Schedule'), namespace: s.ns, name: sch.metadata?.name ?? '' },
            valid
              ? { phase: 'Enabled' }
              : { phase: 'FailedValidation', validationErrors: [`invalid schedule: ${sch.spec?.schedule}`] },
          );
          continue;
        }
        const last = sch.status?.lastBackup
          ? new Date(sch.status.lastBackup as string)
          : new Date(sch.metadata?.creationTimestamp ?? now);
        const due = nextRun(String(sch.spec?.schedule), last);
        if (due && due.getTime() <= now.getTime()) await backupFromSchedule(s.kube, sch, now);
      }
      return false;
    },
  };
}

/** `velero backup create --from-schedule`: a Backup named and labelled as the schedule would. */
export async function backupFromSchedule(kube: KubeApi, schedule: KubeObject, at: Date): Promise<KubeObject> {
  const ns = schedule.metadata?.namespace ?? 'velero';
  const name = scheduledBackupName(schedule.metadata?.name ?? '', at);
  const created = await kube.create({
    ...V('Backup'),
    metadata: {
      name,
      namespace: ns,
      labels: {
        ...(schedule.spec?.template?.metadata?.labels ?? {}),
        'velero.io/schedule-name': schedule.metadata?.name ?? '',
      },
    },
    spec: { ...(schedule.spec?.template ?? {}) },
  });
  await kube.patchStatus(
    { ...V('Schedule'), namespace: ns, name: schedule.metadata?.name ?? '' },
    { phase: 'Enabled', lastBackup: k8sTime(at) },
  );
  return created;
}
