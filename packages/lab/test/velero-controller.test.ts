import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsObjectStore } from '../../../src/backupstore/aws-object-store.js';
import { parseAwsCredentials } from '../../../src/backupstore/bsl.js';
import type { ObjectStore } from '../../../src/backupstore/object-store.js';
import type { KubeApi } from '../../../src/kube/kube-api.js';
import { startLab, type RunningLab } from '../src/lab.js';
import { startVelero } from '../src/velero/controller.js';
import { backupKeys } from '../src/velero/layout.js';
import { readFile } from 'node:fs/promises';
import { eventually } from '../../../test/support/eventually.js';

const V = (kind: string) => ({ apiVersion: 'velero.io/v1', kind });

describe('lab Velero controller', () => {
  let lab: RunningLab;
  let kube: KubeApi;
  let store: AwsObjectStore;

  beforeAll(async () => {
    lab = await startLab({ dir: await mkdtemp(join(tmpdir(), 'kdrill-velero-')), seed: false, startDelayMs: 50 });
    kube = lab.clusters[0]!.kube;
    const credentials = parseAwsCredentials(await readFile(lab.s3.credentialsFile, 'utf8'))!;
    store = new AwsObjectStore({
      endpoint: lab.s3.endpoint,
      region: 'us-east-1',
      bucket: lab.s3.bucket,
      prefix: '',
      forcePathStyle: true,
      credentials,
    });
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } });
    await kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'app' },
      data: { a: 'b' },
    });
    await eventually(
      async () =>
        (await kube.get({ ...V('BackupStorageLocation'), namespace: 'velero', name: 'default' }))?.status?.phase ===
        'Available',
      'BSL Available',
    );
  });
  afterAll(() => lab?.stop());

  const backup = async (name: string): Promise<void> => {
    await kube.create({
      ...V('Backup'),
      metadata: { name, namespace: 'velero' },
      spec: { includedNamespaces: ['app'] },
    });
    await eventually(
      async () => (await kube.get({ ...V('Backup'), namespace: 'velero', name }))?.status?.phase === 'Completed',
      `${name} Completed`,
    );
  };

  it('answers a DownloadRequest with a pre-signed URL that serves the file', async () => {
    await backup('dl');
    await kube.create({
      ...V('DownloadRequest'),
      metadata: { name: 'dl-list', namespace: 'velero' },
      spec: { target: { kind: 'BackupResourceList', name: 'dl' } },
    });
    const d = await eventually(async () => {
      const o = await kube.get({ ...V('DownloadRequest'), namespace: 'velero', name: 'dl-list' });
      return o?.status?.phase === 'Processed' ? o : undefined;
    }, 'the download URL');
    const list = JSON.parse(
      gunzipSync(Buffer.from(await (await fetch(d.status.downloadURL as string)).arrayBuffer())).toString(),
    ) as Record<string, string[]>;
    // the namespace's own kube-root-ca.crt (kube-controller-manager's) is backed up with it, as Velero does
    expect(list['v1/ConfigMap']).toEqual(['app/c', 'app/kube-root-ca.crt']);
    expect(Date.parse(d.status.expiration as string)).toBeGreaterThan(Date.now());
  });

  it("deletes a backup the AWS plugin's way on a locked bucket: markers only, the data stays", async () => {
    await backup('del');
    await kube.create({
      ...V('DeleteBackupRequest'),
      metadata: { name: 'del-1', namespace: 'velero' },
      spec: { backupName: 'del' },
    });
    await eventually(
      async () => !(await kube.get({ ...V('Backup'), namespace: 'velero', name: 'del' })),
      'the Backup to go',
    );
    const versions = [];
    for await (const v of store.listVersions('backups/del/')) versions.push(v);
    expect(versions.filter((v) => v.deleteMarker).length).toBeGreaterThan(0);
    const kept = versions.filter((v) => !v.deleteMarker);
    expect(kept.length).toBeGreaterThanOrEqual(6);
    expect(
      await store.get(backupKeys('', 'del').tarball, kept.find((v) => v.key.endsWith('.tar.gz'))!.versionId),
    ).toBeDefined();
  });

  it('leaves the Backup in Deleting and the request Processed with errors when the store refuses deletes', async () => {
    // a second Velero whose store refuses every delete, as stores that forbid deletes under lock do
    await backup('stuck');
    await lab.clusters[0]!.velero.stop();
    const refusing: ObjectStore = Object.create(store) as ObjectStore;
    refusing.delete = async (key: string) => {
      throw new Error(`AccessDenied: ${key} is locked`);
    };
    const v2 = await startVelero(kube, {
      validationMs: 300,
      syncMs: 100_000,
      storeFor: async () => refusing,
      gate: 'none',
    });
    try {
      await kube.create({
        ...V('DeleteBackupRequest'),
        metadata: { name: 'stuck-1', namespace: 'velero' },
        spec: { backupName: 'stuck' },
      });
      const dbr = await eventually(async () => {
        const o = await kube.get({ ...V('DeleteBackupRequest'), namespace: 'velero', name: 'stuck-1' });
        return o?.status?.phase === 'Processed' ? o : undefined;
      }, 'the request to be processed');
      expect((dbr.status.errors as string[]).some((e) => e.includes('AccessDenied'))).toBe(true);
      expect((await kube.get({ ...V('Backup'), namespace: 'velero', name: 'stuck' }))?.status?.phase).toBe('Deleting');
    } finally {
      await v2.stop();
    }
  });

  it('marks the BSL Unavailable, with the reason, when a foreign top-level folder appears', async () => {
    const v3 = await startVelero(kube, { validationMs: 200, syncMs: 100_000, gate: 'none' });
    try {
      await store.put('not-velero/file.txt', 'x');
      const bsl = await eventually(async () => {
        const o = await kube.get({ ...V('BackupStorageLocation'), namespace: 'velero', name: 'default' });
        return o?.status?.phase === 'Unavailable' ? o : undefined;
      }, 'the BSL to go Unavailable');
      expect(bsl.status.message).toMatch(/invalid top-level directories: \[not-velero\]/);
      await kube.create({
        ...V('Backup'),
        metadata: { name: 'refused', namespace: 'velero' },
        spec: { includedNamespaces: ['app'] },
      });
      await eventually(
        async () =>
          (await kube.get({ ...V('Backup'), namespace: 'velero', name: 'refused' }))?.status?.phase ===
          'FailedValidation',
        'the backup to fail validation',
      );
    } finally {
      await v3.stop();
    }
  });
});
