import { createHash } from 'node:crypto';
import { Agent as HttpsAgent } from 'node:https';
import { Agent as HttpAgent } from 'node:http';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { IDLE_SOCKET_MS } from '../http/idle-socket.js';
import { DrillError, ExitCode } from '../errors.js';
import { systemClock, type Clock } from '../time/clock.js';
import { s3Error } from './errors.js';
import { SignedHead } from './signed-head.js';
import type {
  BucketProtection,
  LockMode,
  ObjectLock,
  ObjectStore,
  ObjectVersion,
  PutOptions,
  S3Settings,
  StoredObject,
} from './object-store.js';

type Deadline = { abortSignal: AbortSignal };

/** Requests in flight in an audit unless told otherwise (`kdrill audit --concurrency`, a drill's preflight). */
export const DEFAULT_POOL = 32;

const name = (e: unknown): string => (e as { name?: string }).name ?? '';
// RGW answers "no lock configuration" with its own code (../shared/rgw/README.md); both mean none.
const NO_LOCK = new Set(['NoSuchObjectLockConfiguration', 'ObjectLockConfigurationNotFoundError']);

/**
 * The one adapter over @aws-sdk/client-s3. Path-style, checksums only when required (S3-compatible
 * servers reject the SDK's default streaming checksums), a custom CA or skipped TLS checks as the BSL
 * says, and the SDK's standard retries (503 SlowDown, 5xx, timeouts) with more attempts.
 */
export class AwsObjectStore implements ObjectStore {
  readonly settings: Readonly<Omit<S3Settings, 'credentials'>>;
  private readonly s3: S3Client;
  // the audit's one request per version, without the SDK's stack; undefined for AWS and virtual-hosted
  private readonly signedHead?: SignedHead;

  private readonly timeoutMs: number;
  private readonly clock: Clock;

