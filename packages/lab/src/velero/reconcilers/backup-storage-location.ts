import { k8sTime, parseGoDuration } from '../../core.js';
import type { KubeObject } from '../../core.js';
import { ALLOWED_TOP_LEVEL } from '../layout.js';
import { V, prefixOf, type Reconciler, type VeleroServer } from './server.js';

/**
 * BSL validation (pkg/controller/backup_storage_location_controller.go): each location that is due gets
 * Available or Unavailable with the reason, and lastValidationTime, on every validation.
 */
export function bslValidation(s: VeleroServer): Reconciler {
  const validatedSpec = new Map<string, string>();
  /**
   * Due when never validated, when its spec changed, or when its validation frequency has passed since
   * lastValidationTime (0 switches periodic validation off), as Velero's IsReadyToValidate decides
   * (internal/storage/storagelocation.go).
   */
  const due = (bsl: KubeObject): boolean => {
    const last = bsl.status?.lastValidationTime as string | undefined;
    if (!last || validatedSpec.get(bsl.metadata?.name ?? '') !== JSON.stringify(bsl.spec)) return true;
    const freq = parseGoDuration(bsl.spec?.validationFrequency as string | undefined, s.opts.validationMs ?? 60_000);
    return freq > 0 && s.clock.now().getTime() >= Date.parse(last) + freq;
  };
  return {
    name: 'validate',
    reconcile: async () => {
      for (const bsl of s.inf.BackupStorageLocation.list(s.ns)) {
        if (!due(bsl)) continue;
        validatedSpec.set(bsl.metadata?.name ?? '', JSON.stringify(bsl.spec));
        const problem = await unavailableBecause(s, bsl);
        // Velero writes lastValidationTime on every validation, whether or not anything changed
        const patched = await s.kube.patchStatus(
          { ...V('BackupStorageLocation'), namespace: s.ns, name: bsl.metadata?.name ?? '' },
          {
            phase: problem ? 'Unavailable' : 'Available',
            message: problem ? `BackupStorageLocation "${bsl.metadata?.name}" is unavailable: ${problem}` : null,
            lastValidationTime: k8sTime(s.clock.now()),
          },
        );
        s.inf.BackupStorageLocation.remember(patched);
      }
      return false;
    },
  };
}

/** Why the location is unusable (provider, access, foreign top-level folders), or undefined. */
async function unavailableBecause(s: VeleroServer, bsl: KubeObject): Promise<string | undefined> {
  try {
    if (!['aws', 'velero.io/aws'].includes(String(bsl.spec?.provider)))
      throw new Error(`unsupported provider "${bsl.spec?.provider}" (the lab speaks aws)`);
    const store = await s.store(bsl);
    await store.checkAccess();
    const prefix = prefixOf(bsl);
    const bad = new Set<string>();
    for await (const o of store.list(prefix)) {
      // only folders count, as Velero lists common prefixes: a file at the root is not one
      const rel = o.key.slice(prefix.length);
      if (!rel.includes('/')) continue;
      const top = rel.split('/')[0]!;
      if (!ALLOWED_TOP_LEVEL.includes(top)) bad.add(top);
      if (bad.size >= 5) break;
    }
    if (bad.size) throw new Error(`Backup store contains invalid top-level directories: [${[...bad].join(' ')}]`);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
