import { k8sTime } from '../../core.js';
import type { KubeObject } from '../../core.js';
import { readFaults } from '../faults.js';
import { LAB_RESOURCE_TIMEOUT_MS, runRestore } from '../restore.js';
import { validateRestore, type RestoreValidation } from '../restore-validate.js';
import { V, prefixOf, type Reconciler, type VeleroServer } from './server.js';

/**
 * Restores (pkg/controller/restore_controller.go): the next New one is validated and completed, its
 * spec and phase written in one patch, then run; one at a time, as Velero with one worker.
 */
export function restores(s: VeleroServer): Reconciler {
  return {
    name: 'restores',
    reconcile: async () => {
      for (const r of s.inf.Restore.list(s.ns)) {
        const phase = (r.status?.phase as string | undefined) ?? '';
        if (phase !== '' && phase !== 'New') continue;
        const v = await validate(s, r);
        const spec = { ...v.spec, itemOperationTimeout: v.spec.itemOperationTimeout || '4h0m0s' };
        // the completed spec and the phase in one write, as Velero patches them
        const status = v.errors.length
          ? { phase: 'FailedValidation', validationErrors: v.errors }
          : { phase: 'InProgress', startTimestamp: k8sTime(s.clock.now()) };
        const ref = { ...V('Restore'), namespace: s.ns, name: r.metadata?.name ?? '' };
        const patched = await s.kube.patch(ref, { spec, status }, 'merge');
        s.inf.Restore.remember(patched);
        if (v.errors.length) continue;
        await run(s, v, patched);
        return false;
      }
      return false;
    },
  };
}

function validate(s: VeleroServer, r: KubeObject): Promise<RestoreValidation> {
  return validateRestore(r, {
    release: s.release,
    namespace: s.ns,
    backups: () => s.inf.Backup.list(s.ns),
    backup: async (name) =>
      s.inf.Backup.get(s.ns, name) ?? (await s.kube.get({ ...V('Backup'), namespace: s.ns, name })),
    bsl: (name) => s.inf.BackupStorageLocation.get(s.ns, name),
    configMap: (namespace, name) => s.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name }),
  });
}

async function run(s: VeleroServer, v: RestoreValidation, restore: KubeObject): Promise<void> {
  const timeout = s.opts.resourceTimeoutMs ?? LAB_RESOURCE_TIMEOUT_MS;
  await runRestore(
    {
      kube: s.kube,
      store: await s.store(v.bsl!),
      prefix: prefixOf(v.bsl!),
      clock: s.clock,
      itemDelayMs: s.opts.restoreItemDelayMs,
      faults: await readFaults(s.kube, s.ns),
      release: s.release,
      resourceTimeoutMs: timeout,
      terminatingTimeoutMs: timeout,
      pollMs: s.opts.pollMs,
      modifiers: v.modifiers,
    },
    restore,
    v.backup!,
  );
}