  constructor(
    s: S3Settings,
    opts: { maxAttempts?: number; maxSockets?: number; timeoutMs?: number; idleSocketMs?: number; clock?: Clock } = {},
  ) {
    const { credentials, ...rest } = s;
    this.settings = rest;
    this.clock = opts.clock ?? systemClock;
    const fromEnv = Number(process.env.KDRILL_REQUEST_TIMEOUT);
    this.timeoutMs = opts.timeoutMs ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv * 1000 : 30_000);
    // keep-alive sockets for the pool that uses them (the audit's 32 requests in flight by default); the
    // store lives the whole run, so a socket left idle through a long recovery is closed by kdrill first
    const maxSockets = opts.maxSockets ?? DEFAULT_POOL;
    const timeout = opts.idleSocketMs ?? IDLE_SOCKET_MS;
    const httpAgent = new HttpAgent({ keepAlive: true, maxSockets, timeout });
    const httpsAgent = new HttpsAgent({
      keepAlive: true,
      maxSockets,
      timeout,
      ca: s.caCert,
      rejectUnauthorized: !s.insecureSkipTLSVerify,
    });
    const maxAttempts = opts.maxAttempts ?? 5;
    this.s3 = new S3Client({
      endpoint: s.endpoint,
      region: s.region,
      forcePathStyle: s.forcePathStyle,
      credentials,
      maxAttempts,
      retryMode: 'standard',
      requestChecksumCalculation: s.endpoint ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: new NodeHttpHandler({
        httpAgent,
        httpsAgent,
        // socket-level limits inside the HTTP handler (a connect that hangs, a socket gone idle): Node's
        // own timers on the socket, below the Clock; the deadline that counts is withDeadline's
        connectionTimeout: 5000,
        requestTimeout: this.timeoutMs,
      }),
    });
    if (s.endpoint && s.forcePathStyle) {
      this.signedHead = new SignedHead({
        endpoint: s.endpoint,
        region: s.region,
        bucket: s.bucket,
        credentials: () => this.s3.config.credentials(),
        agent: s.endpoint.startsWith('https:') ? httpsAgent : httpAgent,
        maxAttempts,
        clock: this.clock,
      });
    }
  }

  /**
   * One deadline per operation, its retries included: a server that accepts and never answers is given
   * up on once. Cleared when the operation settles, so no timer outlives it.
   */
  private async withDeadline<T>(fn: (d: Deadline) => Promise<T>): Promise<T> {
    const ac = new AbortController();
    // the reason AbortSignal.timeout gives, so the SDK's error reads the same
    const t = this.clock.timeout(
      () => ac.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
      this.timeoutMs,
    );
    try {
      return await fn({ abortSignal: ac.signal });
    } finally {
      t.clear();
    }
  }

  private async call<T>(what: string, fn: (d: Deadline) => Promise<T>): Promise<T> {
    try {
      return await this.withDeadline(fn);
    } catch (e) {
      throw s3Error(e, this.settings, what);
    }
  }

  async checkAccess(): Promise<void> {
    // a GET, not a HEAD: only a body says whether the keys or the permissions are wrong
    const r = await this.call('reach the bucket', (d) =>
      this.s3.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, MaxKeys: 1 }), d),
    );
    // a web page answers 200 too; only S3 names the bucket in a ListBucketResult
    if (r.Name !== this.settings.bucket) {
      throw new DrillError(
        'S3_NOT_S3',
        `the endpoint ${this.settings.endpoint ?? ''} answered HTTP ${r.$metadata.httpStatusCode ?? '?'} but does not speak S3`,
        ExitCode.Precondition,
        { hint: 'check the URL: it should be the S3 API endpoint, not a console or web UI' },
      );
    }
  }

  async createBucket(opts: { objectLock: boolean }): Promise<void> {
    await this.call('create the bucket', (d) =>
      this.s3.send(
        new CreateBucketCommand({ Bucket: this.settings.bucket, ObjectLockEnabledForBucket: opts.objectLock }),
        d,
      ),
    );
  }

  async setDefaultRetention(mode: LockMode, days: number): Promise<void> {
    await this.call('set the default retention', (d) =>
      this.s3.send(
        new PutObjectLockConfigurationCommand({
          Bucket: this.settings.bucket,
          ObjectLockConfiguration: {
            ObjectLockEnabled: 'Enabled',
            Rule: { DefaultRetention: { Mode: mode, Days: days } },
          },
        }),
        d,
      ),
    );
  }

  async protection(): Promise<BucketProtection> {
    const v = await this.call('read versioning', (d) =>
      this.s3.send(new GetBucketVersioningCommand({ Bucket: this.settings.bucket }), d),
    );
    let lock: BucketProtection['defaultRetention'];
    let objectLock = false;
    try {
      const c = await this.withDeadline((d) =>
        this.s3.send(new GetObjectLockConfigurationCommand({ Bucket: this.settings.bucket }), d),
      );
      objectLock = c.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
      const r = c.ObjectLockConfiguration?.Rule?.DefaultRetention;
      if (r?.Mode) lock = { mode: r.Mode, days: r.Days, years: r.Years };
    } catch (e) {
      if (!NO_LOCK.has(name(e))) throw s3Error(e, this.settings, 'read the Object Lock configuration');
    }
    return { versioning: v.Status ?? 'Off', objectLock, defaultRetention: lock };
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      const r = await this.call('list objects', (d) =>
        this.s3.send(
          new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: prefix, ContinuationToken: token }),
          d,
        ),
      );
      for (const o of r.Contents ?? [])
        yield { key: o.Key ?? '', size: o.Size ?? 0, etag: o.ETag ?? '', lastModified: o.LastModified ?? new Date(0) };
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  /** One page of versions and delete markers, in S3's order: by key, newest first. */
  private async versionPage(
    prefix: string,
    keyMarker: string | undefined,
    versionMarker: string | undefined,
  ): Promise<{ page: ObjectVersion[]; next?: { keyMarker?: string; versionMarker?: string } }> {
    const r = await this.call('list object versions', (d) =>
      this.s3.send(
        new ListObjectVersionsCommand({
          Bucket: this.settings.bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
        d,
      ),
    );
    const page: ObjectVersion[] = [
      ...(r.Versions ?? []).map((v) => ({
        key: v.Key ?? '',
        versionId: v.VersionId ?? 'null',
        isLatest: !!v.IsLatest,
        deleteMarker: false,
        size: v.Size ?? 0,
        etag: v.ETag ?? '',
        lastModified: v.LastModified ?? new Date(0),
      })),
      ...(r.DeleteMarkers ?? []).map((d) => ({
        key: d.Key ?? '',
        versionId: d.VersionId ?? 'null',
        isLatest: !!d.IsLatest,
        deleteMarker: true,
        size: 0,
        etag: '',
        lastModified: d.LastModified ?? new Date(0),
      })),
    ];
    // the SDK splits versions and markers; S3's order is by key, newest first
    page.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : b.lastModified.getTime() - a.lastModified.getTime()));
    return {
      page,
      next: r.IsTruncated ? { keyMarker: r.NextKeyMarker, versionMarker: r.NextVersionIdMarker } : undefined,
    };
  }

  /** Page by page; the next page is asked for while this one is read, so an audit's pool does not wait on it. */
  async *listVersions(prefix: string): AsyncIterable<ObjectVersion> {
    let current = await this.versionPage(prefix, undefined, undefined);
    for (;;) {
      const n = current.next;
      const ahead = n ? this.versionPage(prefix, n.keyMarker, n.versionMarker) : undefined;
      ahead?.catch(() => undefined); // awaited below, unless the reader stops first
      yield* current.page;
      if (!ahead) return;
      current = await ahead;
    }
  }

  async lockOf(key: string, versionId: string): Promise<ObjectLock> {
    const fast = this.signedHead;
    if (fast) {
      let h: Awaited<ReturnType<SignedHead['head']>>;
      try {
        h = await fast.head(key, versionId, this.timeoutMs);
      } catch (e) {
        throw s3Error(e, this.settings, `read the lock of ${key}`);
      }
      const mode = h['x-amz-object-lock-mode'];
      const until = h['x-amz-object-lock-retain-until-date'];
      // to the millisecond, truncated (RGW gives microseconds): a lock is never read as longer than it is
      const retainUntil = typeof until === 'string' ? new Date(until) : undefined;
      if (retainUntil && Number.isNaN(retainUntil.getTime())) {
        throw new DrillError(
          'S3_ERROR',
          `S3 answered an unreadable retain-until date for ${key} in bucket "${this.settings.bucket}": ${until}`,
          ExitCode.Precondition,
          { hint: 'the store does not follow the S3 API for Object Lock; its locks cannot be checked' },
        );
      }
      return {
        mode: mode === 'GOVERNANCE' || mode === 'COMPLIANCE' ? mode : undefined,
        retainUntil,
        legalHold: h['x-amz-object-lock-legal-hold'] === 'ON',
      };
    }
    const h = await this.call(`read the lock of ${key}`, (d) =>
      this.s3.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: key, VersionId: versionId }), d),
    );
    return {
      mode: h.ObjectLockMode,
      retainUntil: h.ObjectLockRetainUntilDate,
      legalHold: h.ObjectLockLegalHoldStatus === 'ON',
    };
  }

  async get(key: string, versionId?: string): Promise<Buffer | undefined> {
    try {
      // the body is read under the same deadline as the request
      return await this.withDeadline(async (d) => {
        const r = await this.s3.send(
          new GetObjectCommand({ Bucket: this.settings.bucket, Key: key, VersionId: versionId }),
          d,
        );
        return Buffer.from(await r.Body!.transformToByteArray());
      });
    } catch (e) {
      if (name(e) === 'NoSuchKey' || name(e) === 'NoSuchVersion') return undefined;
      throw s3Error(e, this.settings, `read ${key}`);
    }
  }

  async put(key: string, body: Buffer | string, opts: PutOptions = {}): Promise<{ versionId?: string; etag: string }> {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    const r = await this.call(`write ${key}`, (d) =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: this.settings.bucket,
          Key: key,
          Body: data,
          ContentType: opts.contentType,
          // AWS requires an integrity header on writes with lock parameters; MD5 works everywhere
          ContentMD5: createHash('md5').update(data).digest('base64'),
          ObjectLockMode: opts.retention?.mode,
          ObjectLockRetainUntilDate: opts.retention?.until,
          ObjectLockLegalHoldStatus: opts.legalHold === undefined ? undefined : opts.legalHold ? 'ON' : 'OFF',
        }),
        d,
      ),
    );
    return { versionId: r.VersionId, etag: r.ETag ?? '' };
  }

  async delete(key: string): Promise<void> {
    await this.call(`delete ${key}`, (d) =>
      this.s3.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }), d),
    );
  }

  async deleteVersion(
    key: string,
    versionId: string,
    opts: { bypassGovernance?: boolean } = {},
  ): Promise<'deleted' | 'refused'> {
    try {
      await this.withDeadline((d) =>
        this.s3.send(
          new DeleteObjectCommand({
            Bucket: this.settings.bucket,
            Key: key,
            VersionId: versionId,
            BypassGovernanceRetention: opts.bypassGovernance,
          }),
          d,
        ),
      );
      return 'deleted';
    } catch (e) {
      if (name(e) === 'AccessDenied') return 'refused';
      throw s3Error(e, this.settings, `delete ${key}@${versionId}`);
    }
  }

  async presignGet(key: string, expiresSeconds: number): Promise<string> {
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.settings.bucket, Key: key }), {
      expiresIn: expiresSeconds,
    });
  }
}
