import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectKube } from '../../../src/kube/client-node.js';
import type { KubeApi } from '../../../src/kube/kube-api.js';
import { eventually } from '../../../test/support/eventually.js';
import { FakeClock } from '../../../test/support/fakes/fake-clock.js';
import { FakeObjectStore } from '../../../test/support/fakes/fake-object-store.js';
import { LabApiServer } from '../src/apiserver/server.js';
import { labKubeconfig } from '../src/kubeconfig.js';
import { startVelero, type VeleroHandle } from '../src/velero/controller.js';
import { installVeleroCrds } from '../src/velero/crds.js';
import { backupKeys } from '../src/velero/layout.js';

const V = (kind: string) => ({ apiVersion: 'velero.io/v1', kind });
// years from the machine's time, so that a timestamp the lab read off the machine cannot pass for it
const T0 = new Date('2031-03-04T05:06:07Z');
const at = (ms: number): string => new Date(T0.getTime() + ms).toISOString().replace(/\.\d+Z$/, 'Z');
const MIN = 60_000;

/** The lab Velero reads time only from its injected clock: timestamps, TTLs, validation and sync periods. */
describe('lab Velero on an injected clock', () => {
  let api: LabApiServer;
  let kube: KubeApi;
  let clock: FakeClock;
  let store: FakeObjectStore;
  let velero: VeleroHandle | undefined;

  beforeEach(async () => {
    api = new LabApiServer();
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-velero-clock-'));
    await writeFile(join(dir, 'kubeconfig'), labKubeconfig(await api.listen(0)));
    kube = connectKube({ kubeconfig: join(dir, 'kubeconfig') });
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'velero' } });
    await installVeleroCrds(kube);
    await kube.create({
      ...V('BackupStorageLocation'),
      metadata: { name: 'default', namespace: 'velero' },
      spec: { provider: 'aws', default: true, objectStorage: { bucket: 'fake' }, validationFrequency: '1m' },
    });
    clock = new FakeClock(T0);
    store = new FakeObjectStore({ now: () => clock.now() });
  });
  afterEach(async () => {
    await velero?.stop();
    velero = undefined;
    await api.close();
  });

  const start = async (syncMs = 100 * MIN): Promise<void> => {
    velero = await startVelero(kube, { gate: 'none', clock, storeFor: async () => store, syncMs });
  };
  const get = (kind: string, name: string) => kube.get({ ...V(kind), namespace: 'velero', name });
  const ended = (kind: string, name: string) =>
    eventually(async () => {
      const o = await get(kind, name);
      return ['Completed', 'PartiallyFailed', 'Failed'].includes(String(o?.status?.phase)) ? o : undefined;
    }, `${kind} ${name} to end`);
  const validatedAt = async (): Promise<string> =>
    String((await get('BackupStorageLocation', 'default'))?.status?.lastValidationTime);

  it("stamps a Backup's start, expiration (start + spec.ttl) and completion from the clock", async () => {
    await start();
    await kube.create({ ...V('Backup'), metadata: { name: 'b1', namespace: 'velero' }, spec: { ttl: '2h0m0s' } });
    const b = await ended('Backup', 'b1');
    expect(b.status.phase).toBe('Completed');
    expect(b.status.startTimestamp).toBe(at(0));
    expect(b.status.expiration).toBe(at(120 * MIN));
    expect(b.status.completionTimestamp).toBe(at(0));
    // the copy in the store says the same
    const stored = JSON.parse((await store.get(backupKeys('', 'b1').metadata))!.toString());
    expect(stored.status.expiration).toBe(at(120 * MIN));
  });

  it('validates the BSL again only once its validationFrequency has passed on the clock', async () => {
    await start();
    await eventually(async () => (await validatedAt()) === at(0), 'the first validation');
    clock.advance(MIN / 2);
    // a whole pass of the loop after the advance: the backup is taken in the same passes as validation
    await kube.create({ ...V('Backup'), metadata: { name: 'b2', namespace: 'velero' }, spec: {} });
    await ended('Backup', 'b2');
    expect(await validatedAt()).toBe(at(0));
    clock.advance(MIN / 2 + 1000);
    await eventually(async () => (await validatedAt()) === at(MIN + 1000), 'the second validation');
  });

  it("stamps a Restore's start and completion, and a DownloadRequest's expiration, from the clock", async () => {
    await start();
    await kube.create({ ...V('Backup'), metadata: { name: 'b3', namespace: 'velero' }, spec: {} });
    await ended('Backup', 'b3');
    clock.advance(5 * MIN);
    await kube.create({ ...V('Restore'), metadata: { name: 'r3', namespace: 'velero' }, spec: { backupName: 'b3' } });
    const r = await ended('Restore', 'r3');
    expect([r.status.startTimestamp, r.status.completionTimestamp]).toEqual([at(5 * MIN), at(5 * MIN)]);
    await kube.create({
      ...V('DownloadRequest'),
      metadata: { name: 'd3', namespace: 'velero' },
      spec: { target: { kind: 'BackupLog', name: 'b3' } },
    });
    const d = await eventually(async () => {
      const o = await get('DownloadRequest', 'd3');
      return o?.status?.phase === 'Processed' ? o : undefined;
    }, 'the download request');
    expect(d.status.expiration).toBe(at(15 * MIN));
  });

  it('syncs a backup still finalizing in the store only once the clock passes its expiration', async () => {
    const put = (name: string, status: Record<string, unknown>) =>
      store.put(
        backupKeys('', name).metadata,
        JSON.stringify({ ...V('Backup'), metadata: { name, namespace: 'velero' }, spec: {}, status }),
      );
    await put('a-finalizing', { phase: 'Finalizing', expiration: at(60 * MIN) });
    await put('z-marker', { phase: 'Completed', expiration: at(60 * MIN) });
    await start(10 * MIN);
    // the first sync: the Completed one comes in, after the finalizing one (in key order) was passed over
    await eventually(async () => !!(await get('Backup', 'z-marker')), 'the first sync');
    expect(await get('Backup', 'a-finalizing')).toBeUndefined();
    clock.advance(61 * MIN);
    const synced = await eventually(async () => await get('Backup', 'a-finalizing'), 'the expired backup to sync');
    expect(synced.status.phase).toBe('PartiallyFailed');
  });
});
