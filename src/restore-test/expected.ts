import type { KubeObject } from '../kube/types.js';
import { SKIP_KINDS, fingerprint, inventoried, inventoryKey, type InventoryItem } from '../verify/inventory.js';
import { isolationPatch, mergePatch } from './isolation-patches.js';
import type { BackupManifest } from './manifests.js';

const groupOf = (apiVersion: string | undefined): string =>
  apiVersion?.includes('/') ? apiVersion.split('/')[0]! : '';

/**
 * What the sandbox must hold: every object of the backup a restore brings back (the inventory's kinds),
 * as the backup holds it, with the sandbox's own changes applied and under the sandbox's namespace.
 * The inventory check compares the sandbox with this, not with production: a restore test proves the
 * backup, whatever production did since.
 */
export function expectedInventory(manifests: BackupManifest[], mapping: Record<string, string>): InventoryItem[] {
  const out: InventoryItem[] = [];
  for (const m of manifests) {
    const group = groupOf(m.obj.apiVersion);
    const kind = String(m.obj.kind ?? '');
    if (group === 'velero.io' || SKIP_KINDS.has(`${group}/${kind}`) || !inventoried(m.obj, group, kind)) continue;
    const ns = m.obj.metadata?.namespace ?? '';
    const p = isolationPatch(m);
    const obj = (p ? mergePatch(m.obj, p.patch) : m.obj) as KubeObject;
    out.push({
      kind: `${group}/${kind}`,
      namespace: mapping[ns] ?? ns,
      name: obj.metadata?.name ?? '',
      ...fingerprint(obj, kind),
    });
  }
  return out.sort((a, b) => inventoryKey(a).localeCompare(inventoryKey(b)));
}
