import { describe, expect, it } from 'vitest';
import type { ObjectStore, S3Settings } from '../../src/backupstore/object-store.js';
import { storeReuse } from '../../src/backupstore/store-cache.js';

const settings = (over: Partial<S3Settings> = {}): S3Settings => ({
  endpoint: 'http://127.0.0.1:9000',
  region: 'us-east-1',
  bucket: 'velero',
  prefix: 'cluster-a/',
  forcePathStyle: true,
  credentials: { accessKeyId: 'AKIA1', secretAccessKey: 'one' },
  ...over,
});

describe('one object store per BSL settings in a run', () => {
  it('reuses the store for the same settings read again, and makes a new one when anything changed', () => {
    const made: S3Settings[] = [];
    const store = storeReuse((s) => {
      made.push(s);
      return { settings: s } as unknown as ObjectStore;
    });
    const a = store(settings());
    expect(store(settings())).toBe(a); // read again from the cluster: equal, not the same object
    expect(made).toHaveLength(1);
    // rotated credentials, another prefix, another endpoint: each its own client
    const rotated = store(settings({ credentials: { accessKeyId: 'AKIA1', secretAccessKey: 'two' } }));
    expect(rotated).not.toBe(a);
    expect(store(settings({ prefix: 'cluster-b/' }))).not.toBe(a);
    expect(store(settings({ endpoint: 'http://127.0.0.1:9001' }))).not.toBe(a);
    expect(made).toHaveLength(4);
    expect(store(settings({ credentials: { accessKeyId: 'AKIA1', secretAccessKey: 'two' } }))).toBe(rotated);
  });
});
