import { randomInt } from 'node:crypto';
import { DrillError, ExitCode } from '../errors.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import type { Scenario } from '../scenario/schema.js';
import { formatDuration } from '../scenario/duration.js';
import { V } from '../velero/velero.js';
import type { BackupPick } from './state.js';

const DEFAULT_WINDOW_SECONDS = 30 * 86400;
const start = (b: KubeObject): number => Date.parse(String(b.status?.startTimestamp ?? '')) || 0;

export interface PickedBackup {
  /** The backup to test; undefined: the newest, as the drill's preflight picks it. */
  name?: string;
  pick: BackupPick;
  /** The newest usable backup of the same schedule, when it is not the one tested. */
  rpoBackup?: { name: string; startTimestamp: string };
}

async function usable(kube: KubeApi, s: Scenario, schedule: string | undefined): Promise<KubeObject[]> {
  const b = s.spec.backup;
  const ok = new Set(['Completed', ...(b.allowPartiallyFailed ? ['PartiallyFailed'] : [])]);
  return (await kube.list(V('Backup'), { namespace: b.veleroNamespace })).items
    .filter((x) => !schedule || x.metadata?.labels?.['velero.io/schedule-name'] === schedule)
    .filter((x) => ok.has(String(x.status?.phase)))
    .sort((x, y) => start(y) - start(x));
}

const rpoOf = (newest: KubeObject | undefined, tested: string): PickedBackup['rpoBackup'] =>
  newest && newest.metadata?.name !== tested
    ? { name: newest.metadata?.name ?? '', startTimestamp: String(newest.status?.startTimestamp ?? '') }
    : undefined;

/**
 * Which backup a restore test restores: the newest of the schedule, a named one, or, with `pick:
 * random`, one of the schedule's usable backups that started within the window, chosen uniformly (as
 * AWS Backup restore testing picks a recovery point). The RPO is judged on the newest one either way:
 * it is what a disaster now would fall back to.
 */
export async function pickBackup(kube: KubeApi, s: Scenario, now: Date): Promise<PickedBackup> {
  const b = s.spec.backup;
  if (b.name) {
    const named = await kube.get({ ...V('Backup'), namespace: b.veleroNamespace, name: b.name });
    const schedule = named?.metadata?.labels?.['velero.io/schedule-name'];
    return {
      name: b.name,
      pick: { how: 'named' },
      rpoBackup: schedule ? rpoOf((await usable(kube, s, schedule))[0], b.name) : undefined,
    };
  }
  if (b.pick !== 'random') return { pick: { how: 'newest' } };
  const window = b.window ?? DEFAULT_WINDOW_SECONDS;
  const all = await usable(kube, s, b.schedule);
  const candidates = all.filter((x) => start(x) >= now.getTime() - window * 1000);
  if (!candidates.length)
    throw new DrillError(
      'BACKUP_MISSING',
      `no usable backup of schedule "${b.schedule}" started within the last ${formatDuration(window)} (${all.length} older or none)`,
      ExitCode.Precondition,
      {
        hint: `check the schedule runs (kubectl -n ${b.veleroNamespace} get schedules.velero.io), or widen backup.window`,
      },
    );
  const chosen = candidates[randomInt(candidates.length)]!;
  const name = chosen.metadata?.name ?? '';
  return {
    name,
    pick: { how: 'random', candidates: candidates.length, windowSeconds: window },
    rpoBackup: rpoOf(all[0], name),
  };
}
