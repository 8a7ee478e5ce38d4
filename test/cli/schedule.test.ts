import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installVeleroCrds } from '../../packages/lab/src/velero/crds.js';
import { connectKube } from '../../src/kube/client-node.js';
import { requireScenario } from '../../src/scenario/load.js';
import { drillPermissions } from '../../src/schedule/rbac.js';
import { isCron } from '../../src/schedule/manifests.js';
import { expectCleanError, kdrill } from '../support/cli.js';
import { lockRealCluster } from '../support/real-cluster-lock.js';

const run = promisify(execFile);
const REAL = process.env.KDRILL_TEST_KUBECONFIG;

/** Each rule on one line: group/resources verbs [names]. */
const lines = (
  rules: { rule: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] } }[],
): string[] =>
  rules.map(
    ({ rule: r }) =>
      `${r.apiGroups.join(',') || 'core'}/${r.resources.join(',')} ${r.verbs.join(',')}${r.resourceNames ? ` [${r.resourceNames.join(',')}]` : ''}`,
  );

const scenario = requireScenario;

describe('kdrill schedule: least-privilege RBAC', () => {
  it('namespace-loss: read the target, create Restores, delete only the thanos namespace, proxy only to thanos-query', async () => {
    const p = drillPermissions(await scenario('scenarios/namespace-loss.yaml'), { bslSecret: 'cloud-credentials' });
    expect(lines(p.cluster)).toEqual([
      'core/namespaces get [thanos]',
      'core/configmaps,persistentvolumeclaims,pods,serviceaccounts,services get,list,watch',
      'apps/daemonsets,deployments,statefulsets get,list,watch',
      'networking.k8s.io/ingresses,networkpolicies get,list,watch',
      'batch/cronjobs get,list,watch',
      'policy/poddisruptionbudgets get,list,watch',
      'rbac.authorization.k8s.io/rolebindings,roles get,list,watch',
      'core/namespaces delete [thanos]',
      'core/services/proxy get [thanos-query,thanos-query:9090]',
    ]);
    expect(lines(p.velero)).toEqual([
      'velero.io/backupstoragelocations,schedules get,list',
      'apps/deployments get,list',
      'velero.io/downloadrequests create,get,list,watch',
      'velero.io/backups get,list,watch',
      'velero.io/restores create,get,list,watch',
      'core/secrets get [cloud-credentials]',
    ]);
    expect(p.namespaced).toEqual({});
    // nothing anywhere may write Secrets, touch nodes, or delete more than the scenario names
    const all = [...p.cluster, ...p.velero].map((g) => g.rule);
    expect(
      all
        .filter((r) => r.resources.includes('secrets'))
        .every((r) => r.verbs.join() === 'get' && r.resourceNames?.length === 1),
    ).toBe(true);
    expect(all.some((r) => r.resources.includes('nodes'))).toBe(false);
    expect(all.filter((r) => r.verbs.includes('delete')).every((r) => r.resourceNames?.length)).toBe(true);
  });

  it('pvc-loss: a Role in thanos that deletes only the named claim (and the pods using it); no namespace delete', async () => {
    const p = drillPermissions(await scenario('scenarios/pvc-loss.yaml'), { bslSecret: 'creds' });
    expect(lines(p.namespaced.thanos!)).toEqual([
      'core/persistentvolumeclaims delete [data-thanos-store-0-0]',
      'core/pods delete',
    ]);
    expect(lines(p.cluster).filter((l) => l.includes('delete'))).toEqual([]);
    expect(lines(p.velero)).toContain('core/secrets get [creds]');
  });

  it('thanos-nodes-lost and datacenter-loss: node reads, and notes for what the manifests cannot grant', async () => {
    const t = drillPermissions(await scenario('scenarios/thanos-nodes-lost.yaml'), { bslSecret: 'c' });
    expect(lines(t.cluster)).toContain('core/nodes get,list');
    expect(t.notes.join('\n')).toMatch(/stop-nodes: .*only through your command/);
    const d = drillPermissions(await scenario('scenarios/datacenter-loss.yaml'), { bslSecret: 'c' });
    expect(d.notes.join('\n')).toMatch(/recovery.context kdrill-lab-2: .*kubeconfig/);
  });

  it('accepts CronJob schedules and refuses the rest', () => {
    for (const ok of ['0 2 * * *', '*/15 * * * 1-5', '0 0 1,15 * *', '@daily', '30 3 * jan-mar mon'])
      expect(isCron(ok), ok).toBe(true);
    for (const bad of ['0 2 * *', 'every night', '0 2 * * * *', '', '61 2 * * *', '0 2 * foo *', '@every 1h'])
      expect(isCron(bad), bad).toBe(false);
  });
});

