import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirHistory, parseHistoryLocation, S3History, type HistoryStore } from '../../src/history/store.js';
import { S3_TARGETS, uniqueBucket, type S3Target } from '../contract/s3/targets.js';
import { rec } from '../support/history.js';

async function roundTrip(store: HistoryStore): Promise<void> {
  // appended out of order: listing sorts by start time
  await store.append(rec('b', 2, 30));
  await store.append(rec('a', 0, 10));
  await store.append(rec('a', 1, 20, 'fail'));
  expect((await store.list()).map((r) => r.runId)).toEqual(['r0', 'r1', 'r2']);
  expect(await store.list('a')).toEqual([rec('a', 0, 10), rec('a', 1, 20, 'fail')]);
  expect(await store.list('nope')).toEqual([]);
}

describe('history location', () => {
  it('takes a directory or s3://bucket/prefix', () => {
    expect(parseHistoryLocation('drill-reports/history')).toEqual({ kind: 'dir', dir: 'drill-reports/history' });
    expect(parseHistoryLocation('s3://drills/kdrill/history/')).toEqual({
      kind: 's3',
      bucket: 'drills',
      prefix: 'kdrill/history/',
    });
  });
  it.each([
    ['s3://drills', /has no prefix/],
    ['s3://Bad_Bucket/x', /is not s3:\/\/bucket\/prefix/],
    ['s3://drills/backups/history', /inside Velero's "backups\/" folder/],
    ['s3://drills/team/kopia', /inside Velero's "kopia\/" folder/],
  ])('refuses %s', (spec, msg) => {
    expect(() => parseHistoryLocation(spec)).toThrow(msg);
  });
});

describe('history in a directory', () => {
  it('appends JSON lines and reads them back, surviving a torn line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-history-'));
    const store = new DirHistory(join(dir, 'h'));
    expect(await store.list()).toEqual([]);
    await roundTrip(store);
    const file = join(dir, 'h', 'history.jsonl');
    await writeFile(file, `${await readFile(file, 'utf8')}{"v":1,"scen`);
    expect(await store.list()).toHaveLength(3);
  });
});

for (const spec of S3_TARGETS) {
  describe.skipIf(spec.skip !== undefined)(
    `history in S3: ${spec.name}${spec.skip ? ` (skipped: ${spec.skip})` : ''}`,
    () => {
      let t: S3Target;
      beforeAll(async () => {
        t = await spec.start();
      });
      afterAll(() => t?.stop());

      it('one object per run under the prefix, outside Velero folders, listed back in order', async () => {
        const bucket = uniqueBucket('hist');
        const s = t.store(bucket);
        await s.createBucket({ objectLock: false });
        const loc = parseHistoryLocation(`s3://${bucket}/kdrill-history`);
        if (loc.kind !== 's3') throw new Error('expected s3');
        const store = new S3History(s, loc);
        expect(store.where).toBe(`s3://${bucket}/kdrill-history/`);
        await roundTrip(store);
        const keys: string[] = [];
        for await (const o of s.list('')) keys.push(o.key);
        expect(keys.sort()).toEqual([
          'kdrill-history/a/2026-11-01T020000000Z-r0.json',
          'kdrill-history/a/2026-11-02T020000000Z-r1.json',
          'kdrill-history/b/2026-11-03T020000000Z-r2.json',
        ]);
      });
    },
  );
}
