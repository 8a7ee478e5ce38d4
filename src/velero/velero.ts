import { DrillError, ExitCode, isDrillError } from '../errors.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { Clock } from '../time/clock.js';
import { listVelero, getVelero, type Backup, type BackupPhase, type RestorePhase } from './objects.js';
import { waitForVelero } from './wait.js';

export { V } from './objects.js';

/** Finalizing and WaitingForPluginOperations* are never terminal (DESIGN §1). */
const TERMINAL = ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation'] as const;
export const RESTORE_TERMINAL: ReadonlySet<string> = new Set(TERMINAL satisfies readonly RestorePhase[]);
export const BACKUP_TERMINAL: ReadonlySet<string> = new Set(TERMINAL satisfies readonly BackupPhase[]);

export interface BackupChoice {
  backup: Backup;
  all: Backup[]; // every Completed backup of the schedule (or all), newest first
}

const newestFirst = (a: Backup, b: Backup): number =>
  (b.status?.startTimestamp ?? '').localeCompare(a.status?.startTimestamp ?? '');

/** Picks the backup: by name, or the newest Completed of the schedule by startTimestamp. */
export async function chooseBackup(
  kube: KubeApi,
  namespace: string,
  o: { name?: string; schedule?: string; allowPartiallyFailed: boolean },
): Promise<BackupChoice> {
  const everything = await listVelero(kube, 'Backup', { namespace });
  const items = o.schedule
    ? everything.filter((b) => b.metadata?.labels?.['velero.io/schedule-name'] === o.schedule)
    : everything;
  const okPhases = new Set(['Completed', ...(o.allowPartiallyFailed ? ['PartiallyFailed'] : [])]);
  const usable = items.filter((b) => okPhases.has(String(b.status?.phase))).sort(newestFirst);
  // every backup there, not only the schedule's: the operator needs to see what does exist
  const seen = everything.map((b) => `${b.metadata?.name} (${b.status?.phase ?? 'New'})`).join(', ') || 'none';
  if (o.name) {
    const b =
      items.find((x) => x.metadata?.name === o.name) ??
      (await getVelero(kube, { kind: 'Backup', namespace, name: o.name }));
    if (!b)
      throw new DrillError(
        'BACKUP_MISSING',
        `backup ${o.name} not found in ${namespace} (context "${kube.context}"); backups seen: ${seen}`,
        ExitCode.Precondition,
        { hint: 'pick one of those, or use `from: latest` with a schedule' },
      );
    if (!okPhases.has(String(b.status?.phase)))
      throw new DrillError(
        'BACKUP_NOT_COMPLETED',
        `backup ${o.name} is ${b.status?.phase ?? 'New'}, not Completed`,
        ExitCode.Precondition,
        { hint: 'restore from a Completed backup, or set allowPartiallyFailed' },
      );
    return { backup: b, all: usable };
  }
  if (!usable.length) {
    throw new DrillError(
      'BACKUP_MISSING',
      `no Completed backup of schedule "${o.schedule}" in ${namespace} (context "${kube.context}"); backups seen: ${seen}`,
      ExitCode.Precondition,
      {
        hint: `check the schedule (kubectl -n ${namespace} get schedules.velero.io), or take one with \`velero backup create --from-schedule ${o.schedule}\``,
      },
    );
  }
  return { backup: usable[0]!, all: usable };
}

const SYNCED = new Set(['Completed', 'PartiallyFailed']);

/** A recovery cluster sees a backup only after its Velero synced the bucket. */
export async function waitForBackupSync(
  kube: KubeApi,
  o: { namespace: string; name: string; timeoutMs: number; clock: Clock; signal?: AbortSignal },
): Promise<Backup> {
  try {
    return (await waitForVelero(kube, { kind: 'Backup', terminal: SYNCED, ...o })).object;
  } catch (e) {
    if (isDrillError(e) && e.code === 'VELERO_TIMEOUT')
      throw new DrillError(
        'BACKUP_NOT_SYNCED',
        `backup ${o.name} did not appear in context "${kube.context}" within ${Math.round(o.timeoutMs / 1000)}s`,
        ExitCode.Precondition,
        {
          hint: 'does the recovery cluster have a BackupStorageLocation on the same bucket and prefix? Velero syncs every minute',
        },
      );
    throw e;
  }
}