describe('kdrill schedule: the manifests', () => {
  it('prints a Namespace, ServiceAccount, RBAC, the scenario ConfigMap and a Forbid CronJob running kdrill run', async () => {
    const r = await kdrill([
      'schedule',
      'scenarios/namespace-loss.yaml',
      '--cron',
      '0 2 * * *',
      '--history',
      's3://drills/kdrill-history',
      '--pushgateway',
      'http://pgw:9091',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout).map(
      (d) =>
        d.toJS() as {
          kind: string;
          apiVersion: string;
          metadata: { name: string; namespace?: string };
          data?: Record<string, string>;
          spec?: Record<string, never>;
        },
    );
    expect(docs.map((d) => `${d.apiVersion} ${d.kind} ${d.metadata.namespace ?? ''}/${d.metadata.name}`)).toEqual([
      'v1 Namespace /kdrill',
      'v1 ServiceAccount kdrill/kdrill-namespace-loss',
      'rbac.authorization.k8s.io/v1 ClusterRole /kdrill-namespace-loss',
      'rbac.authorization.k8s.io/v1 ClusterRoleBinding /kdrill-namespace-loss',
      'rbac.authorization.k8s.io/v1 Role velero/kdrill-namespace-loss',
      'rbac.authorization.k8s.io/v1 RoleBinding velero/kdrill-namespace-loss',
      'v1 ConfigMap kdrill/kdrill-namespace-loss',
      'networking.k8s.io/v1 NetworkPolicy kdrill/kdrill-namespace-loss',
      'batch/v1 CronJob kdrill/kdrill-namespace-loss',
    ]);
    expect(docs[6]!.data!['scenario.yaml']).toBe(await readFile('scenarios/namespace-loss.yaml', 'utf8'));
    // a hardened cluster admits the CronJob only when a policy selects its pods: these pods, nothing else
    const policy = docs[7]!.spec as unknown as { podSelector: { matchLabels: Record<string, string> } };
    const cj = docs[8]!.spec as unknown as {
      schedule: string;
      concurrencyPolicy: string;
      successfulJobsHistoryLimit: number;
      failedJobsHistoryLimit: number;
      jobTemplate: {
        spec: {
          backoffLimit: number;
          template: {
            metadata: { labels: Record<string, string> };
            spec: {
              serviceAccountName: string;
              containers: {
                image: string;
                args: string[];
                env: { valueFrom: { secretKeyRef: { name: string; optional: boolean } } }[];
              }[];
            };
          };
        };
      };
    };
    expect(cj).toMatchObject({
      schedule: '0 2 * * *',
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 5,
    });
    expect(cj.jobTemplate.spec.backoffLimit).toBe(0);
    const pod = cj.jobTemplate.spec.template.spec;
    expect(policy.podSelector.matchLabels).toEqual(cj.jobTemplate.spec.template.metadata.labels);
    expect(policy.podSelector.matchLabels['kdrill.dev/scenario']).toBe('namespace-loss');
    expect(pod.serviceAccountName).toBe('kdrill-namespace-loss');
    expect(pod.containers[0]!.image).toMatch(/^kdrill:\d+\.\d+\.\d+/);
    expect(pod.containers[0]!.args).toEqual([
      'run',
      '/etc/kdrill/scenario.yaml',
      '--context',
      'inClusterContext',
      '--allow-context',
      'inClusterContext',
      '--out',
      '/reports/run',
      '--history',
      's3://drills/kdrill-history',
      '--pushgateway',
      'http://pgw:9091',
    ]);
    expect(pod.containers[0]!.env.map((e) => e.valueFrom.secretKeyRef)).toEqual([
      { name: 'kdrill-s3', key: 'AWS_ACCESS_KEY_ID', optional: false },
      { name: 'kdrill-s3', key: 'AWS_SECRET_ACCESS_KEY', optional: false },
    ]);
    expect(r.stderr).toContain(
      'note: create the Secret kdrill/kdrill-s3 with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    );
  });

  it('writes one file per object with --out-dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-sched-'));
    const r = await kdrill(['schedule', 'scenarios/pvc-loss.yaml', '--cron', '@daily', '--out-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(dir)).sort()).toEqual([
      '01-namespace-kdrill.yaml',
      '02-serviceaccount-kdrill-kdrill-pvc-loss.yaml',
      '03-clusterrole-kdrill-pvc-loss.yaml',
      '04-clusterrolebinding-kdrill-pvc-loss.yaml',
      '05-role-velero-kdrill-pvc-loss.yaml',
      '06-rolebinding-velero-kdrill-pvc-loss.yaml',
      '07-role-thanos-kdrill-pvc-loss.yaml',
      '08-rolebinding-thanos-kdrill-pvc-loss.yaml',
      '09-configmap-kdrill-kdrill-pvc-loss.yaml',
      '10-networkpolicy-kdrill-kdrill-pvc-loss.yaml',
      '11-cronjob-kdrill-kdrill-pvc-loss.yaml',
    ]);
  });

  it('bad input: exit 2 for a bad cron, scenario or history; exit 4 for a context that is not allow-listed, before any call', async () => {
    expectCleanError(
      await kdrill(['schedule', 'scenarios/pvc-loss.yaml', '--cron', 'nightly']),
      2,
      /--cron "nightly" is not a CronJob schedule/,
    );
    expectCleanError(await kdrill(['schedule', 'scenarios/pvc-loss.yaml']), 2, /Missing required argument: cron/);
    expectCleanError(await kdrill(['schedule', 'no-such.yaml', '--cron', '@daily']), 2, /no-such\.yaml/);
    expectCleanError(
      await kdrill(['schedule', 'scenarios/pvc-loss.yaml', '--cron', '@daily', '--history', 's3://bkt/restores']),
      2,
      /inside Velero's "restores\/" folder/,
    );
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-sched-'));
    const kc = join(dir, 'kubeconfig');
    // a server nobody listens on: the refusal must come before any request
    await writeFile(
      kc,
      'apiVersion: v1\nkind: Config\nclusters: [{name: p, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: p, user: {token: x}}]\ncontexts: [{name: prod, context: {cluster: p, user: p}}]\ncurrent-context: prod\n',
    );
    expectCleanError(
      await kdrill(['schedule', 'scenarios/pvc-loss.yaml', '--cron', '@daily', '--apply', '--kubeconfig', kc], {
        env: { KDRILL_ALLOW_CONTEXTS: '' },
      }),
      4,
      /context "prod" is not allow-listed/,
    );
  });
});

