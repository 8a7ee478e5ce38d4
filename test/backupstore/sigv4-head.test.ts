import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { HeadSigner, s3Escape } from '../../src/backupstore/sigv4-head.js';

type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: Data): string | Uint8Array =>
  typeof d === 'string'
    ? d
    : d instanceof ArrayBuffer
      ? new Uint8Array(d)
      : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

/** The SDK's SHA-256 over Node's crypto, for its signer. */
class Sha256 {
  private readonly h;
  constructor(secret?: Data) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(d: Data): void {
    this.h.update(bytes(d));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }
}

const KEYS = [
  'backups/b1/velero-backup.json',
  'backups/b 1/a+b=c&d.json',
  'backups/b1/ünï/çødé~*(x)!.gz',
  'backups/b1/%41%2F;,$@:.tar',
  'backups/b1//double/slash',
  "kopia/default/p0123456789abcdef'quote",
];

describe("the audit's SigV4 signer", () => {
  it.each([
    ['long-term keys', { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }],
    [
      'a session token (IRSA, STS)',
      {
        accessKeyId: 'ASIAEXAMPLE',
        secretAccessKey: 'c2VjcmV0/+=',
        sessionToken: 'FwoGZXIvYXdzE//token+with/slashes==',
      },
    ],
  ])('signs a HEAD of a version exactly as the SDK signs it: %s', async (_what, creds) => {
    for (const [host, region] of [
      ['127.0.0.1:9000', 'us-east-1'],
      ['s3.example.internal', 'eu-central-1'],
    ] as const) {
      const sdk = new SignatureV4({ credentials: creds, region, service: 's3', sha256: Sha256, uriEscapePath: false });
      const ours = new HeadSigner(region, host);
      for (const [i, key] of KEYS.entries()) {
        const at = new Date(Date.UTC(2026, 11, 1 + (i % 2), 23, 59, 58 + i));
        const path = `/bucket/${key.split('/').map(s3Escape).join('/')}`;
        const versionId = i % 3 === 2 ? `odd!*'()~.${i}` : i % 2 ? `3/L4kqtJl+cQ==.${i}` : `v${i}`;
        const want = await sdk.sign(
          {
            method: 'HEAD',
            protocol: 'http:',
            hostname: host.split(':')[0]!,
            path,
            query: { versionId },
            headers: {
              host,
              'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
            },
          },
          { signingDate: at },
        );
        const got = ours.sign(path, versionId, creds, at);
        expect(got.authorization, key).toBe(want.headers.authorization);
        expect(got['x-amz-date']).toBe(want.headers['x-amz-date']);
        expect(got['x-amz-security-token']).toBe(want.headers['x-amz-security-token']);
      }
    }
  });

  it('derives a new signing key when the day or the secret changes', () => {
    const s = new HeadSigner('us-east-1', 'h');
    const a = { accessKeyId: 'A', secretAccessKey: 'one' };
    const sig = (c: typeof a, at: Date): string =>
      /Signature=(\w+)/.exec(s.sign('/b/k', 'v', c, at).authorization)![1]!;
    const day1 = new Date('2026-12-01T23:59:59Z');
    const first = sig(a, day1);
    expect(sig({ ...a, secretAccessKey: 'two' }, day1)).not.toBe(first);
    expect(sig(a, day1)).toBe(first);
    expect(s.sign('/b/k', 'v', a, new Date('2026-12-02T00:00:00Z')).authorization).toContain('/20261202/us-east-1/s3/');
  });
});
