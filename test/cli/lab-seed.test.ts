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
  new AwsObjectStore({
    endpoint: s.s3.endpoint,
    region: 'us-east-1',
    bucket: s.s3.bucket,
    prefix: '',
    forcePathStyle: true,
    credentials: parseAwsCredentials(await readFile(s.s3.credentialsFile, 'utf8')),
  });

describe('kdrill lab up: the seeded lab', () => {
  it('has Thanos behind NetworkPolicies, a nightly Schedule with two Completed backups, and their objects under lock', async () => {
    await withLab(['--hardened'], async (s, raw) => {
      const k = (...a: string[]) => run('kubectl', ['--kubeconfig', s.kubeconfig, ...a]).then((r) => r.stdout);
      const backups = (
        await k(
          '-n',
          'velero',
          'get',
          'backups.velero.io',
          '-o',
          'jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.metadata.labels.velero\\.io/schedule-name}{"\\n"}{end}',
        )
      )
        .trim()
        .split('\n');
      expect(backups).toHaveLength(2);
      for (const line of backups) expect(line).toMatch(/^nightly-\d{14} Completed nightly$/);
      expect(s.backups).toEqual(backups.map((l) => l.split(' ')[0]));
      // the sample app's own NetworkPolicies (the lab adds none of its own), so a hardened lab admits it
      expect((await k('-n', 'thanos', 'get', 'networkpolicies', '-o', 'name')).trim().split('\n').sort()).toEqual([
        'networkpolicy.networking.k8s.io/allow-same-namespace',
        'networkpolicy.networking.k8s.io/default-deny-ingress',
      ]);
      expect(await k('-n', 'thanos', 'get', 'configmap', 'kdrill-sentinel', '-o', 'jsonpath={.data.runId}')).toBe(
        'seed',
      );
      expect(await k('-n', 'velero', 'get', 'bsl', 'default', '-o', 'jsonpath={.status.phase}')).toBe('Available');
      // any S3 client sees the objects, each under GOVERNANCE retention that covers the 30-day TTL
      const store = await storeFor(s);
      const protection = await store.protection();
      expect(protection).toMatchObject({
        versioning: 'Enabled',
        objectLock: true,
        defaultRetention: { mode: 'GOVERNANCE', days: 31 },
      });
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
      const k2 = (...a: string[]) =>
        run('kubectl', ['--kubeconfig', s.kubeconfig, '--context', 'kdrill-lab-2', ...a]).then((r) => r.stdout);
      await eventually(
        async () =>
          (await k2('-n', 'velero', 'get', 'backups.velero.io', '-o', 'name')).trim().split('\n').length === 2,
        'the backups to sync',
        30_000,
        200,
      );
      expect(await k2('-n', 'velero', 'get', 'bsl', 'default', '-o', 'jsonpath={.spec.accessMode}')).toBe('ReadOnly');
      expect(await k2('get', 'namespace', 'thanos', '--ignore-not-found', '-o', 'name')).toBe('');
      expect((await (await storeFor(s)).protection()).objectLock).toBe(false);
    });
  });

  it('loads your own manifests with --app as kubectl apply would: own namespaces, lists, CRDs first, names per kind, true reasons', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-app-'));
    await writeFile(
      join(dir, 'app.yaml'),
      [
        // a custom resource before its CRD, in the same file: the CRD is applied first and waited for
        'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}',
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}',
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: elsewhere, namespace: other}\ndata: {a: "1"}',
        // RBAC names are path segments, not DNS names
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: "system:aggregated-metrics-reader"}\nrules: [{apiGroups: [metrics.k8s.io], resources: [pods], verbs: [get]}]',
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleList\nitems:\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: Role\n  metadata: {name: reader}\n  rules: []\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: Role\n  metadata: {name: writer}\n  rules: []',
        'apiVersion: v1\nkind: ConfigMapList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: dash-1}, data: {a: "1"}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: dash-2}, data: {a: "2"}}',
        'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  scope: Namespaced\n  names: {plural: widgets, singular: widget, kind: Widget}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}',
        'apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web}\nspec: {}',
        'apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: old}\nspec: {}',
        'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: old-cron}\nspec: {}',
      ].join('\n---\n'),
    );
    const lab = await mkdtemp(join(tmpdir(), 'kdrill-applab-'));
    const up = await kdrill(
      ['lab', 'up', '--dir', lab, '--start-delay', '50', '--app', dir, '--app-namespace', 'shop'],
      { timeoutMs: 120_000 },
    );
    try {
      expect(up.code, up.stderr + up.stdout).toBe(0);
      expect(up.stdout).toMatch(/applied 1 apiextensions\.k8s\.io\/v1 CustomResourceDefinition/);
      expect(up.stdout).toMatch(/applied 2 rbac\.authorization\.k8s\.io\/v1 Role\n/);
      expect(up.stdout).toMatch(/applied 3 v1 ConfigMap/);
      expect(up.stdout).toMatch(
        /skipped 1 monitoring\.coreos\.com\/v1 ServiceMonitor: no CRD for monitoring\.coreos\.com is installed/,
      );
      expect(up.stdout).toMatch(/skipped 1 policy\/v1beta1 PodSecurityPolicy: not served by this Kubernetes version/);
      expect(up.stdout).toMatch(
        /skipped 1 batch\/v1beta1 CronJob: not served by this Kubernetes version \(v1\.30\.0\+kdrill-lab\) at batch\/v1beta1: it serves batch\/v1/,
      );
      const st = JSON.parse((await kdrill(['lab', 'status', '--dir', lab, '-o', 'json'])).stdout) as {
        kubeconfig: string;
        app: {
          applied: Record<string, number>;
          skipped: { kind: string }[];
          namespaces: string[];
          backupNamespaces: string[];
        };
      };
      expect(st.app.applied).toMatchObject({
        'apps/v1 Deployment': 1,
        'example.com/v1 Widget': 1,
        'rbac.authorization.k8s.io/v1 ClusterRole': 1,
      });
      expect(st.app.skipped.map((x) => x.kind).sort()).toEqual([
        'batch/v1beta1 CronJob',
        'monitoring.coreos.com/v1 ServiceMonitor',
        'policy/v1beta1 PodSecurityPolicy',
      ]);
      expect(st.app.namespaces).toEqual(['other', 'shop']);
      expect(st.app.backupNamespaces).toEqual(['other', 'shop']);
      const k = (...a: string[]) => run('kubectl', ['--kubeconfig', st.kubeconfig, ...a]).then((r) => r.stdout.trim());
      expect(await k('-n', 'shop', 'get', 'deployments', '-o', 'name')).toBe('deployment.apps/web');
      expect(await k('-n', 'other', 'get', 'configmap', 'elsewhere', '-o', 'jsonpath={.data.a}')).toBe('1');
      expect(await k('-n', 'shop', 'get', 'widgets.example.com', 'w1', '-o', 'jsonpath={.spec.size}')).toBe('3');
      expect(await k('get', 'clusterrole', 'system:aggregated-metrics-reader', '-o', 'name')).toBe(
        'clusterrole.rbac.authorization.k8s.io/system:aggregated-metrics-reader',
      );
      // the nightly Schedule and its backups cover the app's namespaces
      expect(
        await k(
          '-n',
          'velero',
          'get',
          'schedules.velero.io',
          'nightly',
          '-o',
          'jsonpath={.spec.template.includedNamespaces}',
        ),
      ).toBe('["other","shop"]');
      expect(await k('-n', 'shop', 'get', 'configmap', 'kdrill-sentinel', '-o', 'jsonpath={.data.runId}')).toBe('seed');
    } finally {
      await kdrill(['lab', 'down', '--dir', lab]);
    }
  });

  it('--backup-namespaces chooses what the nightly Schedule backs up', async () => {
    await withLab(['--backup-namespaces', 'thanos', '--backup-namespaces', 'velero'], async (s) => {
      const k = (...a: string[]) => run('kubectl', ['--kubeconfig', s.kubeconfig, ...a]).then((r) => r.stdout.trim());
      expect(
        await k(
          '-n',
          'velero',
          'get',
          'schedules.velero.io',
          'nightly',
          '-o',
          'jsonpath={.spec.template.includedNamespaces}',
        ),
      ).toBe('["thanos","velero"]');
    });
  });

  it('refuses wrong S3 credentials with one line naming the endpoint and bucket, exit 4', async () => {
    const s3 = new LabS3Server({ credentials: { accessKeyId: 'RIGHT', secretAccessKey: 'right-secret' } });
    const endpoint = await s3.listen(0);
    try {
      const dir = await mkdtemp(join(tmpdir(), 'kdrill-badcreds-'));
      const ini = join(dir, 'creds');
      await writeFile(ini, '[default]\naws_access_key_id=RIGHT\naws_secret_access_key=wrong-secret\n');
      const r = await kdrill([
        'lab',
        'up',
        '--dir',
        join(dir, 'lab'),
        '--s3-endpoint',
        endpoint,
        '--s3-credentials-file',
        ini,
        '--bucket',
        'drills',
      ]);
      expectCleanError(
        r,
        4,
        new RegExp(`S3 refused the credentials for bucket "drills" at ${endpoint.replace(/\./g, '\\.')}`),
      );
      expect(r.stderr).not.toContain('wrong-secret');
    } finally {
      await s3.close();
    }
  });

  it('refuses bad flags before starting anything (exit 2)', async () => {
    expectCleanError(
      await kdrill(['lab', 'up', '--app', '/no/such/dir']),
      2,
      /--app \/no\/such\/dir: no such file or directory/,
    );
    expectCleanError(await kdrill(['lab', 'up', '--s3-endpoint', 'rgw:7480']), 2, /not an http\(s\) URL/);
    expectCleanError(
      await kdrill(['lab', 'up', '--s3-endpoint', 'http://127.0.0.1:9', '--s3-credentials-file', '/nope']),
      2,
      /cannot read it/,
    );
  });
});
