import { createServer } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditBackups } from '../../src/backupstore/audit.js';
import { AwsObjectStore } from '../../src/backupstore/aws-object-store.js';
import { LabS3Server } from '../../packages/lab/src/s3/server.js';
import { forward } from '../support/forward.js';

/**
 * A proxy in front of the embedded S3 that answers every third request with 503 SlowDown or 500, as a
 * busy store does: the audit must get through with the SDK's retries and report the same result.
 */
describe('S3 retries', () => {
  const creds = { accessKeyId: 'RETRY', secretAccessKey: 'retry-secret' };
  let s3: LabS3Server;
  let proxy: ReturnType<typeof createServer>;
  let faults = 0;
  let proxyUrl = '';

  beforeEach(async () => {
    s3 = new LabS3Server({ credentials: creds });
    const target = new URL(await s3.listen(0));
    let n = 0;
    faults = 0;
    proxy = createServer((req, res) => {
      n++;
      if (n % 3 === 0) {
        faults++;
        req.resume();
        const code = n % 2 ? 503 : 500;
        res
          .writeHead(code, { 'Content-Type': 'application/xml' })
          .end(`<Error><Code>${code === 503 ? 'SlowDown' : 'InternalError'}</Code><Message>busy</Message></Error>`);
        return;
      }
      forward(target, req, res);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  });
  afterEach(async () => {
    proxy.close();
    await s3.close();
  });

  it('an audit through a store that throttles and fails one request in three still completes, with the same findings', async () => {
    const direct = new AwsObjectStore({
      endpoint: s3.url,
      region: 'us-east-1',
      bucket: 'retry-bucket',
      prefix: '',
      forcePathStyle: true,
      credentials: creds,
    });
    await direct.createBucket({ objectLock: true });
    await direct.setDefaultRetention('GOVERNANCE', 40);
    for (let i = 0; i < 30; i++) await direct.put(`backups/b1/o${i}`, String(i));
    const flaky = new AwsObjectStore(
      {
        endpoint: proxyUrl,
        region: 'us-east-1',
        bucket: 'retry-bucket',
        prefix: '',
        forcePathStyle: true,
        credentials: creds,
      },
      { maxAttempts: 6 },
    );
    const now = new Date();
    const opts = {
      prefix: '',
      backups: [
        {
          name: 'b1',
          phase: 'Completed',
          startTimestamp: now.toISOString(),
          expiration: new Date(now.getTime() + 30 * 86400_000).toISOString(),
        },
      ],
      policy: { required: true, minMode: 'GOVERNANCE' as const, coverTtl: true, canary: false },
      marginSeconds: 86400,
      canary: { enabled: false, key: 'x', retentionSeconds: 60 },
      concurrency: 8,
      now,
    };
    const viaFlaky = await auditBackups({ ...opts, store: flaky });
    const viaDirect = await auditBackups({ ...opts, store: direct });
    expect(faults).toBeGreaterThan(5);
    expect(viaFlaky.findings).toEqual(viaDirect.findings);
    expect(viaFlaky.backups).toEqual(viaDirect.backups);
    expect(viaFlaky.backups[0]!.locked).toBe(30);
  });
});
