import { describe, expect, it } from 'vitest';
import { auditBackups, type AuditOptions } from '../../src/backupstore/audit.js';
import type { ObjectLock, ObjectStore, ObjectVersion } from '../../src/backupstore/object-store.js';
import { FakeObjectStore } from '../support/fakes/fake-object-store.js';

const T = new Date('2031-03-01T00:00:00Z');
const DAY = 86_400_000;

/** A bucket with locked, unlocked, held, noncurrent and deleted objects in three backups and Kopia. */
async function bucket(): Promise<FakeObjectStore> {
  const store = new FakeObjectStore({ now: () => T });
  for (let b = 0; b < 3; b++)
    for (let i = 0; i < 400; i++) {
      const key = `backups/b${b}/o-${String(i).padStart(4, '0')}`;
      const locked = i % 5 !== 0;
      const r = await store.put(
        key,
        `v${i}`,
        locked
          ? {
              retention: {
                mode: i % 7 ? 'COMPLIANCE' : 'GOVERNANCE',
                until: new Date(T.getTime() + (i % 3) * 15 * DAY),
              },
            }
          : {},
      );
      if (i % 11 === 0) store.setLegalHold(key, r.versionId!, true);
      if (i % 13 === 0) await store.put(key, `w${i}`); // the first version becomes noncurrent
      if (i % 17 === 0) await store.delete(key);
    }
  for (let i = 0; i < 50; i++) await store.put(`kopia/repo/p${i}`, 'blob', i % 2 ? { legalHold: true } : {});
  return store;
}

const options = (store: ObjectStore, concurrency: number): AuditOptions => ({
  store,
  prefix: '',
  backups: [0, 1, 2].map((b) => ({
    name: `b${b}`,
    phase: 'Completed',
    startTimestamp: T.toISOString(),
    expiration: new Date(T.getTime() + 20 * DAY).toISOString(),
  })),
  policy: { required: true, minMode: 'COMPLIANCE', coverTtl: true, canary: false },
  marginSeconds: 86400,
  canary: { enabled: false, key: '', retentionSeconds: 0 },
  concurrency,
  now: T,
});

/** The same store, its listing and lock reads counted, and lock reads answered out of order. */
function watched(inner: FakeObjectStore): { store: ObjectStore; maxAhead: () => number } {
  let listed = 0;
  let read = 0;
  let ahead = 0;
  let n = 0;
  const store = Object.create(inner) as ObjectStore;
  store.listVersions = async function* (prefix: string): AsyncIterable<ObjectVersion> {
    for await (const v of inner.listVersions(prefix)) {
      if (!v.deleteMarker) listed++;
      ahead = Math.max(ahead, listed - read);
      yield v;
    }
  };
  store.lockOf = async (key: string, versionId: string): Promise<ObjectLock> => {
    const l = await inner.lockOf(key, versionId);
    await new Promise((r) => setTimeout(r, n++ % 3)); // later reads may finish first
    read++;
    return l;
  };
  return { store, maxAhead: () => ahead };
}

describe('the audit streams the bucket through its pool', () => {
  it('never lists more than the pool can take: versions are read as locks are, not collected first', async () => {
    const w = watched(await bucket());
    const r = await auditBackups(options(w.store, 8));
    expect(r.stats.versions).toBeGreaterThan(1200);
    expect(w.maxAhead()).toBeLessThanOrEqual(8 + 1);
  });

  it('reads the same, finding for finding, with a pool whose answers come back out of order as one at a time', async () => {
    const one = await auditBackups(options(await bucket(), 1));
    const pooled = await auditBackups(options(watched(await bucket()).store, 16));
    expect({ ...pooled, stats: { ...pooled.stats, seconds: 0 } }).toEqual({
      ...one,
      stats: { ...one.stats, seconds: 0 },
    });
    const codes = new Set(one.findings.map((f) => f.code));
    for (const c of [
      'OBJECT_UNLOCKED',
      'LEGAL_HOLD',
      'DELETE_MARKER',
      'LOCK_MODE_WEAK',
      'RETENTION_SHORTER_THAN_TTL',
      'KOPIA_UNLOCKED',
    ])
      expect(codes).toContain(c);
    expect(one.backups[0]).toMatchObject({ name: 'b0', objects: 400 + 31, deleteMarkers: 24 });
  });
});