// hardened: the CronJob is admitted only because the manifests bring a NetworkPolicy selecting its pods
describe('kdrill schedule --apply on a hardened lab', () => {
  let lab: string;
  beforeAll(async () => {
    lab = await mkdtemp(join(tmpdir(), 'kdrill-sched-lab-'));
    const up = await kdrill(['lab', 'up', '--dir', lab, '--hardened'], { timeoutMs: 120_000 });
    expect(up.code, up.stderr).toBe(0);
  }, 150_000);
  afterAll(async () => {
    await kdrill(['lab', 'down', '--dir', lab]);
  });

  it('creates the objects with a batch/v1 CronJob, and updates them when applied again', async () => {
    const kc = join(lab, 'kubeconfig');
    const r = await kdrill([
      'schedule',
      'scenarios/namespace-loss.yaml',
      '--cron',
      '0 2 * * *',
      '--apply',
      '--kubeconfig',
      kc,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('created CronJob kdrill/kdrill-namespace-loss');
    expect(r.stderr).toContain('(CronJob kdrill/kdrill-namespace-loss, batch/v1)');
    const { stdout } = await run('kubectl', [
      '--kubeconfig',
      kc,
      '-n',
      'kdrill',
      'get',
      'cronjobs.v1.batch',
      'kdrill-namespace-loss',
      '-o',
      'jsonpath={.spec.schedule} {.spec.concurrencyPolicy}',
    ]);
    expect(stdout).toBe('0 2 * * * Forbid');
    const again = await kdrill([
      'schedule',
      'scenarios/namespace-loss.yaml',
      '--cron',
      '30 3 * * *',
      '--apply',
      '--kubeconfig',
      kc,
    ]);
    expect(again.stderr).toContain('kept Namespace kdrill');
    expect(again.stderr).toContain('updated CronJob kdrill/kdrill-namespace-loss');
    expect(
      (
        await run('kubectl', [
          '--kubeconfig',
          kc,
          '-n',
          'kdrill',
          'get',
          'cronjob',
          'kdrill-namespace-loss',
          '-o',
          'jsonpath={.spec.schedule}',
        ])
      ).stdout,
    ).toBe('30 3 * * *');
  });
});

describe.skipIf(!REAL)(
  `kdrill schedule --apply on the real kube-apiserver${REAL ? '' : ' (skipped: KDRILL_TEST_KUBECONFIG is not set: run .ci/run)'}`,
  () => {
    let unlock: (() => Promise<void>) | undefined;
    beforeAll(async () => void (unlock = await lockRealCluster()), 46 * 60_000);
    afterAll(async () => unlock?.());
    const as = ['--as', 'system:serviceaccount:kdrill:kdrill-namespace-loss'];
    const k = (...a: string[]) => run('kubectl', ['--kubeconfig', REAL!, ...a]);
    const can = (...a: string[]) =>
      k('auth', 'can-i', ...as, ...a).then(
        () => true,
        () => false,
      );

    it('falls back to batch/v1beta1 on 1.20 and says so; RBAC allows what the drill does and refuses the rest', async () => {
      // a suite before this one may have left velero being deleted (lab down): wait until it is gone
      for (let i = 0; i < 240; i++) {
        const phase = await k('get', 'namespace', 'velero', '-o', 'jsonpath={.status.phase}').then(
          (r) => r.stdout,
          () => '',
        );
        if (phase !== 'Terminating') break;
        await new Promise((r) => setTimeout(r, 500));
      }
      await k('create', 'namespace', 'velero').catch(() => undefined);
      // a cluster a drill is scheduled on runs Velero: kubectl auth can-i resolves restores.velero.io through its CRD
      await installVeleroCrds(connectKube({ kubeconfig: REAL! }));
      const r = await kdrill([
        'schedule',
        'scenarios/namespace-loss.yaml',
        '--cron',
        '0 2 * * *',
        '--apply',
        '--kubeconfig',
        REAL!,
        '--allow-context',
        'kapi',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(
        'note: the cluster does not serve batch/v1 CronJob (Kubernetes before 1.21): using batch/v1beta1',
      );
      expect(
        (
          await k(
            '-n',
            'kdrill',
            'get',
            'cronjobs.v1beta1.batch',
            'kdrill-namespace-loss',
            '-o',
            'jsonpath={.spec.concurrencyPolicy}',
          )
        ).stdout,
      ).toBe('Forbid');
      // what the drill needs
      expect(await can('delete', 'namespace/thanos')).toBe(true);
      expect(await can('create', 'restores.velero.io', '-n', 'velero')).toBe(true);
      expect(await can('watch', 'restores.velero.io', '-n', 'velero')).toBe(true);
      expect(await can('get', 'secret/cloud-credentials', '-n', 'velero')).toBe(true);
      expect(await can('list', 'deployments.apps', '-n', 'thanos')).toBe(true);
      expect(await can('get', 'services/thanos-query:9090', '--subresource', 'proxy', '-n', 'thanos')).toBe(true);
      // and nothing more
      expect(await can('delete', 'namespace/kube-system')).toBe(false);
      expect(await can('delete', 'deployments.apps', '-n', 'thanos')).toBe(false);
      expect(await can('get', 'secrets', '-n', 'thanos')).toBe(false);
      expect(await can('get', 'secret/other', '-n', 'velero')).toBe(false);
      expect(await can('delete', 'backups.velero.io', '-n', 'velero')).toBe(false);
      expect(await can('create', 'backups.velero.io', '-n', 'velero')).toBe(false);
      expect(await can('patch', 'nodes')).toBe(false);
      expect(await can('get', 'services/minio:9000', '--subresource', 'proxy', '-n', 'thanos')).toBe(false);
    }, 240_000);
  },
);
