import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from '../core.js';

export type LockMode = 'GOVERNANCE' | 'COMPLIANCE';

export interface Version {
  versionId: string; // 'null' for objects written while versioning was off
  deleteMarker: boolean;
  size: number;
  etag: string; // quoted md5 hex
  lastModified: string;
  contentType?: string;
  metadata: Record<string, string>;
  retention?: { mode: LockMode; until: string };
  legalHold?: 'ON' | 'OFF';
  /** Body in memory, when the store has no dir. */
  body?: Buffer;
}

export interface Bucket {
  name: string;
  created: string;
  versioning?: 'Enabled' | 'Suspended';
  objectLock: boolean;
  defaultRetention?: { mode: LockMode; days?: number; years?: number };
  /** key → versions, oldest first */
  objects: Map<string, Version[]>;
}

/**
 * Buckets and object versions for the embedded S3. With a dir, bodies live in files and the index in
 * one JSON file written atomically after each change, so data survives a lab restart.
 */
export class S3Store {
  private readonly buckets = new Map<string, Bucket>();
  private readonly dir?: string;
  private readonly clock: Clock;
  private dirty = false;
  private flushTimer?: ReturnType<typeof setTimeout>;

  constructor(dir?: string, clock: Clock = systemClock) {
    this.dir = dir;
    this.clock = clock;
    if (dir) {
      mkdirSync(join(dir, 'data'), { recursive: true });
      this.load();
    }
  }

  bucket(name: string): Bucket | undefined {
    return this.buckets.get(name);
  }

  allBuckets(): Bucket[] {
    return [...this.buckets.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  createBucket(name: string, objectLock: boolean): Bucket {
    const b: Bucket = {
      name,
      created: this.clock.now().toISOString(),
      objectLock,
      versioning: objectLock ? 'Enabled' : undefined,
      objects: new Map(),
    };
    this.buckets.set(name, b);
    this.changed();
    return b;
  }

  deleteBucket(name: string): void {
    this.buckets.delete(name);
    this.changed();
  }

  newVersionId(b: Bucket): string {
    return b.versioning === 'Enabled' ? randomBytes(16).toString('base64url') : 'null';
  }

  /** Adds a version; a 'null' version replaces the previous 'null' one, as S3 does. */
  addVersion(b: Bucket, key: string, v: Version, body?: Buffer): void {
    let list = b.objects.get(key);
    if (!list) b.objects.set(key, (list = []));
    if (v.versionId === 'null') {
      const i = list.findIndex((x) => x.versionId === 'null');
      if (i >= 0) this.dropBody(list.splice(i, 1)[0]!);
    }
    if (body && !v.deleteMarker) {
      if (this.dir) writeFileSync(this.bodyPath(b, key, v.versionId), body);
      else v.body = body;
    }
    list.push(v);
    this.changed();
  }

  removeVersion(b: Bucket, key: string, versionId: string): Version | undefined {
    const list = b.objects.get(key);
    const i = list?.findIndex((x) => x.versionId === versionId) ?? -1;
    if (!list || i < 0) return undefined;
    const [v] = list.splice(i, 1);
    if (list.length === 0) b.objects.delete(key);
    this.dropBody(v!, b, key);
    this.changed();
    return v;
  }

  readBody(b: Bucket, key: string, v: Version): Buffer {
    if (v.body) return v.body;
    if (this.dir) return readFileSync(this.bodyPath(b, key, v.versionId));
    return Buffer.alloc(0);
  }

  changed(): void {
    if (!this.dir) return;
    this.dirty = true;
    // a debounce of the index write, not a time anyone reads: Node's timer, whatever the clock
    this.flushTimer ??= setTimeout(() => this.flush(), 20);
  }

  /** Writes the index now (on shutdown, and after a short debounce otherwise). */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (!this.dir || !this.dirty) return;
    const index = this.allBuckets().map((b) => ({
      ...b,
      objects: [...b.objects.entries()].map(([k, vs]) => [k, vs.map(({ body: _b, ...rest }) => rest)]),
    }));
    const tmp = join(this.dir, 'index.json.tmp');
    writeFileSync(tmp, JSON.stringify(index));
    renameSync(tmp, join(this.dir, 'index.json'));
    this.dirty = false;
  }

  private load(): void {
    const f = join(this.dir!, 'index.json');
    if (!existsSync(f)) return;
    const index = JSON.parse(readFileSync(f, 'utf8')) as (Omit<Bucket, 'objects'> & {
      objects: [string, Version[]][];
    })[];
    for (const b of index) this.buckets.set(b.name, { ...b, objects: new Map(b.objects) });
  }

  private bodyPath(b: Bucket, key: string, versionId: string): string {
    // one file per version; the name is a hash so any key is a valid file name
    const id = Buffer.from(`${b.name}\u0000${key}\u0000${versionId}`).toString('base64url');
    return join(this.dir!, 'data', id.length > 200 ? createHash('sha256').update(id).digest('hex') : id);
  }

  private dropBody(v: Version, b?: Bucket, key?: string): void {
    if (this.dir && b && key && !v.deleteMarker) rmSync(this.bodyPath(b, key, v.versionId), { force: true });
  }
}
