import { createHash } from 'node:crypto';
import { s3Error } from '../../../src/backupstore/errors.js';
import type {
  BucketProtection,
  LockMode,
  ObjectLock,
  ObjectStore,
  ObjectVersion,
  PutOptions,
  S3Settings,
  StoredObject,
} from '../../../src/backupstore/object-store.js';

export interface FakeObjectStoreOptions {
  bucket?: string;
  prefix?: string;
  /** Object Lock implies versioning, as on S3. */
  objectLock?: boolean;
  versioning?: boolean;
  endpoint?: string;
  /** What retention and lastModified are measured against. */
  now?: () => Date;
}

export type StoreOp = 'put' | 'get' | 'delete' | 'deleteVersion' | 'list' | 'listVersions' | 'lockOf';

export interface StoreCall {
  op: StoreOp;
  key: string; // the prefix, for list and listVersions
  versionId?: string;
}

interface Version {
  versionId: string;
  body?: Buffer; // undefined: a delete marker
  etag: string;
  lastModified: Date;
  mode?: LockMode;
  retainUntil?: Date;
  legalHold: boolean;
}

const DAY_MS = 86_400_000;

/** An S3 failure as the SDK reports it, turned into the DrillError the real adapter throws. */
function failure(
  name: string,
  status: number,
  settings: Pick<S3Settings, 'endpoint' | 'bucket'>,
  what: string,
  code?: string,
): Error {
  return s3Error(Object.assign(new Error(name), { name, code, $metadata: { httpStatusCode: status } }), settings, what);
}

/**
 * An in-memory, versioned ObjectStore with Object Lock: retention (GOVERNANCE, COMPLIANCE), legal
 * holds, delete markers and default retention behave as on S3. Failures are the adapter's DrillErrors.
 */
export class FakeObjectStore implements ObjectStore {
  readonly settings: Readonly<Omit<S3Settings, 'credentials'>>;
  /** Every operation on objects, in order. */
  readonly calls: StoreCall[] = [];
  /** When true, every operation fails as if the endpoint did not answer (exit 4). */
  unreachable = false;
  /** Makes get() of the keys it accepts fail, as for an unreadable object. */
  failGet?: (key: string) => boolean;

  private readonly now: () => Date;
  private readonly objectLock: boolean;
  private readonly versioned: boolean;
  private defaultRetention?: { mode: LockMode; days: number };
  private readonly keys = new Map<string, Version[]>(); // oldest first
  private serial = 0;

  constructor(opts: FakeObjectStoreOptions = {}) {
    const prefix = opts.prefix ?? '';
    this.settings = {
      endpoint: opts.endpoint ?? 'https://s3.fake.invalid',
      region: 'us-east-1',
      bucket: opts.bucket ?? 'fake',
      prefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix,
      forcePathStyle: true,
    };
    this.objectLock = opts.objectLock ?? true;
    this.versioned = this.objectLock || (opts.versioning ?? true);
    this.now = opts.now ?? (() => new Date());
  }

  /** Sets or releases the legal hold of one version. */
  setLegalHold(key: string, versionId: string, on: boolean): void {
    const v = this.version(key, versionId);
    if (!v) throw new Error(`no version ${versionId} of ${key}`);
    v.legalHold = on;
  }

  async checkAccess(): Promise<void> {
    this.reach('reach the bucket');
  }

  async createBucket(_opts: { objectLock: boolean }): Promise<void> {
    this.reach('create the bucket');
  }

  async setDefaultRetention(mode: LockMode, days: number): Promise<void> {
    this.reach('set the default retention');
    if (!this.objectLock) throw failure('InvalidBucketState', 409, this.settings, 'set the default retention');
    this.defaultRetention = { mode, days };
  }

  async protection(): Promise<BucketProtection> {
    this.reach('read versioning');
    return {
      versioning: this.versioned ? 'Enabled' : 'Off',
      objectLock: this.objectLock,
      defaultRetention: this.defaultRetention && { ...this.defaultRetention },
    };
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    this.calls.push({ op: 'list', key: prefix });
    this.reach('list objects');
    for (const key of this.sortedKeys(prefix)) {
      const latest = this.keys.get(key)!.at(-1)!;
      if (latest.body)
        yield { key, size: latest.body.length, etag: latest.etag, lastModified: new Date(latest.lastModified) };
    }
  }

