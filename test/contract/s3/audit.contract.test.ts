import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditBackups, auditMarkdown } from '../../../src/backupstore/audit.js';
import { S3_TARGETS, uniqueBucket, type S3Target } from './targets.js';

const DAY = 86400_000;
const policy = { required: true, minMode: 'GOVERNANCE' as const, coverTtl: true, canary: true };

for (const spec of S3_TARGETS) {
  describe.skipIf(spec.skip !== undefined)(
    `backup audit: ${spec.name}${spec.skip ? ` (skipped: ${spec.skip})` : ''}`,
    () => {
      let t: S3Target;
      beforeAll(async () => {
        t = await spec.start();
      });
      afterAll(() => t?.stop());

      it('finds exactly what a mixed bucket holds: locked, unlocked, short retention, legal hold, deleted', async () => {
        const now = new Date();
        const s = t.store(uniqueBucket('mix'));
        await s.createBucket({ objectLock: true }); // no default retention: unlocked objects are possible
        const b = 'backups/b1/';
        await s.put(`${b}locked.json`, '{}', {
          retention: { mode: 'GOVERNANCE', until: new Date(now.getTime() + 40 * DAY) },
        });
        await s.put(`${b}unlocked.json`, '{}');
        await s.put(`${b}short.json`, '{}', {
          retention: { mode: 'GOVERNANCE', until: new Date(now.getTime() + DAY) },
        });
        await s.put(`${b}hold.json`, '{}', { legalHold: true });
        await s.put(`${b}deleted.json`, '{}', {
          retention: { mode: 'GOVERNANCE', until: new Date(now.getTime() + 40 * DAY) },
        });
        await s.delete(`${b}deleted.json`);
        const r = await auditBackups({
          store: s,
          prefix: '',
          backups: [
            {
              name: 'b1',
              phase: 'Completed',
              startTimestamp: now.toISOString(),
              expiration: new Date(now.getTime() + 30 * DAY).toISOString(),
            },
          ],
          policy,
          marginSeconds: 86400,
          canary: { enabled: true, key: `kdrill-canary-${Date.now()}`, retentionSeconds: 120 },
          concurrency: 8,
          now,
        });
        expect(r.findings.map((f) => `${f.severity} ${f.code}${f.key ? ` ${f.key}` : ''}`)).toEqual([
          `P1 OBJECT_UNLOCKED ${b}unlocked.json`,
          'P2 BUCKET_NO_DEFAULT_RETENTION',
          `P2 DELETE_MARKER ${b}deleted.json`,
          `P2 RETENTION_SHORTER_THAN_TTL ${b}short.json`,
          `P3 LEGAL_HOLD ${b}hold.json`,
          'P3 VELERO_GC_BLOCKED_BY_LOCK',
          'P3 VELERO_REWRITES_METADATA',
        ]);
        expect(r.canary).toMatchObject({ deleteRefused: true });
        expect(r.backups[0]).toMatchObject({ objects: 5, unlocked: 1, legalHolds: 1, deleteMarkers: 1, noncurrent: 1 });
        expect(auditMarkdown(r)).toMatch(/\| P1 \| .*unlocked\.json/);
      });

      it('a bucket without Object Lock is a P1; the replica is compared object by object', async () => {
        const now = new Date();
        const s = t.store(uniqueBucket('nolock'));
        await s.createBucket({ objectLock: false });
        await s.put('backups/b1/velero-backup.json', '{}');
        await s.put('backups/b1/b1.tar.gz', 'data');
        const replica = t.store(uniqueBucket('replica'));
        await replica.createBucket({ objectLock: true });
        await replica.put('offsite/backups/b1/velero-backup.json', '{}');
        const r = await auditBackups({
          store: s,
          prefix: '',
          backups: [
            {
              name: 'b1',
              phase: 'Completed',
              startTimestamp: new Date(now.getTime() - 3 * DAY).toISOString(),
              expiration: new Date(now.getTime() + 27 * DAY).toISOString(),
            },
          ],
          policy,
          marginSeconds: 86400,
          rpoSeconds: 86400,
          retentionSeconds: 2 * 86400,
          canary: { enabled: true, key: 'kdrill-canary-x', retentionSeconds: 60 },
          replica: { store: replica, prefix: 'offsite/' },
          concurrency: 4,
          now,
        });
        const codes = r.findings.map((f) => `${f.severity} ${f.code}`);
        expect(codes).toContain('P1 BUCKET_NO_OBJECT_LOCK');
        expect(codes).toContain('P2 BACKUP_OLDER_THAN_RPO');
        expect(codes).toContain('P2 KEPT_LONGER_THAN_RETENTION');
        expect(r.findings.filter((f) => f.code === 'REPLICA_MISSING').map((f) => f.key)).toEqual([
          'backups/b1/b1.tar.gz',
        ]);
        expect(r.replica).toMatchObject({ missing: 1, objectLock: true });
        expect(r.canary).toBeUndefined(); // no lock, nothing to prove
      });
    },
  );
}
