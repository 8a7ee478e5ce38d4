import { gunzipSync } from 'node:zlib';
import type { ObjectStore } from '../backupstore/object-store.js';
import { DrillError, ExitCode } from '../errors.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import type { Clock } from '../time/clock.js';
import { setLongTimeout } from '../time/long-timeout.js';
import type { FailedItem } from '../drill/types.js';

export const V = (kind: string) => ({ apiVersion: 'velero.io/v1', kind });
/** Finalizing and WaitingForPluginOperations* are never terminal (DESIGN §1). */
export const RESTORE_TERMINAL = new Set(['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation']);
export const BACKUP_TERMINAL = new Set(['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation']);

/**
 * Waits by watch (list, then watch from that version; the watch re-lists after a 410 or a drop)
 * until the object reaches a terminal phase. Resolves with the object and when it was seen.
 */
export function waitForPhase(
  kube: KubeApi,
  kind: string,
  namespace: string,
  name: string,
  terminal: Set<string>,
  o: { timeoutMs: number; clock: Clock; signal?: AbortSignal },
): Promise<{ object: KubeObject; seenAt: Date }> {
  // a signal that already fired never fires its listener again: refuse at once
  if (o.signal?.aborted)
    return Promise.reject(o.signal.reason instanceof Error ? o.signal.reason : new Error('aborted'));
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (fn: () => void): void => {
      if (done) return;
      done = true;
      timer.clear();
      handle.stop();
      o.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const check = (obj: KubeObject): void => {
      if (obj.metadata?.name !== name) return;
      if (terminal.has(String(obj.status?.phase ?? ''))) finish(() => resolve({ object: obj, seenAt: o.clock.now() }));
    };
    const handle = kube.watch(V(kind), {
      namespace,
      fieldSelector: `metadata.name=${name}`,
      onEvent: (e) => e.type !== 'DELETED' && check(e.object),
      signal: o.signal,
    });
    const timer = setLongTimeout(
      () =>
        finish(() =>
          reject(
            new DrillError(
              'VELERO_TIMEOUT',
              `${kind} ${namespace}/${name} did not finish within ${Math.round(o.timeoutMs / 1000)}s`,
              ExitCode.ObjectivesBreached,
              { hint: `kubectl -n ${namespace} get ${kind.toLowerCase()}s.velero.io ${name} -o yaml` },
            ),
          ),
        ),
      o.timeoutMs,
    );
    const onAbort = (): void =>
      finish(() => reject(o.signal!.reason instanceof Error ? o.signal!.reason : new Error('aborted')));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    handle.ready.catch((e: unknown) => finish(() => reject(e instanceof Error ? e : new Error('watch failed'))));
  });
}

export async function veleroReachable(kube: KubeApi, namespace: string, bslName: string): Promise<KubeObject> {
  if (!(await kube.serves(V('BackupStorageLocation')))) {
    throw new DrillError(
      'VELERO_MISSING',
      `Velero is not installed in context "${kube.context}" (no velero.io CRDs)`,
      ExitCode.Precondition,
      { hint: 'install Velero (velero install --provider aws …), or run the drill with --lab' },
    );
  }
  const bsl = await kube.get({ ...V('BackupStorageLocation'), namespace, name: bslName });
  if (!bsl) {
    const all = (await kube.list(V('BackupStorageLocation'), { namespace })).items.map((b) => b.metadata?.name);
    throw new DrillError(
      'BSL_NOT_FOUND',
      `BackupStorageLocation ${namespace}/${bslName} not found in context "${kube.context}"${all.length ? ` (there: ${all.join(', ')})` : ''}`,
      ExitCode.Precondition,
      { hint: 'set spec.backup.storageLocation in the scenario' },
    );
  }
  if (bsl.status?.phase !== 'Available') {
    throw new DrillError(
      'BSL_UNAVAILABLE',
      `BackupStorageLocation ${namespace}/${bslName} is ${bsl.status?.phase ?? 'not validated yet'}${bsl.status?.message ? `: ${bsl.status.message}` : ''}`,
      ExitCode.Precondition,
      {
        hint: 'Velero validates it every minute; fix the bucket or credentials it names, then rerun',
      },
    );
  }
  return bsl;
}

