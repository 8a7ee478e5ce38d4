import { gzipSync } from 'node:zlib';
import type { KubeObject } from '../core.js';
import { TarballError, walkTarball } from '../core.js';
import { k8sTime } from '../core.js';
import { Discovery } from './discovery.js';
import { resourceIncludesExcludes } from './filters.js';
import { addResult, backupKeys, countResults, restoreKeys } from './layout.js';
import type { VeleroDeps } from './deps.js';
import { parseArchive } from './restore-archive.js';
import { ItemRestorer } from './restore-item.js';
import type { ResourceModifiers } from './resource-modifiers.js';
import { selectResources, type SelectOptions, type SelectedItem } from './restore-select.js';
import { veleroRelease, type VeleroRelease } from './versions.js';

// JSON of many shapes, as the core types spec and status; the code narrows what it reads
type Json = Record<string, KubeObject['spec']>;

const RESTORE = { apiVersion: 'velero.io/v1', kind: 'Restore' } as const;
const ts = k8sTime;

export interface RestoreContext extends VeleroDeps {
  /** Pause between items: a slower, more realistic restore (and room for crash tests). */
  itemDelayMs?: number;
  /** Velero's --resource-timeout (10 minutes): how long a restored CRD may take to be ready. */
  resourceTimeoutMs?: number;
  /** Velero's --terminating-resource-timeout (10 minutes): how long a terminating namespace is waited for. */
  terminatingTimeoutMs?: number;
  /** How often those are polled (Velero: every second). */
  pollMs?: number;
  /** The Restore's resource modifier rules, from its validation. */
  modifiers?: ResourceModifiers;
}

/** The lab's default for both timeouts: a lab cluster answers in seconds, and a drill should not hang 10 minutes. */
export const LAB_RESOURCE_TIMEOUT_MS = 60_000;

/**
 * Runs a validated Restore, already InProgress, the way Velero does (pkg/restore/restore.go execute):
 * the tarball downloaded (a missing one fails the restore), CRDs restored first and waited for,
 * discovery read again, then everything else in the release's priority order, each item through
 * restoreItem (restore-item.ts). Log, results and resource list go to `restores/<r>/`; then
 * Finalizing[PartiallyFailed], then Completed or PartiallyFailed.
 */
export async function runRestore(ctx: RestoreContext, restore: KubeObject, backup: KubeObject): Promise<void> {
  const release = ctx.release ?? veleroRelease();
  const ref = { ...RESTORE, namespace: restore.metadata?.namespace, name: restore.metadata?.name ?? '' };
  const start = (restore.status?.startTimestamp as string | undefined) ?? ts(ctx.clock.now());
  const files = await download(ctx, backup.metadata?.name ?? '');
  if (typeof files === 'string') {
    await ctx.kube.patchStatus(ref, {
      phase: 'Failed',
      failureReason: files,
      startTimestamp: start,
      completionTimestamp: ts(ctx.clock.now()),
    });
    return;
  }
  const { restorer, select, discovery } = await prepare(ctx, release, restore, backup, files);
  const restoreAll = itemLoop(restorer, select.spec);
  const processed = new Set<string>();
  await restoreAll(selectResources(select, { high: ['customresourcedefinitions'], low: [] }, false, processed));
  if (restorer.changedAnything()) {
    await discovery
      .refresh()
      .catch((e: Error) => addResult(restorer.warnings, '', `refresh discovery after restoring CRDs: ${e.message}`));
  }
  await restoreAll(selectResources(select, release.restorePriorities, true, processed));
  await finish(ctx, ref, start, restorer);
}

/** The backup's tarball, file by file; or why it could not be had, as the restore's failure reason. */
async function download(ctx: RestoreContext, backupName: string): Promise<Map<string, Buffer> | string> {
  const key = backupKeys(ctx.prefix, backupName).tarball;
  let gz: Buffer | undefined;
  try {
    gz = await ctx.store.get(key);
  } catch (e) {
    return `error downloading backup: ${pluginError(key, (e as Error).message)}`;
  }
  // what velero-plugin-for-aws answers for a key that is not there, through the plugin's gRPC
  if (!gz)
    return `error downloading backup: ${pluginError(key, 'operation error S3: GetObject, https response error StatusCode: 404, api error NoSuchKey: The specified key does not exist.')}`;
  const files = new Map<string, Buffer>();
  try {
    await walkTarball(gz, async (path, body) => void files.set(path, await body()));
  } catch (e) {
    return e instanceof TarballError ? `error reading backup ${backupName}: ${e.message}` : (e as Error).message;
  }
  return files;
}

