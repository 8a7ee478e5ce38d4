import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsObjectStore } from '../../src/backupstore/aws-object-store.js';
import { settingsFromBsl } from '../../src/backupstore/bsl.js';
import { servingCert, type ServingCert } from '../../packages/lab/src/admission/certs.js';
import { LabS3Server } from '../../packages/lab/src/s3/server.js';
import { forward } from '../support/forward.js';

/** S3 over HTTPS with a private CA, as many on-premises stores are: the BSL's caCert must be honoured. */
describe('S3 over TLS with a custom CA', () => {
  const creds = { accessKeyId: 'TLSKEY', secretAccessKey: 'tls-secret' };
  let s3: LabS3Server;
  let front: Server;
  let cert: ServingCert;
  let endpoint = '';

  beforeAll(async () => {
    s3 = new LabS3Server({ credentials: creds });
    const plain = new URL(await s3.listen(0));
    cert = await servingCert(join(await mkdtemp(join(tmpdir(), 'kdrill-tls-')), 'certs'));
    // TLS terminates here; the request goes on as signed (the Host header is part of the signature)
    front = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => forward(plain, req, res));
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
    endpoint = `https://127.0.0.1:${(front.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    front?.close();
    await s3?.close();
  });

  it('works with the CA from the BSL, refuses an untrusted certificate, and skips checks only when told', async () => {
    const bsl = {
      metadata: { name: 'onprem', namespace: 'velero' },
      spec: {
        objectStorage: { bucket: 'tls-bucket', caCert: Buffer.from(cert.caPem).toString('base64') },
        config: { s3Url: endpoint, s3ForcePathStyle: 'true', region: 'us-east-1' },
      },
    };
    const withCa = new AwsObjectStore(
      settingsFromBsl(
        bsl,
        `[default]\naws_access_key_id=${creds.accessKeyId}\naws_secret_access_key=${creds.secretAccessKey}\n`,
      ),
    );
    await withCa.createBucket({ objectLock: true });
    await withCa.checkAccess();
    const put = await withCa.put('backups/b/velero-backup.json', '{}');
    expect((await withCa.get('backups/b/velero-backup.json'))?.toString()).toBe('{}');
    // the audit's signed HEAD goes over the same TLS settings as the SDK
    expect(await withCa.lockOf('backups/b/velero-backup.json', put.versionId!)).toMatchObject({ legalHold: false });

    const untrusted = new AwsObjectStore(
      { endpoint, region: 'us-east-1', bucket: 'tls-bucket', prefix: '', forcePathStyle: true, credentials: creds },
      { maxAttempts: 1 },
    );
    const err = (await untrusted.checkAccess().catch((e: unknown) => e)) as {
      code: string;
      exitCode: number;
      hint: string;
    };
    expect(err.code).toBe('S3_TLS');
    expect(err.exitCode).toBe(4);
    expect(err.hint).toMatch(/caCert/);
    const headErr = (await untrusted
      .lockOf('backups/b/velero-backup.json', put.versionId!)
      .catch((e: unknown) => e)) as {
      code: string;
    };
    expect(headErr.code).toBe('S3_TLS');

    const skipping = new AwsObjectStore({
      endpoint,
      region: 'us-east-1',
      bucket: 'tls-bucket',
      prefix: '',
      forcePathStyle: true,
      credentials: creds,
      insecureSkipTLSVerify: true,
    });
    await skipping.checkAccess();
    await skipping.lockOf('backups/b/velero-backup.json', put.versionId!);
  });
});
