import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AwsObjectStore } from '../../../../src/backupstore/aws-object-store.js';
import { parseAwsCredentials } from '../../../../src/backupstore/bsl.js';
import type { ObjectStore } from '../../../../src/backupstore/object-store.js';
import type { KubeApi } from '../../../../src/kube/kube-api.js';
import type { KubeObject } from '../../../../src/kube/types.js';
import { eventually } from '../../../../test/support/eventually.js';
import { startLab, type RunningLab } from '../../src/lab.js';
import { startVelero, type VeleroHandle, type VeleroOptions } from '../../src/velero/controller.js';
import { installVeleroCrds } from '../../src/velero/crds.js';
import { backupKeys, restoreKeys } from '../../src/velero/layout.js';
import { tarGz } from '../../src/velero/tar.js';
import type { VeleroVersion } from '../../src/velero/versions.js';

export const V = (kind: string) => ({ apiVersion: 'velero.io/v1', kind });
const TERMINAL = ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation'];

export interface VeleroLab {
  lab: RunningLab;
  kube: KubeApi;
  store: AwsObjectStore;
  /** Runs a lab Velero of this release instead of the current one, with that release's CRDs; waits for its BSL to be `bsl`. */
  use(
    version: VeleroVersion,
    opts?: Partial<VeleroOptions>,
    through?: KubeApi,
    bsl?: 'Available' | 'Unavailable',
  ): Promise<VeleroHandle>;
  /** A Completed Backup whose tarball holds exactly these items (`gr` is its directory in the tarball). */
  putBackup(name: string, items: { gr: string; obj: KubeObject }[]): Promise<void>;
  backup(name: string, spec: Record<string, unknown>): Promise<KubeObject>;
  restore(name: string, spec: Record<string, unknown>): Promise<KubeObject>;
  results(restore: string): Promise<{ errors: any; warnings: any }>;
  restoreList(restore: string): Promise<Record<string, string[]>>;
  backupList(backup: string): Promise<Record<string, string[]>>;
  /** Deletes a namespace and waits until it is gone. */
  drop(namespace: string): Promise<void>;
  stop(): Promise<void>;
}

/** A lab without an app, whose Velero a test can swap for another release's. */
export async function startVeleroLab(): Promise<VeleroLab> {
  const lab = await startLab({ dir: await mkdtemp(join(tmpdir(), 'kdrill-velero-b-')), seed: false, startDelayMs: 50 });
  const kube = lab.clusters[0]!.kube;
  const credentials = parseAwsCredentials(await readFile(lab.s3.credentialsFile, 'utf8'))!;
  const store = new AwsObjectStore({
    endpoint: lab.s3.endpoint,
    region: 'us-east-1',
    bucket: lab.s3.bucket,
    prefix: '',
    forcePathStyle: true,
    credentials,
  });
  let current: VeleroHandle = lab.clusters[0]!.velero;
  const get = (kind: string, name: string) => kube.get({ ...V(kind), namespace: 'velero', name });
  const gz = async (key: string) => JSON.parse(gunzipSync((await store.get(key))!).toString());
  return {
    lab,
    kube,
    store,
    async use(version, opts = {}, through = kube, bsl = 'Available') {
      await current.stop();
      await installVeleroCrds(kube, version);
      current = await startVelero(through, {
        version,
        validationMs: 300,
        syncMs: 100_000,
        gate: 'none',
        pollMs: 50,
        ...opts,
      });
      await eventually(
        async () => (await get('BackupStorageLocation', 'default'))?.status?.phase === bsl,
        `the BSL to be ${bsl}`,
      );
      return current;
    },
    async putBackup(name, items) {
      const entries = items.map(({ gr, obj }) => ({
        path: `resources/${gr}/${obj.metadata?.namespace ? `namespaces/${obj.metadata.namespace}` : 'cluster'}/${obj.metadata?.name}.json`,
        data: JSON.stringify(obj),
      }));
      const keys = backupKeys('', name);
      await store.put(keys.tarball, tarGz([{ path: 'metadata/version', data: '1.1.0\n' }, ...entries]));
      const status = {
        phase: 'Completed',
        version: 1,
        formatVersion: '1.1.0',
        startTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      };
      await store.put(
        keys.metadata,
        JSON.stringify({
          apiVersion: 'velero.io/v1',
          kind: 'Backup',
          metadata: { name, namespace: 'velero' },
          spec: { storageLocation: 'default' },
          status,
        }),
      );
      await kube.create({
        ...V('Backup'),
        metadata: { name, namespace: 'velero', labels: { 'velero.io/storage-location': 'default' } },
        spec: { storageLocation: 'default' },
        status,
      });
    },
    async backup(name, spec) {
      await kube.create({ ...V('Backup'), metadata: { name, namespace: 'velero' }, spec });
      return eventually(async () => {
        const b = await get('Backup', name);
        return TERMINAL.includes(String(b?.status?.phase)) ? b : undefined;
      }, `backup ${name} to end`);
    },
    async restore(name, spec) {
      await kube.create({ ...V('Restore'), metadata: { name, namespace: 'velero' }, spec });
      return eventually(async () => {
        const r = await get('Restore', name);
        return TERMINAL.includes(String(r?.status?.phase)) ? r : undefined;
      }, `restore ${name} to end`);
    },
    results: (r) => gz(restoreKeys('', r).results),
    restoreList: (r) => gz(restoreKeys('', r).resourceList),
    backupList: (b) => gz(backupKeys('', b).resourceList),
    async drop(ns) {
      await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
      await eventually(
        async () => !(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })),
        `namespace ${ns} to go`,
      );
    },
    async stop() {
      await current.stop();
      await lab.stop();
    },
  };
}

/** An object store that notes, at each write, the phase the Backup then has in the cluster. */
export function phaseRecordingStore(
  store: ObjectStore,
  kube: KubeApi,
  backup: string,
): { store: ObjectStore; writes: { key: string; phase: string; body: string }[] } {
  const writes: { key: string; phase: string; body: string }[] = [];
  const wrapped = Object.create(store) as ObjectStore;
  wrapped.put = async (key, body, opts) => {
    if (key.includes(`/${backup}/`))
      writes.push({
        key,
        phase: String((await kube.get({ ...V('Backup'), namespace: 'velero', name: backup }))?.status?.phase),
        body: key.endsWith('.json') ? body.toString() : '',
      });
    return store.put(key, body, opts);
  };
  return { store: wrapped, writes };
}
