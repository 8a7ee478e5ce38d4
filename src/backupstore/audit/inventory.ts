import type { ObjectLock, ObjectVersion } from '../object-store.js';
import { mapPool } from '../pool.js';
import type { AuditOptions } from './types.js';

/** Every object version the audit looks at, with the lock of each live one. */
export interface Inventory {
  byBackup: Map<string, ObjectVersion[]>;
  /** The versions of the backups asked for, in listing order. */
  all: ObjectVersion[];
  kopia: ObjectVersion[];
  locks: Map<ObjectVersion, ObjectLock>;
  requests: number;
}

/** Lists every version under the backups asked for, then under kopia/, and reads the lock of each live one. */
export async function takeInventory(
  o: Pick<AuditOptions, 'store' | 'prefix' | 'backups' | 'concurrency'>,
): Promise<Inventory> {
  let requests = 0;
  const byBackup = new Map<string, ObjectVersion[]>();
  for (const b of o.backups) byBackup.set(b.name, []);
  const all: ObjectVersion[] = [];
  for (const b of o.backups) {
    for await (const v of o.store.listVersions(`${o.prefix}backups/${b.name}/`)) {
      byBackup.get(b.name)!.push(v);
      all.push(v);
    }
    requests++;
  }
  const kopia: ObjectVersion[] = [];
  for await (const v of o.store.listVersions(`${o.prefix}kopia/`)) kopia.push(v);
  requests++;
  const live = [...all, ...kopia].filter((v) => !v.deleteMarker);
  const locks = new Map<ObjectVersion, ObjectLock>();
  await mapPool(live, o.concurrency, async (v) => {
    locks.set(v, await o.store.lockOf(v.key, v.versionId));
    requests++;
  });
  return { byBackup, all, kopia, locks, requests };
}