export interface BackupChoice {
  backup: KubeObject;
  all: KubeObject[]; // every Completed backup of the schedule (or all), newest first
}

/** Picks the backup: by name, or the newest Completed of the schedule by startTimestamp. */
export async function chooseBackup(
  kube: KubeApi,
  namespace: string,
  o: { name?: string; schedule?: string; allowPartiallyFailed: boolean },
): Promise<BackupChoice> {
  const everything = (await kube.list(V('Backup'), { namespace })).items;
  const items = o.schedule
    ? everything.filter((b) => b.metadata?.labels?.['velero.io/schedule-name'] === o.schedule)
    : everything;
  const okPhases = new Set(['Completed', ...(o.allowPartiallyFailed ? ['PartiallyFailed'] : [])]);
  const usable = items
    .filter((b) => okPhases.has(String(b.status?.phase)))
    .sort((a, b) => String(b.status?.startTimestamp ?? '').localeCompare(String(a.status?.startTimestamp ?? '')));
  // every backup there, not only the schedule's: the operator needs to see what does exist
  const seen = everything.map((b) => `${b.metadata?.name} (${b.status?.phase ?? 'New'})`).join(', ') || 'none';
  if (o.name) {
    const b =
      items.find((x) => x.metadata?.name === o.name) ?? (await kube.get({ ...V('Backup'), namespace, name: o.name }));
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

/** Reads restores/<r>/restore-<r>-results.gz and lists the items that failed. */
export async function restoreFailedItems(
  store: ObjectStore,
  prefix: string,
  restore: string,
): Promise<{ items: FailedItem[]; warnings: string[] }> {
  const raw = await store.get(`${prefix}restores/${restore}/restore-${restore}-results.gz`);
  if (!raw) return { items: [], warnings: [] };
  const r = JSON.parse(gunzipSync(raw).toString('utf8')) as { errors?: Results; warnings?: Results };
  const flat = (x: Results | undefined): { ns?: string; msg: string }[] => [
    ...(x?.velero ?? []).map((msg) => ({ msg })),
    ...(x?.cluster ?? []).map((msg) => ({ msg })),
    ...Object.entries(x?.namespaces ?? {}).flatMap(([ns, l]) => l.map((msg) => ({ ns, msg }))),
  ];
  const items = flat(r.errors).map(({ ns, msg }) => {
    const m = /error restoring ([^/\s]+)\/(?:([^/\s]+)\/)?([^:\s]+):\s*(.*)$/.exec(msg);
    return m
      ? { resource: m[1]!, namespace: m[2] ?? ns, name: m[3]!, message: m[4]! }
      : { resource: '', namespace: ns, name: '', message: msg };
  });
  return { items, warnings: flat(r.warnings).map((w) => w.msg) };
}

interface Results {
  velero?: string[];
  cluster?: string[];
  namespaces?: Record<string, string[]>;
}

/** A recovery cluster sees a backup only after its Velero synced the bucket. */
export async function waitForBackupSync(
  kube: KubeApi,
  namespace: string,
  name: string,
  o: { timeoutMs: number; clock: Clock; signal?: AbortSignal },
): Promise<KubeObject> {
  const r = await waitForPhase(kube, 'Backup', namespace, name, new Set(['Completed', 'PartiallyFailed']), o).catch(
    (e: unknown) => {
      if ((e as { code?: string }).code === 'VELERO_TIMEOUT') {
        throw new DrillError(
          'BACKUP_NOT_SYNCED',
          `backup ${name} did not appear in context "${kube.context}" within ${Math.round(o.timeoutMs / 1000)}s`,
          ExitCode.Precondition,
          {
            hint: 'does the recovery cluster have a BackupStorageLocation on the same bucket and prefix? Velero syncs every minute',
          },
        );
      }
      throw e;
    },
  );
  return r.object;
}
