import { gzipSync } from 'node:zlib';
import { k8sTime, parseGoDuration } from '../core.js';
import type { KubeObject } from '../core.js';
import { collect, type Collected } from './backup-collect.js';
import { backupKeys, countResults, emptyResults } from './layout.js';
import { tarGz } from './tar.js';
import type { VeleroDeps } from './deps.js';
import { veleroRelease } from './versions.js';

const BACKUP = { apiVersion: 'velero.io/v1', kind: 'Backup' } as const;
const ts = k8sTime;

/** Start, expiration (start + TTL) and completion are read from the clock. */
export type BackupContext = VeleroDeps;

type BackupKeys = ReturnType<typeof backupKeys>;
type Status = Record<string, unknown>;

/**
 * Runs one Backup the way Velero does: InProgress with start and expiration, every selected item
 * into `<b>.tar.gz`, the files written in Velero's order (log, metadata, tarball, side files), then
 * Finalizing, then Completed (or PartiallyFailed with per-item errors, or Failed with a reason).
 */
export async function runBackup(ctx: BackupContext, backup: KubeObject): Promise<void> {
  const name = backup.metadata?.name ?? '';
  const ref = { ...BACKUP, namespace: backup.metadata?.namespace, name };
  const base = startStatus(ctx.clock.now(), backup.spec?.ttl as string | undefined);
  const fail = async (failureReason: string): Promise<void> =>
    void (await ctx.kube.patchStatus(ref, {
      ...base,
      phase: 'Failed',
      failureReason,
      completionTimestamp: ts(ctx.clock.now()),
    }));
  await ctx.kube.patchStatus(ref, { ...base, phase: 'InProgress' });
  const keys = backupKeys(ctx.prefix, name);
  const exists = await ctx.store.get(keys.metadata).then(
    (b) => (b ? 'backup already exists in object storage' : undefined),
    (e: Error) => `error checking if backup already exists in object storage: ${e.message}`,
  );
  if (exists) return fail(exists);
  let collected: Collected;
  try {
    const failing = ctx.faults?.backupItemErrors ?? new Set<string>();
    collected = await collect(ctx.kube, backup.spec ?? {}, failing, ctx.release ?? veleroRelease());
  } catch (e) {
    return fail(`error collecting resources: ${(e as Error).message}`);
  }
  const errors = countResults(collected.errors);
  const progress = { totalItems: collected.items, itemsBackedUp: collected.items };
  // the first velero-backup.json is written in this phase, before the Backup says it (backup_controller.go runBackup)
  const finalizing: KubeObject = {
    ...strip(backup),
    status: {
      ...base,
      phase: errors > 0 ? 'FinalizingPartiallyFailed' : 'Finalizing',
      progress,
      errors: errors || undefined,
    },
  };
  try {
    await upload(ctx, keys, `${ctx.prefix}${name}`, collected, finalizing);
  } catch (e) {
    return fail(`error uploading backup to the object store: ${(e as Error).message}`);
  }
  await ctx.kube.patchStatus(ref, finalizing.status);
  const done = {
    ...base,
    phase: errors > 0 ? 'PartiallyFailed' : 'Completed',
    progress,
    completionTimestamp: ts(ctx.clock.now()),
    errors: errors || undefined,
  };
  await complete(ctx, ref, keys, finalizing, done);
}

/** What every phase of the backup carries: its format, its start and its expiration (start + spec.ttl). */
function startStatus(start: Date, ttl: string | undefined): Status {
  const ttlMs = parseGoDuration(ttl, 720 * 3600_000);
  return {
    version: 1,
    formatVersion: '1.1.0',
    startTimestamp: ts(start),
    expiration: ts(new Date(start.getTime() + ttlMs)),
  };
}

/** The backup's files, in Velero's order: log (best effort, as Velero), metadata, tarball, side files. */
async function upload(
  ctx: BackupContext,
  keys: BackupKeys,
  id: string,
  collected: Collected,
  finalizing: KubeObject,
): Promise<void> {
  collected.log.push(`level=info msg="Backed up a total of ${collected.items} items" backup=${id}`);
  await ctx.store.put(keys.logs, gzipSync(collected.log.join('\n') + '\n')).catch(() => undefined);
  await ctx.store.put(keys.metadata, JSON.stringify(finalizing, null, 2), { contentType: 'application/json' });
  const entries = [{ path: 'metadata/version', data: '1.1.0\n' }, ...collected.entries];
  await ctx.store.put(keys.tarball, tarGz(entries, ctx.clock.now().getTime()));
  await ctx.store.put(keys.resourceList, gzipSync(JSON.stringify(collected.resourceList)));
  await ctx.store.put(keys.results, gzipSync(JSON.stringify({ warnings: emptyResults(), errors: collected.errors })));
  await ctx.store.put(keys.volumeSnapshots, gzipSync('[]'));
}

/** Velero rewrites velero-backup.json when it finalizes: a second version on a versioned bucket. */
async function complete(
  ctx: BackupContext,
  ref: { apiVersion: string; kind: string; namespace?: string; name: string },
  keys: BackupKeys,
  finalizing: KubeObject,
  done: Status,
): Promise<void> {
  try {
    await ctx.store.put(keys.metadata, JSON.stringify({ ...finalizing, status: done }, null, 2), {
      contentType: 'application/json',
    });
  } catch (e) {
    await ctx.kube.patchStatus(ref, {
      ...done,
      phase: 'Failed',
      failureReason: `error rewriting velero-backup.json: ${(e as Error).message}`,
    });
    return;
  }
  await ctx.kube.patchStatus(ref, done);
}

function strip(o: KubeObject): KubeObject {
  const { managedFields: _m, ...meta } = o.metadata ?? {};
  return { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: meta, spec: o.spec };
}
