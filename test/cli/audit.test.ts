import { createServer } from 'node:http';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AwsObjectStore } from '../../src/backupstore/aws-object-store.js';
import type { AuditReport } from '../../src/backupstore/audit.js';
import { LabS3Server } from '../../packages/lab/src/s3/server.js';
import { expectCleanError, kdrill } from '../support/cli.js';

describe('kdrill audit', () => {
  it('on the seeded lab: clean (exit 0); on a lab without Object Lock: exit 3 with a P1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-audit-'));
    for (const [sub, flags, code] of [
      ['locked', [], 0],
      ['unlocked', ['--no-object-lock'], 3],
    ] as const) {
      const lab = join(dir, sub);
      expect((await kdrill(['lab', 'up', '--dir', lab, ...flags])).code).toBe(0);
      try {
        const r = await kdrill([
          'audit',
          '--kubeconfig',
          join(lab, 'kubeconfig'),
          '-o',
          'json',
          '--rpo',
          '24h',
          '--retention',
          '7d',
        ]);
        expect(r.code, r.stderr).toBe(code);
        const rep = JSON.parse(r.stdout) as AuditReport;
        expect(rep.backups).toHaveLength(2);
        if (code === 0) {
          expect(rep.findings.filter((f) => f.severity !== 'P3')).toEqual([]);
          expect(rep.canary?.deleteRefused).toBe(true);
          expect(rep.bucket).toMatchObject({ objectLock: true, versioning: 'Enabled' });
        } else {
          expect(rep.findings[0]).toMatchObject({ severity: 'P1', code: 'BUCKET_NO_OBJECT_LOCK' });
          const text = await kdrill(['audit', '--kubeconfig', join(lab, 'kubeconfig')]);
          expect(text.stdout).toMatch(/^P1 {3}BUCKET_NO_OBJECT_LOCK/m);
          expect(text.stdout).toMatch(/fix: /);
        }
      } finally {
        await kdrill(['lab', 'down', '--dir', lab]);
      }
    }
  });

  it('without a cluster, bad input gets one clear line and the right exit code', async () => {
    const creds = { accessKeyId: 'AUDITKEY', secretAccessKey: 'audit-secret' };
    const s3 = new LabS3Server({ credentials: creds });
    const endpoint = await s3.listen(0);
    const html = createServer((_q, res) =>
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>console</html>'),
    );
    await new Promise<void>((r) => html.listen(0, '127.0.0.1', () => r()));
    try {
      const dir = await mkdtemp(join(tmpdir(), 'kdrill-audit-bad-'));
      const good = join(dir, 'good.ini');
      const bad = join(dir, 'bad.ini');
      await writeFile(
        good,
        `[default]\naws_access_key_id=${creds.accessKeyId}\naws_secret_access_key=${creds.secretAccessKey}\n`,
      );
      await writeFile(bad, `[default]\naws_access_key_id=${creds.accessKeyId}\naws_secret_access_key=nope\n`);
      const store = new AwsObjectStore({
        endpoint,
        region: 'us-east-1',
        bucket: 'velero',
        prefix: '',
        forcePathStyle: true,
        credentials: creds,
      });
      await store.createBucket({ objectLock: true });
      const base = ['audit', '--s3-endpoint', endpoint, '--bucket', 'velero', '--s3-credentials-file'];
      expectCleanError(await kdrill([...base, bad]), 4, /S3 refused the credentials for bucket "velero"/);
      expectCleanError(
        await kdrill(['audit', '--s3-endpoint', endpoint, '--bucket', 'nothere', '--s3-credentials-file', good]),
        4,
        /bucket "nothere" .* does not exist/,
      );
      expectCleanError(
        await kdrill([...base, good, '--prefix', 'cluster-x']),
        4,
        /nothing to audit: no backups under cluster-x\/backups\//,
      );
      const port = (html.address() as { port: number }).port;
      expectCleanError(
        await kdrill([
          'audit',
          '--s3-endpoint',
          `http://127.0.0.1:${port}`,
          '--bucket',
          'velero',
          '--s3-credentials-file',
          good,
        ]),
        4,
        /does not speak S3/,
      );
      expectCleanError(
        await kdrill([
          'audit',
          '--s3-endpoint',
          'http://127.0.0.1:9',
          '--bucket',
          'velero',
          '--s3-credentials-file',
          good,
        ]),
        4,
        /cannot reach S3/,
      );
      expectCleanError(await kdrill([...base, good, '--concurrency', '0']), 2, /--concurrency/);
      const noCreds = await kdrill(['audit', '--s3-endpoint', endpoint, '--bucket', 'velero'], {
        env: {
          AWS_ACCESS_KEY_ID: '',
          AWS_SECRET_ACCESS_KEY: '',
          AWS_PROFILE: 'kdrill-none',
          AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
          AWS_CONFIG_FILE: join(dir, 'none'),
        },
      });
      expectCleanError(noCreds, 4, /no S3 credentials for bucket "velero"/);
    } finally {
      html.close();
      await s3.close();
    }
  });
});
