import { AwsObjectStore } from '../core.js';
import { settingsFromCluster } from '../core.js';
import type { ObjectStore } from '../core.js';
import type { KubeApi, TypeRef } from '../core.js';
import type { KubeObject } from '../core.js';
import { Informer } from '../controllers/informer.js';
import { runBackup } from './backup.js';
import { nextRun } from '../core.js';
import { scheduledBackupName } from './cron.js';
import { ALLOWED_TOP_LEVEL, backupDir, backupKeys, restoreKeys } from './layout.js';
import { LAB_RESOURCE_TIMEOUT_MS, runRestore } from './restore.js';
import { validateRestore } from './restore-validate.js';
import { advanceBackupQueue } from './backup-queue.js';
import { veleroRelease, type VeleroVersion } from './versions.js';
import { readFaults } from './faults.js';
import { k8sTime } from '../core.js';
import { parseGoDuration } from '../core.js';

const V = (kind: string): TypeRef => ({ apiVersion: 'velero.io/v1', kind });
const KINDS = [
  'BackupStorageLocation',
  'Backup',
  'Restore',
  'Schedule',
  'DownloadRequest',
  'DeleteBackupRequest',
] as const;
const ts = k8sTime;
/** The Deployment `velero install` creates for the server (pkg/install/deployment.go). */
export const SERVER_DEPLOYMENT = 'velero';

export interface VeleroOptions {
  namespace?: string;
  /** How often a BSL without its own spec.validationFrequency is validated (Velero's server flag: 1 minute). */
  validationMs?: number;
  /** How often BSLs are synced (Velero: 1 minute; the lab is quicker). */
  syncMs?: number;
  /**
   * 'deployment' (default): this stand-in works only while the Velero server Deployment (velero/velero)
   * has a ready replica, as the real server only runs in its pod; scaled to 0, nothing is processed and
   * no BSL is validated. 'none': always work (tests of the controller without a cluster to run pods).
   */
  gate?: 'deployment' | 'none';
  now?: () => Date;
  restoreItemDelayMs?: number;
  /** The release to behave as (versions.ts); the nightly pin, 1.14, by default. */
  version?: VeleroVersion;
  /**
   * Velero's --resource-timeout: how long a restore waits for a restored CRD to be ready, and (as
   * --terminating-resource-timeout) for a terminating namespace to go. Velero: 10 minutes; the lab: 1.
   */
  resourceTimeoutMs?: number;
  /** How often a restore looks again at a CRD it waits for, or a terminating namespace (Velero: every second). */
  pollMs?: number;
  /** Builds the object store for a BSL; defaults to its S3 settings and credentials Secret. */
  storeFor?: (kube: KubeApi, bsl: KubeObject) => Promise<ObjectStore>;
}

export interface VeleroHandle {
  stop(): Promise<void>;
  errors(): string[];
}

/**
 * A stand-in Velero server: BSL validation and sync, Schedules, Backups, Restores, DownloadRequests
 * and DeleteBackupRequests, with Velero's phases, labels and storage layout. It drives any API server
 * through the KubeApi port and any S3 through the ObjectStore port. One item at a time, as Velero.
 */
