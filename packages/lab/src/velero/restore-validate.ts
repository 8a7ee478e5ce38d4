import type { KubeObject } from '../core.js';
import { validateIncludesExcludes } from './filters.js';
import { modifiersFromConfigMap, validateModifiers, type ResourceModifiers } from './resource-modifiers.js';
import type { VeleroRelease } from './versions.js';

// JSON of many shapes, as the core types spec and status; the code narrows what it reads
type Json = Record<string, KubeObject['spec']>;

// never restored: appended to every Restore's excludedResources (nonRestorableResources, restore_controller.go)
export const NON_RESTORABLE = [
  'nodes',
  'events',
  'events.events.k8s.io',
  'backups.velero.io',
  'restores.velero.io',
  'resticrepositories.velero.io',
  'csinodes.storage.k8s.io',
  'volumeattachments.storage.k8s.io',
  'backuprepositories.velero.io',
];

export interface RestoreValidation {
  errors: string[];
  /** The spec as Velero completes it (written back with the phase). */
  spec: Json;
  backup?: KubeObject;
  bsl?: KubeObject;
  /** The rules of `spec.resourceModifier`, parsed and validated. */
  modifiers?: ResourceModifiers;
}

export interface ValidationLookups {
  release: VeleroRelease;
  /** Velero's namespace. */
  namespace: string;
  backups: () => KubeObject[];
  backup: (name: string) => Promise<KubeObject | undefined>;
  bsl: (name: string) => KubeObject | undefined;
  configMap: (namespace: string, name: string) => Promise<KubeObject | undefined>;
}

const startOf = (b: KubeObject): number =>
  b.status?.startTimestamp ? Date.parse(b.status.startTimestamp as string) : 0;

/**
 * validateAndComplete (pkg/controller/restore_controller.go), message for message, in its order. The
 * backup's own phase is not checked: a restore of a Failed backup passes, and fails when it runs. The
 * BSL's phase is checked from v1.18 only; hooks' init containers are not. Resource-modifier rules are
 * parsed and validated as Velero does (resource-modifiers.ts).
 */
export async function validateRestore(restore: KubeObject, l: ValidationLookups): Promise<RestoreValidation> {
  const spec = structuredClone(restore.spec ?? {}) as Json;
  const errors = checkFilters(spec);
  const done = (extra: Partial<RestoreValidation> = {}): RestoreValidation => ({ errors, spec, ...extra });
  if (!spec.backupName === !spec.scheduleName) {
    errors.push('Either a backup or schedule must be specified as a source for the restore, but not both');
    return done();
  }
  if (spec.existingResourcePolicy && !['none', 'update'].includes(spec.existingResourcePolicy as string))
    errors.push(`Invalid ExistingResourcePolicy: ${spec.existingResourcePolicy}`);
  if (spec.scheduleName) {
    const latest = latestOfSchedule(String(spec.scheduleName), l, errors);
    if (!latest) return done();
    spec.backupName = latest.metadata?.name;
  }
  const name = spec.backupName as string;
  const backup = await l.backup(name);
  if (!backup) {
    errors.push(
      `Error retrieving backup: can't find backup ${l.namespace}/${name}: backups.velero.io "${name}" not found`,
    );
    return done();
  }
  const location = String(backup.spec?.storageLocation ?? '');
  const bsl = l.bsl(location);
  if (!bsl) {
    errors.push(`Error retrieving backup: backupstoragelocations.velero.io "${location}" not found`);
    return done();
  }
  if (l.release.restoreChecksBslPhase && bsl.status?.phase !== 'Available') {
    errors.push(`The BSL ${location} is unavailable, cannot retrieve the backup`);
    return done();
  }
  if (!spec.scheduleName && backup.metadata?.labels?.['velero.io/schedule-name'])
    spec.scheduleName = backup.metadata.labels['velero.io/schedule-name'];
  const m = await readModifiers(restore, spec, l);
  if (m.error) {
    errors.push(m.error);
    return done();
  }
  return done({ backup, bsl, modifiers: m.modifiers });
}

/** The checks of the resource and namespace filters and the selectors; excludedResources completed. */
function checkFilters(spec: Json): string[] {
  const errors: string[] = [];
  const excluded = [...((spec.excludedResources ?? []) as string[])];
  for (const r of NON_RESTORABLE) if (!excluded.includes(r)) excluded.push(r);
  spec.excludedResources = excluded;
  const included = new Set((spec.includedResources ?? []) as string[]);
  for (const r of NON_RESTORABLE) if (included.has(r)) errors.push(`${r} are non-restorable resources`);
  for (const e of validateIncludesExcludes(spec.includedResources, spec.excludedResources))
    errors.push(`Invalid included/excluded resource lists: ${e}`);
  for (const e of validateIncludesExcludes(spec.includedNamespaces, spec.excludedNamespaces))
    errors.push(`Invalid included/excluded namespace lists: ${e}`);
  if (spec.orLabelSelectors != null && spec.labelSelector != null)
    errors.push('encountered labelSelector as well as orLabelSelectors in restore spec, only one can be specified');
  return errors;
}

/** The schedule's latest Completed backup by start time, or undefined with Velero's errors. */
function latestOfSchedule(schedule: string, l: ValidationLookups, errors: string[]): KubeObject | undefined {
  const ofSchedule = l.backups().filter((b) => b.metadata?.labels?.['velero.io/schedule-name'] === schedule);
  if (ofSchedule.length === 0) errors.push('No backups found for schedule');
  const latest = [...ofSchedule].sort((a, b) => startOf(b) - startOf(a)).find((b) => b.status?.phase === 'Completed');
  if (!latest) errors.push('No completed backups found for schedule');
  return latest;
}

/** The resource-modifier rules the restore names, or Velero's error for a ConfigMap missing, unparsable or invalid. */
async function readModifiers(
  restore: KubeObject,
  spec: Json,
  l: ValidationLookups,
): Promise<{ modifiers?: ResourceModifiers; error?: string }> {
  const modifier = spec.resourceModifier as { kind?: string; name?: string } | undefined;
  if (!modifier || String(modifier.kind).toLowerCase() !== 'configmap') return {};
  const where = `${restore.metadata?.namespace ?? l.namespace}/${modifier.name}`;
  const cm = await l.configMap(restore.metadata?.namespace ?? l.namespace, modifier.name ?? '');
  if (!cm) return { error: `failed to get resource modifiers configmap ${where}` };
  let modifiers: ResourceModifiers;
  try {
    modifiers = modifiersFromConfigMap(cm);
  } catch (e) {
    return { error: `Error in parsing resource modifiers provided in configmap ${where}: ${(e as Error).message}` };
  }
  try {
    validateModifiers(modifiers);
  } catch (e) {
    return { error: `Validation error in resource modifiers provided in configmap ${where}: ${(e as Error).message}` };
  }
  return { modifiers };
}
