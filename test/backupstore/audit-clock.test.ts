import { describe, expect, it } from 'vitest';
import { auditBackups, type AuditOptions } from '../../src/backupstore/audit.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { FakeObjectStore } from '../support/fakes/fake-object-store.js';

// far from the wall clock, so an audit that read it instead of the fake would judge every age wrongly
const T = new Date('2031-03-01T00:00:00Z');
const HOUR = 3600_000;
const at = (ms: number): string => new Date(T.getTime() + ms).toISOString();

async function world(): Promise<{ clock: FakeClock; store: FakeObjectStore; opts: AuditOptions }> {
  const clock = new FakeClock(T);
  const store = new FakeObjectStore({ now: () => clock.now() });
  await store.put('backups/nightly/velero-backup.json', '{}', {
    retention: { mode: 'COMPLIANCE', until: new Date(at(3 * HOUR)) },
  });
  const opts: AuditOptions = {
    store,
    prefix: '',
    backups: [{ name: 'nightly', phase: 'Completed', startTimestamp: at(-HOUR), expiration: at(HOUR) }],
    policy: { required: true, minMode: 'GOVERNANCE', coverTtl: false, canary: true },
    marginSeconds: 0,
    rpoSeconds: 2 * 3600,
    retentionSeconds: 4 * 3600,
    canary: { enabled: true, key: 'kdrill-canary-test', retentionSeconds: 600 },
    concurrency: 4,
    clock,
  };
  return { clock, store, opts };
}

const codes = (r: { findings: { code: string }[] }): string[] => r.findings.map((f) => f.code).sort();
const TIME_BOUND = ['BACKUP_EXPIRED', 'BACKUP_OLDER_THAN_RPO', 'KEPT_LONGER_THAN_RETENTION', 'OBJECT_UNLOCKED'];

describe("the audit's clock", () => {
  it('judges freshness, expiry, retention and locks as of the injected clock', async () => {
    const { clock, opts } = await world();
    // an hour old, expiring in an hour, locked for three: fresh by every measure
    expect(codes(await auditBackups(opts)).filter((c) => TIME_BOUND.includes(c))).toEqual([]);

    clock.advance(2 * HOUR + 1);
    expect(codes(await auditBackups(opts)).filter((c) => TIME_BOUND.includes(c))).toEqual([
      'BACKUP_EXPIRED',
      'BACKUP_OLDER_THAN_RPO',
    ]);

    clock.advance(2 * HOUR);
    const late = await auditBackups(opts);
    expect(codes(late).filter((c) => TIME_BOUND.includes(c))).toEqual(TIME_BOUND);
    expect(late.findings.find((f) => f.code === 'BACKUP_OLDER_THAN_RPO')?.message).toContain('(nightly) is 5h old');
  });

  it("locks the canary until the clock's now plus its retention", async () => {
    const { clock, store, opts } = await world();
    clock.advance(7 * HOUR);
    const r = await auditBackups(opts);
    expect(r.canary).toEqual({ key: 'kdrill-canary-test', deleteRefused: true });
    const versions = [];
    for await (const v of store.listVersions('kdrill-canary-test')) versions.push(v);
    expect(versions).toHaveLength(1);
    const lock = await store.lockOf('kdrill-canary-test', versions[0]!.versionId);
    expect(lock.retainUntil?.toISOString()).toBe(at(7 * HOUR + 600_000));
    expect((await store.get('kdrill-canary-test'))?.toString()).toBe(`kdrill lock canary ${at(7 * HOUR)}\n`);
  });

  it('measures its own duration on the clock', async () => {
    const { clock, store, opts } = await world();
    const listVersions = store.listVersions.bind(store);
    store.listVersions = (prefix: string) => {
      clock.advance(750);
      return listVersions(prefix);
    };
    const r = await auditBackups(opts);
    expect(r.stats.seconds).toBe(1.5); // two listings: the backup's folder and kopia/
  });

  it('takes a "now" the caller already read over its clock', async () => {
    const { clock, opts } = await world();
    clock.advance(10 * HOUR);
    const r = await auditBackups({ ...opts, now: T });
    expect(codes(r).filter((c) => TIME_BOUND.includes(c))).toEqual([]);
  });
});