export async function startVelero(kube: KubeApi, opts: VeleroOptions = {}): Promise<VeleroHandle> {
  const ns = opts.namespace ?? 'velero';
  const release = veleroRelease(opts.version);
  const now = opts.now ?? (() => new Date());
  const storeFor =
    opts.storeFor ??
    (async (k: KubeApi, bsl: KubeObject) =>
      new AwsObjectStore((await settingsFromCluster(k, ns, bsl.metadata?.name ?? '')).settings));
  const inf = Object.fromEntries(KINDS.map((k) => [k, new Informer(V(k))])) as Record<(typeof KINDS)[number], Informer>;
  const deployments = new Informer({ apiVersion: 'apps/v1', kind: 'Deployment' });
  // the server runs in the pod of its Deployment (pkg/install/deployment.go): no ready replica, no Velero
  const serverUp = (): boolean =>
    opts.gate === 'none' || Number(deployments.get(ns, SERVER_DEPLOYMENT)?.status?.readyReplicas ?? 0) > 0;
  const abort = new AbortController();
  const errors: string[] = [];
  const note = (m: string): void => {
    errors.push(m);
    if (errors.length > 100) errors.shift();
  };
  const stores = new Map<string, { rv: string; store: ObjectStore }>();
  const store = async (bsl: KubeObject): Promise<ObjectStore> => {
    const key = bsl.metadata?.name ?? '';
    const cached = stores.get(key);
    const rv = `${bsl.metadata?.uid}/${JSON.stringify(bsl.spec)}`;
    if (cached?.rv === rv) return cached.store;
    const s = await storeFor(kube, bsl);
    stores.set(key, { rv, store: s });
    return s;
  };
  const prefixOf = (bsl: KubeObject): string => {
    const p = String(bsl.spec?.objectStorage?.prefix ?? '').replace(/^\/+|\/+$/g, '');
    return p ? `${p}/` : '';
  };
  const bslFor = (name: string | undefined): KubeObject | undefined => {
    const all = inf.BackupStorageLocation.list(ns);
    return name
      ? all.find((b) => b.metadata?.name === name)
      : (all.find((b) => b.spec?.default) ?? all.find((b) => b.metadata?.name === 'default'));
  };

  let dirty = true;
  let running: Promise<void> | undefined;
  let lastSync = 0;
  const validatedSpec = new Map<string, string>();
  /**
   * Due when never validated, when its spec changed, or when its validation frequency has passed since
   * lastValidationTime (0 switches periodic validation off), as Velero's IsReadyToValidate decides
   * (internal/storage/storagelocation.go).
   */
  const dueForValidation = (bsl: KubeObject): boolean => {
    const last = bsl.status?.lastValidationTime as string | undefined;
    if (!last || validatedSpec.get(bsl.metadata?.name ?? '') !== JSON.stringify(bsl.spec)) return true;
    const freq = parseGoDuration(bsl.spec?.validationFrequency as string | undefined, opts.validationMs ?? 60_000);
    return freq > 0 && now().getTime() >= Date.parse(last) + freq;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;

  const validate = async (): Promise<void> => {
    for (const bsl of inf.BackupStorageLocation.list(ns)) {
      if (!dueForValidation(bsl)) continue;
      validatedSpec.set(bsl.metadata?.name ?? '', JSON.stringify(bsl.spec));
      let phase = 'Available';
      let message: string | undefined;
      try {
        if (!['aws', 'velero.io/aws'].includes(String(bsl.spec?.provider)))
          throw new Error(`unsupported provider "${bsl.spec?.provider}" (the lab speaks aws)`);
        const s = await store(bsl);
        await s.checkAccess();
        const prefix = prefixOf(bsl);
        const bad = new Set<string>();
        for await (const o of s.list(prefix)) {
          // only folders count, as Velero lists common prefixes: a file at the root is not one
          const rel = o.key.slice(prefix.length);
          if (!rel.includes('/')) continue;
          const top = rel.split('/')[0]!;
          if (!ALLOWED_TOP_LEVEL.includes(top)) bad.add(top);
          if (bad.size >= 5) break;
        }
        if (bad.size) throw new Error(`Backup store contains invalid top-level directories: [${[...bad].join(' ')}]`);
      } catch (e) {
        phase = 'Unavailable';
        message = `BackupStorageLocation "${bsl.metadata?.name}" is unavailable: ${(e as Error).message}`;
      }
      // Velero writes lastValidationTime on every validation, whether or not anything changed
      const patched = await kube.patchStatus(
        { ...V('BackupStorageLocation'), namespace: ns, name: bsl.metadata?.name ?? '' },
        { phase, message: message ?? null, lastValidationTime: ts(now()) },
      );
      inf.BackupStorageLocation.remember(patched);
    }
  };

  const sync = async (): Promise<void> => {
    for (const bsl of inf.BackupStorageLocation.list(ns)) {
      if (bsl.status?.phase !== 'Available') continue;
      const s = await store(bsl);
      const prefix = prefixOf(bsl);
      const inStore = new Set<string>();
      for await (const o of s.list(`${prefix}backups/`)) {
        const m = /^backups\/([^/]+)\/velero-backup\.json$/.exec(o.key.slice(prefix.length));
        if (m) inStore.add(m[1]!);
      }
      for (const name of inStore) {
        if (inf.Backup.get(ns, name)) continue;
        const raw = await s.get(backupKeys(prefix, name).metadata);
        if (!raw) continue;
        let b: KubeObject;
        try {
          b = JSON.parse(raw.toString('utf8')) as KubeObject;
        } catch {
          continue;
        }
        const phase = b.status?.phase as string | undefined;
        const expired = b.status?.expiration && Date.parse(b.status.expiration as string) < now().getTime();
        if ((phase?.startsWith('Finalizing') || phase?.startsWith('WaitingForPluginOperations')) && !expired) continue;
        const labels = { ...(b.metadata?.labels ?? {}), 'velero.io/storage-location': bsl.metadata?.name ?? 'default' };
        const created = await kube
          .create({
            ...V('Backup'),
            metadata: { name, namespace: ns, labels, annotations: b.metadata?.annotations },
            spec: { ...b.spec, storageLocation: bsl.metadata?.name },
            status: { ...b.status, ...(expired && phase !== 'Completed' ? { phase: 'PartiallyFailed' } : {}) },
          })
          .catch((e: Error) => note(`sync ${name}: ${e.message}`));
        if (created) inf.Backup.remember(created);
      }
      // backups that were Completed here but are gone from the store are removed, as Velero's sync does
      for (const b of inf.Backup.list(ns)) {
        if (b.spec?.storageLocation !== bsl.metadata?.name || inStore.has(b.metadata?.name ?? '')) continue;
        if (b.status?.phase === 'Completed' || b.status?.phase === 'PartiallyFailed') {
          await kube.delete({ ...V('Backup'), namespace: ns, name: b.metadata?.name ?? '' });
          inf.Backup.forget(b);
        }
      }
    }
  };

  const schedules = async (): Promise<void> => {
    for (const sch of inf.Schedule.list(ns)) {
      if (sch.spec?.paused) continue;
      if (sch.status?.phase !== 'Enabled') {
        const valid = nextRun(String(sch.spec?.schedule ?? ''), now()) !== undefined;
        await kube.patchStatus(
          { ...V('Schedule'), namespace: ns, name: sch.metadata?.name ?? '' },
          valid
            ? { phase: 'Enabled' }
            : { phase: 'FailedValidation', validationErrors: [`invalid schedule: ${sch.spec?.schedule}`] },
        );
        continue;
      }
      const last = sch.status?.lastBackup
        ? new Date(sch.status.lastBackup as string)
        : new Date(sch.metadata?.creationTimestamp ?? now());
      const due = nextRun(String(sch.spec?.schedule), last);
      if (due && due.getTime() <= now().getTime()) await backupFromSchedule(kube, sch, now());
    }
  };

  /** Takes the next backup one step; true when it did something (there may be more to do). */
  const backups = async (): Promise<boolean> => {
    let moved = false;
    if (release.backupQueue) {
      for (const b of await advanceBackupQueue(kube, ns, inf.Backup.list(ns))) inf.Backup.remember(b);
      moved = true;
    }
    const ready = release.backupQueue ? ['ReadyToStart'] : ['', 'New'];
    for (const b of inf.Backup.list(ns)) {
      const phase = (b.status?.phase as string | undefined) ?? '';
      if (!ready.includes(phase)) continue;
      const ref = { ...V('Backup'), namespace: ns, name: b.metadata?.name ?? '' };
      const bsl = bslFor(b.spec?.storageLocation as string | undefined);
      const problems: string[] = [];
      if (!bsl)
        problems.push(
          `an existing backup storage location wasn't specified at backup creation time and the default '${b.spec?.storageLocation ?? 'default'}' wasn't found`,
        );
      else if (bsl.spec?.accessMode === 'ReadOnly')
        problems.push(
          `backup can't be created because backup storage location ${bsl.metadata?.name} is currently in read-only mode`,
        );
      else if (bsl.status?.phase !== 'Available')
        problems.push(`backup storage location ${bsl.metadata?.name} is unavailable`);
      if (problems.length) {
        inf.Backup.remember(await kube.patchStatus(ref, { phase: 'FailedValidation', validationErrors: problems }));
        return true;
      }
      if (!b.metadata?.labels?.['velero.io/storage-location']) {
        await kube.patch(ref, {
          metadata: { labels: { 'velero.io/storage-location': bsl!.metadata?.name } },
          spec: { storageLocation: bsl!.metadata?.name },
        });
      }
      await runBackup(
        { kube, store: await store(bsl!), prefix: prefixOf(bsl!), now, faults: await readFaults(kube, ns), release },
        { ...b, spec: { ...b.spec, storageLocation: bsl!.metadata?.name } },
      );
      return true; // one at a time; the next reconcile takes the next
    }
    return moved && inf.Backup.list(ns).some((b) => ready.includes(String(b.status?.phase ?? '')));
  };

  const restores = async (): Promise<void> => {
    for (const r of inf.Restore.list(ns)) {
      const phase = (r.status?.phase as string | undefined) ?? '';
      if (phase !== '' && phase !== 'New') continue;
      const ref = { ...V('Restore'), namespace: ns, name: r.metadata?.name ?? '' };
      const v = await validateRestore(r, {
        release,
        namespace: ns,
        backups: () => inf.Backup.list(ns),
        backup: async (name) => inf.Backup.get(ns, name) ?? (await kube.get({ ...V('Backup'), namespace: ns, name })),
        bsl: (name) => inf.BackupStorageLocation.get(ns, name),
        configMap: (namespace, name) => kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name }),
      });
      const spec = { ...v.spec, itemOperationTimeout: v.spec.itemOperationTimeout || '4h0m0s' };
      // the completed spec and the phase in one write, as Velero patches them
      const status = v.errors.length
        ? { phase: 'FailedValidation', validationErrors: v.errors }
        : { phase: 'InProgress', startTimestamp: ts(now()) };
      const patched = await kube.patch(ref, { spec, status }, 'merge');
      inf.Restore.remember(patched);
      if (v.errors.length) continue;
      await runRestore(
        {
          kube,
          store: await store(v.bsl!),
          prefix: prefixOf(v.bsl!),
          now,
          itemDelayMs: opts.restoreItemDelayMs,
          faults: await readFaults(kube, ns),
          release,
          resourceTimeoutMs: opts.resourceTimeoutMs ?? LAB_RESOURCE_TIMEOUT_MS,
          terminatingTimeoutMs: opts.resourceTimeoutMs ?? LAB_RESOURCE_TIMEOUT_MS,
          pollMs: opts.pollMs,
          modifiers: v.modifiers,
        },
        patched,
        v.backup!,
      );
      return;
    }
  };

  const downloads = async (): Promise<void> => {
    for (const d of inf.DownloadRequest.list(ns)) {
      if (d.status?.phase === 'Processed') continue;
      const target = (d.spec?.target ?? {}) as { kind?: string; name?: string };
      const ref = { ...V('DownloadRequest'), namespace: ns, name: d.metadata?.name ?? '' };
      let backupName = target.name ?? '';
      if (target.kind?.startsWith('Restore'))
        backupName = String(inf.Restore.get(ns, target.name ?? '')?.spec?.backupName ?? '');
      const backup = inf.Backup.get(ns, backupName);
      const bsl = backup ? bslFor(backup.spec?.storageLocation as string | undefined) : undefined;
      if (!bsl) {
        await kube.patchStatus(ref, { phase: 'Processed' });
        continue;
      }
      const prefix = prefixOf(bsl);
      const bk = backupKeys(prefix, target.name ?? '');
      const rk = restoreKeys(prefix, target.name ?? '');
      const key = (
        {
          BackupLog: bk.logs,
          BackupContents: bk.tarball,
          BackupResourceList: bk.resourceList,
          BackupResults: bk.results,
          BackupVolumeSnapshots: bk.volumeSnapshots,
          RestoreLog: rk.logs,
          RestoreResults: rk.results,
          RestoreResourceList: rk.resourceList,
        } as Record<string, string>
      )[target.kind ?? ''];
      const expiration = ts(new Date(now().getTime() + 600_000));
      if (!key) {
        await kube.patchStatus(ref, { phase: 'Processed', expiration });
        continue;
      }
      await kube.patchStatus(ref, {
        phase: 'Processed',
        downloadURL: await (await store(bsl)).presignGet(key, 600),
        expiration,
      });
    }
  };

  const deletions = async (): Promise<void> => {
    for (const dbr of inf.DeleteBackupRequest.list(ns)) {
      if (dbr.status?.phase === 'Processed') continue;
      const ref = { ...V('DeleteBackupRequest'), namespace: ns, name: dbr.metadata?.name ?? '' };
      const name = String(dbr.spec?.backupName ?? '');
      const backup = inf.Backup.get(ns, name);
      const bsl = backup ? bslFor(backup.spec?.storageLocation as string | undefined) : undefined;
      const reject = async (msg: string): Promise<void> =>
        void (await kube.patchStatus(ref, { phase: 'Processed', errors: [msg] }));
      if (!backup) {
        await reject(`backup not found`);
        continue;
      }
      if (backup.status?.phase === 'InProgress' || backup.status?.phase === 'New') {
        await reject('backup is still in progress');
        continue;
      }
      if (!bsl) {
        await reject(`backup storage location ${backup.spec?.storageLocation} not found`);
        continue;
      }
      if (bsl.spec?.accessMode === 'ReadOnly') {
        await reject(
          `cannot delete backup because backup storage location ${bsl.metadata?.name} is currently in read-only mode`,
        );
        continue;
      }
      await kube.patchStatus(ref, { phase: 'InProgress' });
      const bref = { ...V('Backup'), namespace: ns, name };
      await kube.patchStatus(bref, { phase: 'Deleting' });
      const s = await store(bsl);
      const problems: string[] = [];
      // velero-plugin-for-aws deletes without a VersionId: on a versioned bucket that leaves markers
      for await (const o of s.list(backupDir(prefixOf(bsl), name))) {
        await s.delete(o.key).catch((e: Error) => problems.push(`error deleting object ${o.key}: ${e.message}`));
      }
      if (problems.length) {
        // as Velero: the Backup stays in Deleting, the request ends Processed with the errors
        await kube.patchStatus(ref, { phase: 'Processed', errors: problems });
        continue;
      }
      for (const r of inf.Restore.list(ns).filter((x) => x.spec?.backupName === name))
        await kube.delete({ ...V('Restore'), namespace: ns, name: r.metadata?.name ?? '' });
      await kube.delete(bref);
      await kube.patchStatus(ref, { phase: 'Processed' });
      for (const other of inf.DeleteBackupRequest.list(ns).filter((x) => x.spec?.backupName === name))
        await kube.delete({ ...V('DeleteBackupRequest'), namespace: ns, name: other.metadata?.name ?? '' });
    }
  };

  const reconcile = async (): Promise<void> => {
    while (dirty && !abort.signal.aborted) {
      dirty = false;
      const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
        try {
          await fn();
        } catch (e) {
          if (!abort.signal.aborted) note(`${what}: ${(e as Error).message}`);
        }
      };
      if (!serverUp()) break; // the server is not running: nothing happens until its pod is back
      const t = Date.now();
      await step('validate', validate);
      if (t - lastSync >= (opts.syncMs ?? 2000)) {
        lastSync = t;
        await step('sync', sync);
      }
      await step('schedules', schedules);
      let more = false;
      await step('backups', async () => void (more = await backups()));
      await step('restores', restores);
      await step('downloads', downloads);
      await step('deletions', deletions);
      // more work may be queued behind the one item just processed
      if (more) dirty = true;
    }
  };
  const kick = (): void => {
    dirty = true;
    // cleared when the loop ends, even when it ends before its first await (the server is down)
    if (!running && !abort.signal.aborted) running = reconcile().finally(() => (running = undefined));
  };
  await Promise.all([
    ...KINDS.map((k) => inf[k].start(kube, kick, abort.signal)),
    ...(opts.gate === 'none' ? [] : [deployments.start(kube, kick, abort.signal)]),
  ]);
  const tick = (): void => {
    kick();
    timer = setTimeout(tick, Math.min(opts.validationMs ?? 1000, opts.syncMs ?? 2000, 1000));
  };
  tick();
  return {
    errors: () => [...errors],
    stop: async () => {
      abort.abort();
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
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
    { phase: 'Enabled', lastBackup: ts(at) },
  );
  return created;
}
