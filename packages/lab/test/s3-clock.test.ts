import { afterEach, describe, expect, it } from 'vitest';
import { AwsObjectStore } from '../../../src/backupstore/aws-object-store.js';
import { FakeClock } from '../../../test/support/fakes/fake-clock.js';
import { LabS3Server } from '../src/s3/server.js';

const credentials = { accessKeyId: 'LABCLOCKKEY', secretAccessKey: 'lab-clock-secret' };
const HOUR = 3600_000;

/** The lab S3 decides by its injected clock, never the machine's: Object Lock, Last-Modified, URL expiry. */
describe('lab S3 on an injected clock', () => {
  let s3: LabS3Server | undefined;
  afterEach(async () => {
    await s3?.close();
    s3 = undefined;
  });

  const start = async (clock: FakeClock): Promise<AwsObjectStore> => {
    s3 = new LabS3Server({ credentials, clock });
    const endpoint = await s3.listen(0);
    const store = new AwsObjectStore({
      endpoint,
      region: 'us-east-1',
      bucket: 'clocked',
      prefix: '',
      forcePathStyle: true,
      credentials,
    });
    await store.createBucket({ objectLock: true });
    return store;
  };

  it('refuses to delete a locked version until its clock passes the retain-until, then deletes it', async () => {
    // years ahead of the machine: a decision by the machine's time would refuse both deletes
    const clock = new FakeClock(new Date('2031-03-04T05:06:07Z'));
    const store = await start(clock);
    const until = new Date(clock.now().getTime() + HOUR);
    const { versionId } = await store.put('locked.txt', 'x', { retention: { mode: 'COMPLIANCE', until } });
    expect(await store.deleteVersion('locked.txt', versionId!)).toBe('refused');
    clock.advance(HOUR - 1000);
    expect(await store.deleteVersion('locked.txt', versionId!)).toBe('refused');
    clock.advance(2000);
    expect(await store.deleteVersion('locked.txt', versionId!)).toBe('deleted');
  });

  it('judges "the retain until date must be in the future" by its clock', async () => {
    const clock = new FakeClock(new Date('2031-03-04T05:06:07Z'));
    const store = await start(clock);
    // after the machine's now, before the server's: in the past for the server
    const until = new Date('2030-01-01T00:00:00Z');
    await expect(store.put('late.txt', 'x', { retention: { mode: 'GOVERNANCE', until } })).rejects.toThrow(
      /InvalidArgument/,
    );
    const later = new Date(clock.now().getTime() + 60_000);
    await expect(
      store.put('late.txt', 'x', { retention: { mode: 'GOVERNANCE', until: later } }),
    ).resolves.toBeDefined();
  });

  it('stamps Last-Modified and counts the default retention from its clock', async () => {
    const clock = new FakeClock(new Date('2031-03-04T05:06:07Z'));
    const store = await start(clock);
    await store.setDefaultRetention('GOVERNANCE', 2);
    const { versionId } = await store.put('a.txt', 'a');
    const listed = [];
    for await (const o of store.list('')) listed.push(o);
    expect(listed.map((o) => o.lastModified.toISOString())).toEqual(['2031-03-04T05:06:07.000Z']);
    const lock = await store.lockOf('a.txt', versionId!);
    expect(lock.retainUntil?.toISOString()).toBe('2031-03-06T05:06:07.000Z');
  });

  it('expires a pre-signed URL when its clock, not the machine, passes the expiry', async () => {
    const clock = new FakeClock(new Date());
    const store = await start(clock);
    await store.put('dl.txt', 'hello');
    const url = await store.presignGet('dl.txt', 60);
    expect((await fetch(url)).status).toBe(200);
    clock.advance(61_000);
    const late = await fetch(url);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('Request has expired');
  });
});
