import { createHash, createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { systemClock } from '../src/time/clock.js';

/**
 * A bare SigV4 GET client for the benchmark: the AWS SDK costs more CPU per request than the lab
 * server does, so with the SDK the benchmark measures the client. Requests are signed for real.
 */
export class RawS3 {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly host: string;
  private readonly port: number;
  private key: Buffer = Buffer.alloc(0);
  private date = '';
  private readonly creds: { accessKeyId: string; secretAccessKey: string };

  constructor(endpoint: string, creds: { accessKeyId: string; secretAccessKey: string }) {
    this.creds = creds;
    const u = new URL(endpoint);
    this.host = u.host;
    this.port = Number(u.port);
  }

  /** The request time (a real store such as RGW refuses one more than 15 minutes off), and the day's key. */
  private stamp(): string {
    const amzDate = systemClock
      .now()
      .toISOString()
      .replace(/[-:]|\.\d{3}/g, '');
    if (amzDate.slice(0, 8) !== this.date) {
      this.date = amzDate.slice(0, 8);
      const h = (k: Buffer | string, d: string): Buffer => createHmac('sha256', k).update(d).digest();
      this.key = h(h(h(h(`AWS4${this.creds.secretAccessKey}`, this.date), 'us-east-1'), 's3'), 'aws4_request');
    }
    return amzDate;
  }

  get(path: string, query: Record<string, string>, method: 'GET' | 'HEAD' = 'GET'): Promise<string> {
    const enc = (s: string): string =>
      encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    const qs = Object.entries(query)
      .map(([k, v]) => [enc(k), enc(v)] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const amzDate = this.stamp();
    const payload = 'UNSIGNED-PAYLOAD';
    const canonicalPath = path
      .split('/')
      .map((s) => enc(s))
      .join('/');
    const canonical = [
      method,
      canonicalPath,
      qs,
      `host:${this.host}\nx-amz-content-sha256:${payload}\nx-amz-date:${amzDate}\n`,
      'host;x-amz-content-sha256;x-amz-date',
      payload,
    ].join('\n');
    const scope = `${this.date}/us-east-1/s3/aws4_request`;
    const sts = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
    const sig = createHmac('sha256', this.key).update(sts).digest('hex');
    const headers = {
      host: this.host,
      'x-amz-date': amzDate,
      'x-amz-content-sha256': payload,
      authorization: `AWS4-HMAC-SHA256 Credential=${this.creds.accessKeyId}/${scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${sig}`,
    };
    return new Promise((res, rej) => {
      const r = request(
        {
          host: '127.0.0.1',
          port: this.port,
          path: `${canonicalPath}?${qs}`,
          method,
          headers,
          agent: this.agent,
        },
        (resp) => {
          let body = '';
          resp.setEncoding('utf8');
          resp.on('data', (d: string) => (body += d));
          resp.on('end', () =>
            resp.statusCode === 200 ? res(body) : rej(new Error(`HTTP ${resp.statusCode}: ${body.slice(0, 200)}`)),
          );
        },
      );
      r.on('error', rej);
      r.end();
    });
  }
}

/** Every version of a bucket, page by page, through the bare client, and how many pages that took. */
export async function listAllVersions(
  raw: RawS3,
  bucket: string,
): Promise<{ versions: { key: string; id: string }[]; pages: number }> {
  const versions: { key: string; id: string }[] = [];
  let km = '';
  let vm = '';
  for (let pages = 1; ; pages++) {
    const xml = await raw.get(`/${bucket}`, {
      versions: '',
      ...(km ? { 'key-marker': km, 'version-id-marker': vm } : {}),
    });
    for (const m of xml.matchAll(/<Version><Key>([^<]+)<\/Key><VersionId>([^<]+)<\/VersionId>/g))
      versions.push({ key: m[1]!, id: m[2]! });
    if (!xml.includes('<IsTruncated>true</IsTruncated>')) return { versions, pages };
    km = /<NextKeyMarker>([^<]+)</.exec(xml)![1]!;
    vm = /<NextVersionIdMarker>([^<]+)</.exec(xml)![1]!;
  }
}