/** The restore's filters resolved through discovery, and the restorer that takes each item. */
async function prepare(
  ctx: RestoreContext,
  release: VeleroRelease,
  restore: KubeObject,
  backup: KubeObject,
  files: Map<string, Buffer>,
): Promise<{ restorer: ItemRestorer; select: SelectOptions; discovery: Discovery }> {
  const spec = (restore.spec ?? {}) as Json;
  const archive = parseArchive(files);
  const discovery = await Discovery.load(ctx.kube);
  const resources = resourceIncludesExcludes(
    (n) => discovery.groupResource(n),
    spec.includedResources,
    spec.excludedResources,
  );
  const namespaces = {
    includes: (spec.includedNamespaces ?? []) as string[],
    excludes: (spec.excludedNamespaces ?? []) as string[],
  };
  const restorer = new ItemRestorer({
    kube: ctx.kube,
    clock: ctx.clock,
    release,
    archive,
    restore,
    backupName: backup.metadata?.name ?? '',
    resources,
    namespaces,
    extractDir: `/tmp/${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`,
    resourceTimeoutMs: ctx.resourceTimeoutMs ?? LAB_RESOURCE_TIMEOUT_MS,
    terminatingTimeoutMs: ctx.terminatingTimeoutMs ?? LAB_RESOURCE_TIMEOUT_MS,
    pollMs: ctx.pollMs ?? 1000,
    itemDelayMs: ctx.itemDelayMs,
    modifiers: ctx.modifiers,
  });
  const isMustHave = (gr: string): boolean => restorer.isMustHave(gr);
  const select = { archive, discovery, spec, resources, namespaces, isMustHave, errors: restorer.errors };
  return { restorer, select, discovery };
}

/** processSelectedResource: the item's namespace first, from its backed-up Namespace, whatever the filters. */
function itemLoop(restorer: ItemRestorer, spec: Json): (items: SelectedItem[]) => Promise<void> {
  const existingNamespaces = new Set<string>();
  return async (items) => {
    for (const it of items) {
      const original = it.gr === 'namespaces' ? (it.obj.metadata?.name ?? '') : it.ns;
      const target = it.gr === 'namespaces' ? (spec.namespaceMapping?.[original] ?? original) : it.target;
      if (original && !existingNamespaces.has(target)) {
        if (!(await restorer.ensureNamespace(original, target))) continue;
        existingNamespaces.add(target);
      }
      if (it.gr !== 'namespaces') await restorer.restoreItem(it.obj, it.gr, it.target);
    }
  };
}

/** Log, results and resource list into `restores/<r>/`, then Finalizing and the final phase. */
async function finish(
  ctx: RestoreContext,
  ref: { apiVersion: string; kind: string; namespace?: string; name: string },
  start: string,
  restorer: ItemRestorer,
): Promise<void> {
  const { warnings, errors } = restorer;
  const keys = restoreKeys(ctx.prefix, ref.name);
  const created = [...restorer.items.values()].filter((i) => i.action === 'created').length;
  try {
    await ctx.store.put(
      keys.logs,
      gzipSync(`level=info msg="restore completed" restore=${ref.namespace}/${ref.name} items=${created}\n`),
    );
  } catch (e) {
    errors.velero.push(`error uploading log file to backup storage: ${(e as Error).message}`);
  }
  const nErr = countResults(errors);
  const nWarn = countResults(warnings);
  // a failed upload of the results or the resource list is only logged, as Velero does
  if (!ctx.faults?.restoreResultsMissing)
    await ctx.store.put(keys.results, gzipSync(JSON.stringify({ errors, warnings }))).catch(() => undefined);
  await ctx.store.put(keys.resourceList, gzipSync(JSON.stringify(resourceListOf(restorer)))).catch(() => undefined);
  const progress = { totalItems: restorer.items.size, itemsRestored: restorer.items.size };
  const counts = { errors: nErr || undefined, warnings: nWarn || undefined };
  await ctx.kube.patchStatus(ref, {
    phase: nErr > 0 ? 'FinalizingPartiallyFailed' : 'Finalizing',
    startTimestamp: start,
    progress,
    ...counts,
  });
  await ctx.kube.patchStatus(ref, {
    phase: nErr > 0 ? 'PartiallyFailed' : 'Completed',
    startTimestamp: start,
    completionTimestamp: ts(ctx.clock.now()),
    progress,
    ...counts,
  });
}

/** The restore resource list: per type, `<ns>/<name>(<action>)`, sorted. */
function resourceListOf(restorer: ItemRestorer): Record<string, string[]> {
  const resourceList: Record<string, string[]> = {};
  for (const [k, v] of restorer.items) {
    const [resource, ns, item] = k.split('|') as [string, string, string];
    (resourceList[resource] ??= []).push(`${ns ? `${ns}/` : ''}${item}(${v.action ?? 'skipped'})`);
  }
  for (const l of Object.values(resourceList)) l.sort();
  return resourceList;
}

/** An error of velero-plugin-for-aws's GetObject as the Velero server sees it, through gRPC. */
function pluginError(key: string, message: string): string {
  return `rpc error: code = Unknown desc = error getting object ${key}: ${message}`;
}
