import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AwsObjectStore } from '../../src/backupstore/aws-object-store.js';
import { parseAwsCredentials } from '../../src/backupstore/bsl.js';
import { LabS3Server } from '../../packages/lab/src/s3/server.js';
import { expectCleanError, kdrill } from '../support/cli.js';
import { eventually } from '../support/eventually.js';

const run = promisify(execFile);

interface Status {
  running: boolean;
  kubeconfig: string;
  contexts: string[];
  s3: { endpoint: string; bucket: string; credentialsFile: string; objectLock: boolean };
  backups: string[];
}

async function withLab(args: string[], body: (s: Status, raw: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kdrill-seed-'));
  const up = await kdrill(['lab', 'up', '--dir', dir, '--start-delay', '50', ...args], { timeoutMs: 120_000 });
  expect(up.code, up.stderr + up.stdout).toBe(0);
  try {
    const st = await kdrill(['lab', 'status', '--dir', dir, '-o', 'json']);
    await body(JSON.parse(st.stdout) as Status, st.stdout);
  } finally {
    await kdrill(['lab', 'down', '--dir', dir]);
  }
}

const storeFor = async (s: Status): Promise<AwsObjectStore> =>
  new AwsObjectStore({ endpoint: s.s3.endpoint, region: 'us-east-1', bucket: s.s3.bucket, prefix: '', forcePathStyle: true, credentials: parseAwsCredentials(await readFile(s.s3.credentialsFile, 'utf8')) });

describe('kdrill lab up: the seeded lab', () => {
  it('has Thanos behind NetworkPolicies, a nightly Schedule with two Completed backups, and their objects under lock', async () => {
    await withLab(['--hardened'], async (s, raw) => {
      const k = (...a: string[]) => run('kubectl', ['--kubeconfig', s.kubeconfig, ...a]).then((r) => r.stdout);
      const backups = (await k('-n', 'velero', 'get', 'backups.velero.io', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.metadata.labels.velero\\.io/schedule-name}{"\\n"}{end}')).trim().split('\n');
      expect(backups).toHaveLength(2);
      for (const line of backups) expect(line).toMatch(/^nightly-\d{14} Completed nightly$/);
      expect(s.backups).toEqual(backups.map((l) => l.split(' ')[0]));
      expect(await k('-n', 'thanos', 'get', 'networkpolicies', '-o', 'name')).toMatch(/default-deny-ingress/);
      expect(await k('-n', 'thanos', 'get', 'configmap', 'kdrill-sentinel', '-o', 'jsonpath={.data.runId}')).toBe('seed');
      expect(await k('-n', 'velero', 'get', 'bsl', 'default', '-o', 'jsonpath={.status.phase}')).toBe('Available');
      // any S3 client sees the objects, each under GOVERNANCE retention that covers the 30-day TTL
      const store = await storeFor(s);
      const protection = await store.protection();
      expect(protection).toMatchObject({ versioning: 'Enabled', objectLock: true, defaultRetention: { mode: 'GOVERNANCE', days: 31 } });
      let n = 0;
      for await (const v of store.listVersions(`backups/${s.backups[0]}/`)) {
        const lock = await store.lockOf(v.key, v.versionId);
        expect(lock.mode, v.key).toBe('GOVERNANCE');
        expect(lock.retainUntil!.getTime()).toBeGreaterThan(Date.now() + 30 * 86400_000);
        n++;
      }
      expect(n).toBeGreaterThanOrEqual(7);
      // the status names the credentials file, never the secret in it
      const secret = parseAwsCredentials(await readFile(s.s3.credentialsFile, 'utf8'))!.secretAccessKey;
      expect(raw).not.toContain(secret);
      expect(s.s3.credentialsFile).toMatch(/s3-credentials$/);
    });
  });

  it('with --clusters 2, the recovery cluster syncs the same backups, read-only', async () => {
    await withLab(['--clusters', '2', '--no-object-lock'], async (s) => {
      expect(s.contexts).toEqual(['kdrill-lab', 'kdrill-lab-2']);
      const k2 = (...a: string[]) => run('kubectl', ['--kubeconfig', s.kubeconfig, '--context', 'kdrill-lab-2', ...a]).then((r) => r.stdout);
      await eventually(async () => (await k2('-n', 'velero', 'get', 'backups.velero.io', '-o', 'name')).trim().split('\n').length === 2, 'the backups to sync', 30_000, 200);
      expect(await k2('-n', 'velero', 'get', 'bsl', 'default', '-o', 'jsonpath={.spec.accessMode}')).toBe('ReadOnly');
      expect(await k2('get', 'namespace', 'thanos', '--ignore-not-found', '-o', 'name')).toBe('');
      expect((await (await storeFor(s)).protection()).objectLock).toBe(false);
    });
  });

  it('loads your own manifests with --app, skipping kinds without a CRD', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-app-'));
    await writeFile(
      join(dir, 'app.yaml'),
      [
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}',
        'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}',
      ].join('\n---\n'),
    );
    await withLab(['--app', dir], async (s) => {
      const out = await run('kubectl', ['--kubeconfig', s.kubeconfig, '-n', 'thanos', 'get', 'deployments', '-o', 'name']);
      expect(out.stdout.trim()).toBe('deployment.apps/web');
    });
  });

  it('refuses wrong S3 credentials with one line naming the endpoint and bucket, exit 4', async () => {
    const s3 = new LabS3Server({ credentials: { accessKeyId: 'RIGHT', secretAccessKey: 'right-secret' } });
    const endpoint = await s3.listen(0);
    try {
      const dir = await mkdtemp(join(tmpdir(), 'kdrill-badcreds-'));
      const ini = join(dir, 'creds');
      await writeFile(ini, '[default]\naws_access_key_id=RIGHT\naws_secret_access_key=wrong-secret\n');
      const r = await kdrill(['lab', 'up', '--dir', join(dir, 'lab'), '--s3-endpoint', endpoint, '--s3-credentials-file', ini, '--bucket', 'drills']);
      expectCleanError(r, 4, new RegExp(`S3 refused the credentials for bucket "drills" at ${endpoint.replace(/\./g, '\\.')}`));
      expect(r.stderr).not.toContain('wrong-secret');
    } finally {
      await s3.close();
    }
  });

  it('refuses bad flags before starting anything (exit 2)', async () => {
    expectCleanError(await kdrill(['lab', 'up', '--app', '/no/such/dir']), 2, /--app \/no\/such\/dir: no such file or directory/);
    expectCleanError(await kdrill(['lab', 'up', '--s3-endpoint', 'rgw:7480']), 2, /not an http\(s\) URL/);
    expectCleanError(await kdrill(['lab', 'up', '--s3-endpoint', 'http://127.0.0.1:9', '--s3-credentials-file', '/nope']), 2, /cannot read it/);
  });
});
