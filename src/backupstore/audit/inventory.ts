import type { ObjectVersion } from '../object-store.js';
import { eachPool } from '../pool.js';
import { BackupObjects, type ObjectsContext } from './backup-objects.js';
import { KopiaObjects } from './kopia.js';
import type { AuditOptions } from './types.js';

/** What the scan of the bucket leaves: a tally per backup and for Kopia, never the versions themselves. */
export interface Scan {
  backups: Map<string, BackupObjects>;
  kopia: KopiaObjects;
  versions: number;
  requests: number;
}

interface Live {
  v: ObjectVersion;
  index: number;
  sink: BackupObjects | KopiaObjects;
}

type Options = Pick<AuditOptions, 'store' | 'prefix' | 'backups' | 'concurrency'>;

/**
 * One listing's live versions, in order. Its delete markers go to the backup's tally when their key is
 * done: S3 lists the versions of a key together, so whether one of them is not a marker is known then.
 */
async function* liveVersions(
  listing: AsyncIterable<ObjectVersion>,
  sink: BackupObjects | KopiaObjects,
  scan: Scan,
  onVersion: (v: ObjectVersion) => void,
): AsyncGenerator<Live> {
  let key: string | undefined;
  let liveToo = false;
  let markers: ObjectVersion[] = [];
  let index = 0;
  const flush = (): void => {
    if (sink instanceof BackupObjects) for (const m of markers) sink.marker(m, liveToo);
    markers = [];
  };
  for await (const v of listing) {
    scan.versions++;
    if (sink instanceof KopiaObjects) sink.versions++;
    onVersion(v);
    if (v.key !== key) {
      flush();
      key = v.key;
      liveToo = false;
    }
    if (v.deleteMarker) {
      markers.push(v);
      continue;
    }
    liveToo = true;
    yield { v, index: index++, sink };
  }
  flush();
}

/** The backups' listings, then Kopia's, one after the other; `onVersion` sees each backup version as it is listed. */
async function* everyLive(o: Options, scan: Scan, onVersion: (v: ObjectVersion) => void): AsyncGenerator<Live> {
  for (const b of o.backups) {
    yield* liveVersions(
      o.store.listVersions(`${o.prefix}backups/${b.name}/`),
      scan.backups.get(b.name)!,
      scan,
      onVersion,
    );
    scan.requests++;
  }
  yield* liveVersions(o.store.listVersions(`${o.prefix}kopia/`), scan.kopia, scan, () => undefined);
  scan.requests++;
}

/**
 * Lists every version under the backups asked for, then under kopia/, and reads the lock of each live
 * one with `concurrency` requests in flight while the listing goes on: the listing is pulled only as
 * fast as locks are read, so a bucket of 100,000 versions is never held in memory.
 */
export async function scanBucket(
  o: Options,
  ctx: ObjectsContext,
  onVersion: (v: ObjectVersion) => void = () => undefined,
): Promise<Scan> {
  const scan: Scan = { backups: new Map(), kopia: new KopiaObjects(), versions: 0, requests: 0 };
  for (const b of o.backups) scan.backups.set(b.name, new BackupObjects(b, ctx));
  await eachPool(everyLive(o, scan, onVersion), o.concurrency, async ({ v, index, sink }) => {
    const lock = await o.store.lockOf(v.key, v.versionId);
    scan.requests++;
    if (sink instanceof BackupObjects) sink.version(v, lock, index);
    else sink.version(lock);
  });
  return scan;
}