  async *listVersions(prefix: string): AsyncIterable<ObjectVersion> {
    this.calls.push({ op: 'listVersions', key: prefix });
    this.reach('list object versions');
    for (const key of this.sortedKeys(prefix)) {
      const versions = this.keys.get(key)!;
      for (let i = versions.length - 1; i >= 0; i--) {
        const v = versions[i]!;
        yield {
          key,
          versionId: v.versionId,
          isLatest: i === versions.length - 1,
          deleteMarker: !v.body,
          size: v.body?.length ?? 0,
          etag: v.etag,
          lastModified: new Date(v.lastModified),
        };
      }
    }
  }

  async lockOf(key: string, versionId: string): Promise<ObjectLock> {
    this.calls.push({ op: 'lockOf', key, versionId });
    this.reach(`read the lock of ${key}`);
    const v = this.version(key, versionId);
    if (!v) throw failure('NotFound', 404, this.settings, `read the lock of ${key}`);
    return { mode: v.mode, retainUntil: v.retainUntil && new Date(v.retainUntil), legalHold: v.legalHold };
  }

  async get(key: string, versionId?: string): Promise<Buffer | undefined> {
    this.calls.push(versionId === undefined ? { op: 'get', key } : { op: 'get', key, versionId });
    this.reach(`read ${key}`);
    if (this.failGet?.(key)) throw failure('InternalError', 500, this.settings, `read ${key}`);
    const v = versionId === undefined ? this.keys.get(key)?.at(-1) : this.version(key, versionId);
    return v?.body && Buffer.from(v.body);
  }

  async put(key: string, body: Buffer | string, opts: PutOptions = {}): Promise<{ versionId?: string; etag: string }> {
    this.calls.push({ op: 'put', key });
    this.reach(`write ${key}`);
    if (!this.objectLock && (opts.retention || opts.legalHold))
      throw failure('InvalidRequest', 400, this.settings, `write ${key}`);
    const data = Buffer.from(body);
    const now = this.now();
    const retention =
      opts.retention ??
      (this.defaultRetention && {
        mode: this.defaultRetention.mode,
        until: new Date(now.getTime() + this.defaultRetention.days * DAY_MS),
      });
    const v: Version = {
      versionId: this.versioned ? `v${++this.serial}` : 'null',
      body: data,
      etag: `"${createHash('md5').update(data).digest('hex')}"`,
      lastModified: now,
      mode: retention?.mode,
      retainUntil: retention && new Date(retention.until),
      legalHold: opts.legalHold ?? false,
    };
    if (this.versioned) this.keys.set(key, [...(this.keys.get(key) ?? []), v]);
    else this.keys.set(key, [v]);
    return { versionId: this.versioned ? v.versionId : undefined, etag: v.etag };
  }

  async delete(key: string): Promise<void> {
    this.calls.push({ op: 'delete', key });
    this.reach(`delete ${key}`);
    if (!this.versioned) {
      this.keys.delete(key);
      return;
    }
    // S3 adds the marker even when the key has no versions
    const marker: Version = { versionId: `v${++this.serial}`, etag: '', lastModified: this.now(), legalHold: false };
    this.keys.set(key, [...(this.keys.get(key) ?? []), marker]);
  }

  async deleteVersion(
    key: string,
    versionId: string,
    opts: { bypassGovernance?: boolean } = {},
  ): Promise<'deleted' | 'refused'> {
    this.calls.push({ op: 'deleteVersion', key, versionId });
    this.reach(`delete ${key}@${versionId}`);
    const v = this.version(key, versionId);
    if (!v) return 'deleted';
    if (v.legalHold) return 'refused';
    const retained =
      v.mode !== undefined && v.retainUntil !== undefined && v.retainUntil.getTime() > this.now().getTime();
    if (retained && (v.mode === 'COMPLIANCE' || !opts.bypassGovernance)) return 'refused';
    const left = this.keys.get(key)!.filter((x) => x !== v);
    if (left.length) this.keys.set(key, left);
    else this.keys.delete(key);
    return 'deleted';
  }

  async presignGet(key: string, _expiresSeconds: number): Promise<string> {
    return `fake://${this.settings.bucket}/${key}`;
  }

  private reach(what: string): void {
    if (this.unreachable) throw failure('Error', 0, this.settings, what, 'ECONNREFUSED');
  }

  private version(key: string, versionId: string): Version | undefined {
    return this.keys.get(key)?.find((v) => v.versionId === versionId);
  }

  private sortedKeys(prefix: string): string[] {
    return [...this.keys.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
