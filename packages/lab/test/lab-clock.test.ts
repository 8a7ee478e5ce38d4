import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsObjectStore } from '../../../src/backupstore/aws-object-store.js';
import { parseAwsCredentials } from '../../../src/backupstore/bsl.js';
import type { KubeApi } from '../../../src/kube/kube-api.js';
import { eventually } from '../../../test/support/eventually.js';
import { FakeClock } from '../../../test/support/fakes/fake-clock.js';
import { startLab, type RunningLab } from '../src/lab.js';

const T0 = new Date('2031-03-04T05:06:07Z');

/** startLab hands its clock to every component: API server, controllers, S3 and Velero. */
describe('a lab on an injected clock', () => {
  const clock = new FakeClock(T0);
  let lab: RunningLab;
  let kube: KubeApi;

  beforeAll(async () => {
    lab = await startLab({ dir: await mkdtemp(join(tmpdir(), 'kdrill-lab-clock-')), seed: false, clock });
    kube = lab.clusters[0]!.kube;
  });
  afterAll(() => lab?.stop());

  it("hands its clock to the API server, the controllers, Velero and S3: every stamp is the clock's", async () => {
    const bsl = () =>
      kube.get({ apiVersion: 'velero.io/v1', kind: 'BackupStorageLocation', namespace: 'velero', name: 'default' });
    // the kubelet starts the Velero pod once its start delay has passed on the clock, then Velero validates
    const validated = await eventually(async () => {
      clock.advance(100);
      return (await bsl())?.status?.lastValidationTime as string | undefined;
    }, 'the BSL to be validated');
    expect(Date.parse(validated)).toBeGreaterThanOrEqual(T0.getTime());
    expect(Date.parse(validated)).toBeLessThan(clock.now().getTime() + 1000);
    const ns = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'velero' });
    expect(ns?.metadata?.creationTimestamp).toBe('2031-03-04T05:06:07Z');
    const credentials = parseAwsCredentials(await readFile(lab.s3.credentialsFile, 'utf8'))!;
    const store = new AwsObjectStore({
      endpoint: lab.s3.endpoint,
      region: 'us-east-1',
      bucket: lab.s3.bucket,
      prefix: '',
      forcePathStyle: true,
      credentials,
    });
    await store.put('probe.txt', 'x');
    const listed = [];
    for await (const o of store.list('probe')) listed.push(o.lastModified.getTime());
    expect(listed).toEqual([clock.now().getTime()]);
  });
});
