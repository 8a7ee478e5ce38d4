import { createHash, createHmac } from 'node:crypto';

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** S3's URI encoding: RFC 3986 unreserved characters kept, everything else %XX (what SigV4 canonicalizes). */
export const s3Escape = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export interface SignedHeaders {
  [name: string]: string;
  host: string;
  'x-amz-date': string;
  authorization: string;
}

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/**
 * AWS Signature Version 4 for one request shape only: a HEAD of `path?versionId=…` without a body.
 * The signing key is derived once per day, region and secret, as the SDK's signer caches it; the rest
 * is one SHA-256 and one HMAC. Checked against the SDK's own SignatureV4 in test/backupstore/sigv4-head.test.ts.
 */
export class HeadSigner {
  private key?: { secret: string; day: string; value: Buffer };
  private readonly region: string;
  private readonly host: string;

  constructor(region: string, host: string) {
    this.region = region;
    this.host = host;
  }

  /** Headers for the request; `path` is already encoded, once, as it goes on the wire. */
  sign(path: string, versionId: string, creds: SigningCredentials, at: Date): SignedHeaders {
    const amzDate = at.toISOString().replace(/[-:]|\.\d{3}/g, '');
    const day = amzDate.slice(0, 8);
    const scope = `${day}/${this.region}/s3/aws4_request`;
    const token = creds.sessionToken;
    const signedHeaders = token
      ? 'host;x-amz-content-sha256;x-amz-date;x-amz-security-token'
      : 'host;x-amz-content-sha256;x-amz-date';
    const canonical =
      `HEAD\n${path}\nversionId=${s3Escape(versionId)}\n` +
      `host:${this.host}\nx-amz-content-sha256:${EMPTY_SHA256}\nx-amz-date:${amzDate}\n` +
      (token ? `x-amz-security-token:${token}\n` : '') +
      `\n${signedHeaders}\n${EMPTY_SHA256}`;
    const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
    const signature = createHmac('sha256', this.signingKey(creds.secretAccessKey, day)).update(toSign).digest('hex');
    const headers: SignedHeaders = {
      host: this.host,
      'x-amz-content-sha256': EMPTY_SHA256,
      'x-amz-date': amzDate,
      authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    };
    if (token) headers['x-amz-security-token'] = token;
    return headers;
  }

  private signingKey(secret: string, day: string): Buffer {
    // a rotated secret (refreshed credentials) or a new day gets a new key
    if (this.key?.secret !== secret || this.key.day !== day) {
      this.key = {
        secret,
        day,
        value: hmac(hmac(hmac(hmac(`AWS4${secret}`, day), this.region), 's3'), 'aws4_request'),
      };
    }
    return this.key.value;
  }
}
