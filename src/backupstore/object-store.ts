/** Where backups live: an S3 bucket and a prefix, with how to reach it. No secret is ever printed. */
export interface S3Settings {
  endpoint?: string; // undefined: AWS
  region: string;
  bucket: string;
  prefix: string; // '' or 'a/b/' (always with a trailing slash)
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  insecureSkipTLSVerify?: boolean;
  caCert?: string; // PEM
}

export type LockMode = 'GOVERNANCE' | 'COMPLIANCE';

export interface StoredObject {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
}

export interface ObjectVersion extends StoredObject {
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
}

export interface ObjectLock {
  mode?: LockMode;
  retainUntil?: Date;
  legalHold: boolean;
}

export interface BucketProtection {
  versioning: 'Enabled' | 'Suspended' | 'Off';
  objectLock: boolean;
  defaultRetention?: { mode: LockMode; days?: number; years?: number };
}

export interface PutOptions {
  contentType?: string;
  retention?: { mode: LockMode; until: Date };
  legalHold?: boolean;
}

/**
 * The object store in kdrill's words. One adapter implements it over @aws-sdk/client-s3
 * (aws-object-store.ts). Keys are relative to the bucket, not to the prefix.
 */
export interface ObjectStore {
  readonly settings: Readonly<Omit<S3Settings, 'credentials'>>;
  /** Fails with a DrillError (exit 4) that names the endpoint and bucket when the bucket cannot be used. */
  checkAccess(): Promise<void>;
  createBucket(opts: { objectLock: boolean }): Promise<void>;
  setDefaultRetention(mode: LockMode, days: number): Promise<void>;
  protection(): Promise<BucketProtection>;
  list(prefix: string): AsyncIterable<StoredObject>;
  listVersions(prefix: string): AsyncIterable<ObjectVersion>;
  lockOf(key: string, versionId: string): Promise<ObjectLock>;
  get(key: string, versionId?: string): Promise<Buffer | undefined>;
  put(key: string, body: Buffer | string, opts?: PutOptions): Promise<{ versionId?: string; etag: string }>;
  /** Deletes without a version: on a versioned bucket this only adds a delete marker. */
  delete(key: string): Promise<void>;
  /** Deletes one version; 'refused' when Object Lock (or a legal hold) forbids it. */
  deleteVersion(key: string, versionId: string, opts?: { bypassGovernance?: boolean }): Promise<'deleted' | 'refused'>;
  presignGet(key: string, expiresSeconds: number): Promise<string>;
}
