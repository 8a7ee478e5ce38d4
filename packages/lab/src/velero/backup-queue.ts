import type { KubeApi, KubeObject } from '../core.js';

const BACKUP = { apiVersion: 'velero.io/v1', kind: 'Backup' } as const;
const phaseOf = (b: KubeObject): string => (b.status?.phase as string | undefined) ?? '';
const position = (b: KubeObject): number => Number(b.status?.queuePosition ?? 0);

/**
 * v1.18's backup queue (pkg/controller/backup_queue_controller.go), one step: a New backup is Queued at
 * the end of the queue; while no backup is ReadyToStart or InProgress (the lab runs one at a time, as
 * Velero with one concurrent backup), the first queued one becomes ReadyToStart and the rest move up.
 * Namespace conflicts between queued backups cannot arise with one at a time and are not looked for.
 * Returns the backups it changed, as the server answered.
 */
export async function advanceBackupQueue(
  kube: KubeApi,
  namespace: string,
  backups: KubeObject[],
): Promise<KubeObject[]> {
  const changed: KubeObject[] = [];
  const patch = async (b: KubeObject, status: Record<string, unknown>): Promise<void> => {
    changed.push(await kube.patchStatus({ ...BACKUP, namespace, name: b.metadata?.name ?? '' }, status));
  };
  const queued = backups.filter((b) => phaseOf(b) === 'Queued').sort((a, b) => position(a) - position(b));
  let last = queued.reduce((m, b) => Math.max(m, position(b)), 0);
  const fresh = backups
    .filter((b) => phaseOf(b) === '' || phaseOf(b) === 'New')
    .sort((a, b) => String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)));
  for (const b of fresh) {
    await patch(b, { phase: 'Queued', queuePosition: ++last });
    queued.push({ ...b, status: { ...b.status, phase: 'Queued', queuePosition: last } });
  }
  if (backups.some((b) => ['ReadyToStart', 'InProgress'].includes(phaseOf(b))) || queued.length === 0) return changed;
  const [next, ...rest] = queued;
  await patch(next!, { phase: 'ReadyToStart', queuePosition: null });
  for (const [i, b] of rest.entries()) if (position(b) !== i + 1) await patch(b, { queuePosition: i + 1 });
  return changed;
}
