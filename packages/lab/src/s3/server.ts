import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listenLoopback } from '../listen.js';
import { decodeAwsChunked } from './chunked.js';
import {
  S3Error,
  accessDenied,
  invalidArgument,
  invalidBucketState,
  invalidRequest,
  malformedXml,
  noSuchBucket,
  noSuchKey,
  noSuchVersion,
} from './errors.js';
import { verifySigV4, type Credentials } from './sigv4.js';
import { S3Store, type Bucket, type LockMode, type Version } from './store.js';
import { tag, tags, xml, type Node } from './xml.js';

export interface LabS3Options {
  credentials: Credentials;
  /** Keep data here (survives restarts); in memory when undefined. */
  dir?: string;
  port?: number;
  region?: string;
}

const iso = (d: Date | string): string => new Date(d).toISOString();
const httpDate = (d: string): string => new Date(d).toUTCString();

/**
 * The lab's S3 endpoint: path-style requests, SigV4-checked, versioning and Object Lock enforced the
 * way AWS does (where RGW differs, the lab follows AWS; see ../shared/rgw/README.md).
 */
export class LabS3Server {
  readonly store: S3Store;
  private readonly server: Server;
  private readonly opts: LabS3Options;
  private readonly sockets = new Set<Socket>();

  constructor(opts: LabS3Options) {
    this.opts = opts;
    this.store = new S3Store(opts.dir);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => this.fail(req, res, e));
    });
  }

  async listen(port = this.opts.port ?? 0): Promise<string> {
    await listenLoopback(this.server, port, this.sockets);
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    this.store.flush();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://s3');
    verifySigV4(req, url, this.opts.credentials);
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const bucket = decodeURIComponent(bucketName);
    const key = rest.map(decodeURIComponent).join('/');
    const q = url.searchParams;
    const m = req.method ?? 'GET';
    const body = m === 'PUT' || m === 'POST' ? await readBody(req) : Buffer.alloc(0);

    if (!bucket) {
      if (m !== 'GET')
        throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      return send(
        res,
        200,
        xml('ListAllMyBucketsResult', {
          Owner: { ID: 'lab', DisplayName: 'lab' },
          Buckets: { Bucket: this.store.allBuckets().map((b) => ({ Name: b.name, CreationDate: iso(b.created) })) },
        }),
      );
    }
    if (!key) return this.bucketOp(m, bucket, q, req, body, res);
    return this.objectOp(m, this.need(bucket), key, q, req, body, res);
  }

  private need(name: string): Bucket {
    const b = this.store.bucket(name);
    if (!b) throw noSuchBucket(name);
    return b;
  }

  private bucketOp(
    m: string,
    name: string,
    q: URLSearchParams,
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
  ): void {
    if (m === 'PUT' && q.has('versioning')) {
      const b = this.need(name);
      const status = tag(body.toString(), 'Status');
      if (status !== 'Enabled' && status !== 'Suspended') throw malformedXml();
      if (b.objectLock && status === 'Suspended')
        throw invalidBucketState(
          'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.',
        );
      b.versioning = status;
      this.store.changed();
      return send(res, 200, '');
    }
    if (m === 'GET' && q.has('versioning')) {
      const b = this.need(name);
      return send(res, 200, xml('VersioningConfiguration', b.versioning ? { Status: b.versioning } : {}));
    }
    if (m === 'PUT' && q.has('object-lock')) {
      const b = this.need(name);
      if (!b.objectLock) throw invalidBucketState('Object Lock configuration cannot be enabled on existing buckets');
      const text = body.toString();
      if (tag(text, 'ObjectLockEnabled') !== 'Enabled') throw malformedXml();
      const mode = tag(text, 'Mode') as LockMode | undefined;
      const days = tag(text, 'Days');
      const years = tag(text, 'Years');
      if (mode && mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw malformedXml();
      if ((days && years) || (mode && !days && !years)) throw malformedXml();
      if ((days && !(Number(days) > 0)) || (years && !(Number(years) > 0)))
        throw invalidArgument('Default retention period must be a positive integer value');
      b.defaultRetention = mode ? { mode, ...(days ? { days: Number(days) } : { years: Number(years) }) } : undefined;
      this.store.changed();
      return send(res, 200, '');
    }
    if (m === 'GET' && q.has('object-lock')) {
      const b = this.need(name);
      if (!b.objectLock)
        throw new S3Error(
          404,
          'ObjectLockConfigurationNotFoundError',
          'Object Lock configuration does not exist for this bucket',
        );
      const r = b.defaultRetention;
      return send(
        res,
        200,
        xml('ObjectLockConfiguration', {
          ObjectLockEnabled: 'Enabled',
          Rule: r ? { DefaultRetention: { Mode: r.mode, Days: r.days, Years: r.years } } : undefined,
        }),
      );
    }
    if (m === 'POST' && q.has('delete')) return this.deleteObjects(this.need(name), req, body, res);
    if (m === 'GET' && q.has('versions')) return this.listVersions(this.need(name), q, res);
    if (m === 'GET' && q.has('location')) return send(res, 200, xml('LocationConstraint', this.opts.region ?? ''));
    if (m === 'GET') return this.listV2(this.need(name), q, res);
    if (m === 'HEAD') {
      this.need(name);
      return send(res, 200, '', { 'x-amz-bucket-region': this.opts.region ?? 'us-east-1' });
    }
    if (m === 'PUT') {
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name))
        throw new S3Error(400, 'InvalidBucketName', 'The specified bucket is not valid.');
      if (this.store.bucket(name))
        throw new S3Error(
          409,
          'BucketAlreadyOwnedByYou',
          'Your previous request to create the named bucket succeeded and you already own it.',
        );
      this.store.createBucket(
        name,
        String(req.headers['x-amz-bucket-object-lock-enabled'] ?? '').toLowerCase() === 'true',
      );
      return send(res, 200, '', { Location: `/${name}` });
    }
    if (m === 'DELETE') {
      const b = this.need(name);
      if (b.objects.size > 0)
        throw new S3Error(
          409,
          'BucketNotEmpty',
          'The bucket you tried to delete is not empty. You must delete all versions in the bucket.',
        );
      this.store.deleteBucket(name);
      return send(res, 204, '');
    }
    throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }

  private version(b: Bucket, key: string, versionId: string | null): Version {
    const list = b.objects.get(key);
    if (versionId) {
      const v = list?.find((x) => x.versionId === versionId);
      if (!v) throw list ? noSuchVersion() : noSuchKey(key);
      return v;
    }
    const latest = list?.[list.length - 1];
    if (!latest) throw noSuchKey(key);
    if (latest.deleteMarker)
      throw noSuchKey(key, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': latest.versionId });
    return latest;
  }

  private objectOp(
    m: string,
    b: Bucket,
    key: string,
    q: URLSearchParams,
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
  ): void {
    const versionId = q.get('versionId');
    if (q.has('retention')) {
      const v = this.version(b, key, versionId);
      if (m === 'GET') {
        if (!v.retention)
          throw new S3Error(
            404,
            'NoSuchObjectLockConfiguration',
            'The specified object does not have a ObjectLock configuration',
          );
        return send(res, 200, xml('Retention', { Mode: v.retention.mode, RetainUntilDate: v.retention.until }));
      }
      if (!b.objectLock) throw invalidRequest('Bucket is missing Object Lock Configuration');
      const text = body.toString();
      const mode = tag(text, 'Mode') as LockMode | undefined;
      const until = tag(text, 'RetainUntilDate');
      if ((mode && mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') || !!mode !== !!until) throw malformedXml();
      if (until && !(Date.parse(until) > Date.now()))
        throw invalidArgument('The retain until date must be in the future!');
      this.checkRetentionChange(v, mode, until, bypass(req));
      v.retention = mode && until ? { mode, until: iso(until) } : undefined;
      this.store.changed();
      return send(res, 200, '');
    }
    if (q.has('legal-hold')) {
      const v = this.version(b, key, versionId);
      if (m === 'GET') {
        if (!v.legalHold)
          throw new S3Error(
            404,
            'NoSuchObjectLockConfiguration',
            'The specified object does not have a ObjectLock configuration',
          );
        return send(res, 200, xml('LegalHold', { Status: v.legalHold }));
      }
      if (!b.objectLock) throw invalidRequest('Bucket is missing Object Lock Configuration');
      const status = tag(body.toString(), 'Status');
      if (status !== 'ON' && status !== 'OFF') throw malformedXml();
      v.legalHold = status;
      this.store.changed();
      return send(res, 200, '');
    }
    switch (m) {
      case 'PUT':
        return this.putObject(b, key, req, body, res);
      case 'GET':
      case 'HEAD': {
        const v = this.version(b, key, versionId);
        if (v.deleteMarker)
          throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', {
            'x-amz-delete-marker': 'true',
          });
        const headers = objectHeaders(v);
        if (m === 'HEAD') return send(res, 200, '', { ...headers, 'Content-Length': String(v.size) }, true);
        return send(res, 200, this.store.readBody(b, key, v), headers);
      }
      case 'DELETE':
        return this.deleteOne(b, key, versionId, bypass(req), res);
      default:
        throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
  }

  private checkRetentionChange(
    v: Version,
    mode: LockMode | undefined,
    until: string | undefined,
    bypassGovernance: boolean,
  ): void {
    const cur = v.retention;
    if (!cur || Date.parse(cur.until) <= Date.now()) return;
    const shorter = !until || Date.parse(until) < Date.parse(cur.until);
    const modeChange = mode !== cur.mode;
    if (cur.mode === 'COMPLIANCE' && (shorter || modeChange))
      throw accessDenied('Access Denied because object protected by object lock.');
    if (cur.mode === 'GOVERNANCE' && (shorter || modeChange) && !bypassGovernance)
      throw accessDenied('Access Denied because object protected by object lock.');
  }

  private putObject(b: Bucket, key: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const h = req.headers;
    let data = raw;
    const chunked =
      String(h['content-encoding'] ?? '').includes('aws-chunked') ||
      String(h['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
    let trailers: Record<string, string> = {};
    if (chunked) ({ data, trailers } = decodeAwsChunked(raw));
    const md5 = createHash('md5').update(data).digest();
    if (h['content-md5'] && h['content-md5'] !== md5.toString('base64'))
      throw new S3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    const mode = h['x-amz-object-lock-mode'] as string | undefined;
    const until = h['x-amz-object-lock-retain-until-date'] as string | undefined;
    const hold = h['x-amz-object-lock-legal-hold'] as string | undefined;
    const lockHeaders = !!(mode || until || hold);
    if (lockHeaders && !b.objectLock) throw invalidRequest('Bucket is missing ObjectLockConfiguration');
    if ((mode && !until) || (!mode && until))
      throw invalidArgument('x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied');
    if (mode && mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw invalidArgument('Unknown wormMode directive.');
    if (until && !(Date.parse(until) > Date.now()))
      throw invalidArgument('The retain until date must be in the future!');
    const hasChecksum =
      !!h['content-md5'] ||
      Object.keys(h).some((k) => k.startsWith('x-amz-checksum-')) ||
      Object.keys(trailers).some((k) => k.startsWith('x-amz-checksum-'));
    // AWS insists on an integrity check for writes carrying lock parameters (RGW does not).
    if (lockHeaders && !hasChecksum)
      throw invalidRequest(
        'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters',
      );
    const now = new Date();
    let retention: Version['retention'];
    if (mode && until) retention = { mode: mode as LockMode, until: iso(until) };
    else if (b.objectLock && b.defaultRetention) {
      const d = new Date(now);
      if (b.defaultRetention.days) d.setUTCDate(d.getUTCDate() + b.defaultRetention.days);
      if (b.defaultRetention.years) d.setUTCFullYear(d.getUTCFullYear() + b.defaultRetention.years);
      retention = { mode: b.defaultRetention.mode, until: d.toISOString() };
    }
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(h))
      if (k.startsWith('x-amz-meta-') && typeof v === 'string') metadata[k.slice(11)] = v;
    const v: Version = {
      versionId: this.store.newVersionId(b),
      deleteMarker: false,
      size: data.length,
      etag: `"${md5.toString('hex')}"`,
      lastModified: now.toISOString(),
      contentType: h['content-type'],
      metadata,
      retention,
      legalHold: hold === 'ON' || hold === 'OFF' ? hold : undefined,
    };
    this.store.addVersion(b, key, v, data);
    send(res, 200, '', { ETag: v.etag, ...(b.versioning ? { 'x-amz-version-id': v.versionId } : {}) });
  }

  /** Why a version may not be deleted, or undefined when it may. */
  private lockedReason(v: Version, bypassGovernance: boolean): string | undefined {
    if (v.deleteMarker) return undefined;
    if (v.legalHold === 'ON') return 'forbidden by object lock (legal hold)';
    if (v.retention && Date.parse(v.retention.until) > Date.now()) {
      if (v.retention.mode === 'COMPLIANCE' || !bypassGovernance)
        return `forbidden by object lock (${v.retention.mode} until ${v.retention.until})`;
    }
    return undefined;
  }

  private removeOrMark(
    b: Bucket,
    key: string,
    versionId: string | null,
    bypassGovernance: boolean,
  ): { versionId?: string; deleteMarker?: boolean } {
    if (versionId) {
      const list = b.objects.get(key);
      const v = list?.find((x) => x.versionId === versionId);
      if (!v) return { versionId }; // deleting a missing version succeeds, as on AWS
      const why = this.lockedReason(v, bypassGovernance);
      if (why) throw accessDenied(why);
      this.store.removeVersion(b, key, versionId);
      return { versionId, deleteMarker: v.deleteMarker || undefined };
    }
    if (!b.versioning) {
      const nullVersion = b.objects.get(key)?.find((x) => x.versionId === 'null');
      if (nullVersion) this.store.removeVersion(b, key, 'null');
      return {};
    }
    // a delete without a version only adds a marker: allowed even under lock
    const marker: Version = {
      versionId: this.store.newVersionId(b),
      deleteMarker: true,
      size: 0,
      etag: '',
      lastModified: new Date().toISOString(),
      metadata: {},
    };
    this.store.addVersion(b, key, marker);
    return { versionId: marker.versionId, deleteMarker: true };
  }

  private deleteOne(
    b: Bucket,
    key: string,
    versionId: string | null,
    bypassGovernance: boolean,
    res: ServerResponse,
  ): void {
    const r = this.removeOrMark(b, key, versionId, bypassGovernance);
    send(res, 204, '', {
      ...(r.versionId ? { 'x-amz-version-id': r.versionId } : {}),
      ...(r.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}),
    });
  }

  private deleteObjects(b: Bucket, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const text = body.toString();
    const objects = tags(text, 'Object').map((o) => ({
      key: tag(`<x>${o}</x>`, 'Key') ?? '',
      versionId: tag(`<x>${o}</x>`, 'VersionId'),
    }));
    if (objects.length === 0 || objects.length > 1000) throw malformedXml();
    const quiet = tag(text, 'Quiet') === 'true';
    const deleted: Node[] = [];
    const errors: Node[] = [];
    for (const o of objects) {
      try {
        const r = this.removeOrMark(b, o.key, o.versionId ?? null, bypass(req));
        if (!quiet)
          deleted.push({
            Key: o.key,
            VersionId: o.versionId,
            DeleteMarker: r.deleteMarker,
            DeleteMarkerVersionId: !o.versionId && r.deleteMarker ? r.versionId : undefined,
          });
      } catch (e) {
        const err = e instanceof S3Error ? e : new S3Error(500, 'InternalError', String(e));
        errors.push({ Key: o.key, VersionId: o.versionId, Code: err.code, Message: err.message });
      }
    }
    send(res, 200, xml('DeleteResult', { Deleted: deleted, Error: errors }));
  }

  private listV2(b: Bucket, q: URLSearchParams, res: ServerResponse): void {
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const max = Math.min(1000, Number(q.get('max-keys') ?? '1000'));
    const token = q.get('continuation-token');
    const after = token ? Buffer.from(token, 'base64url').toString() : (q.get('start-after') ?? '');
    const keys = [...b.objects.entries()]
      .filter(([k, vs]) => k.startsWith(prefix) && k > after && !vs[vs.length - 1]!.deleteMarker)
      .map(([k]) => k)
      .sort();
    const contents: Node[] = [];
    const prefixes = new Set<string>();
    let last = '';
    let truncated = false;
    for (const k of keys) {
      if (contents.length + prefixes.size >= max) {
        truncated = true;
        break;
      }
      const restIdx = delimiter ? k.indexOf(delimiter, prefix.length) : -1;
      if (restIdx >= 0) {
        const p = k.slice(0, restIdx + delimiter.length);
        if (!prefixes.has(p)) prefixes.add(p);
        last = p + '\uffff'; // skip the rest of this prefix on the next page
        continue;
      }
      const v = b.objects.get(k)!.at(-1)!;
      contents.push({ Key: k, LastModified: v.lastModified, ETag: v.etag, Size: v.size, StorageClass: 'STANDARD' });
      last = k;
    }
    send(
      res,
      200,
      xml('ListBucketResult', {
        Name: b.name,
        Prefix: prefix,
        Delimiter: delimiter || undefined,
        MaxKeys: max,
        KeyCount: contents.length + prefixes.size,
        IsTruncated: truncated,
        ContinuationToken: token ?? undefined,
        NextContinuationToken: truncated ? Buffer.from(last).toString('base64url') : undefined,
        Contents: contents,
        CommonPrefixes: [...prefixes].map((p) => ({ Prefix: p })),
      }),
    );
  }

  private listVersions(b: Bucket, q: URLSearchParams, res: ServerResponse): void {
    const prefix = q.get('prefix') ?? '';
    const max = Math.min(1000, Number(q.get('max-keys') ?? '1000'));
    const keyMarker = q.get('key-marker') ?? '';
    const vidMarker = q.get('version-id-marker') ?? '';
    const entries: { key: string; v: Version; latest: boolean }[] = [];
    for (const k of [...b.objects.keys()].filter((k) => k.startsWith(prefix) && k >= keyMarker).sort()) {
      const vs = b.objects.get(k)!;
      // newest first, as S3 lists them
      for (let i = vs.length - 1; i >= 0; i--) entries.push({ key: k, v: vs[i]!, latest: i === vs.length - 1 });
    }
    let start = 0;
    if (keyMarker) {
      if (vidMarker) {
        const i = entries.findIndex((e) => e.key === keyMarker && e.v.versionId === vidMarker);
        start = i >= 0 ? i + 1 : entries.findIndex((e) => e.key > keyMarker);
      } else start = entries.findIndex((e) => e.key > keyMarker);
      if (start < 0) start = entries.length;
    }
    const page = entries.slice(start, start + max);
    const truncated = start + max < entries.length;
    const lastE = page[page.length - 1];
    send(
      res,
      200,
      xml('ListVersionsResult', {
        Name: b.name,
        Prefix: prefix,
        KeyMarker: keyMarker,
        VersionIdMarker: vidMarker,
        MaxKeys: max,
        IsTruncated: truncated,
        NextKeyMarker: truncated ? lastE?.key : undefined,
        NextVersionIdMarker: truncated ? lastE?.v.versionId : undefined,
        Version: page
          .filter((e) => !e.v.deleteMarker)
          .map((e) => ({
            Key: e.key,
            VersionId: e.v.versionId,
            IsLatest: e.latest,
            LastModified: e.v.lastModified,
            ETag: e.v.etag,
            Size: e.v.size,
            StorageClass: 'STANDARD',
          })),
        DeleteMarker: page
          .filter((e) => e.v.deleteMarker)
          .map((e) => ({ Key: e.key, VersionId: e.v.versionId, IsLatest: e.latest, LastModified: e.v.lastModified })),
      }),
    );
  }

  private fail(req: IncomingMessage, res: ServerResponse, e: unknown): void {
    const err =
      e instanceof S3Error ? e : new S3Error(500, 'InternalError', e instanceof Error ? e.message : String(e));
    if (res.headersSent) return void res.destroy();
    // drain what the client is still sending, so it reads our answer instead of a reset
    req.resume();
    const head = req.method === 'HEAD';
    send(
      res,
      err.status,
      head
        ? ''
        : xml('Error', { Code: err.code, Message: err.message, Resource: req.url, RequestId: 'lab' }).replace(
            ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"',
            '',
          ),
      err.headers,
      head,
    );
  }
}

function bypass(req: IncomingMessage): boolean {
  return String(req.headers['x-amz-bypass-governance-retention'] ?? '').toLowerCase() === 'true';
}

function objectHeaders(v: Version): Record<string, string> {
  const h: Record<string, string> = {
    ETag: v.etag,
    'Last-Modified': httpDate(v.lastModified),
    'Content-Type': v.contentType ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    'x-amz-version-id': v.versionId,
  };
  if (v.retention) {
    h['x-amz-object-lock-mode'] = v.retention.mode;
    h['x-amz-object-lock-retain-until-date'] = v.retention.until;
  }
  if (v.legalHold) h['x-amz-object-lock-legal-hold'] = v.legalHold;
  for (const [k, val] of Object.entries(v.metadata)) h[`x-amz-meta-${k}`] = val;
  return h;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = {},
  headOnly = false,
): void {
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  const h: Record<string, string> = { 'x-amz-request-id': 'lab', ...headers };
  if (data.length && !h['Content-Type']) h['Content-Type'] = 'application/xml';
  if (!headOnly) h['Content-Length'] = String(data.length);
  res.writeHead(status, h);
  res.end(headOnly ? undefined : data);
}
