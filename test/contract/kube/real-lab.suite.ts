import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { AwsObjectStore } from '../../../src/backupstore/aws-object-store.js';
import { parseAwsCredentials } from '../../../src/backupstore/bsl.js';
import type { DrillResult } from '../../../src/drill/types.js';
import { expectCleanError, kdrill } from '../../support/cli.js';
import { POD_NETNS_ENV, findPodNetwork, hostAddressesIn } from '../../../packages/lab/src/controllers/pod-network.js';
import { realRestoreTestSuite } from './real-restore-test.suite.js';
import type { KubeTarget } from './targets.js';

const run = promisify(execFile);

/** A second real control plane for the recovery cluster (.ci/run starts one); without it the lab's own serves. */
const SECOND_ENV = 'KDRILL_TEST_KUBECONFIG_2';

/**
 * `lab up --k8s real --hardened --clusters 2 --s3-endpoint <RGW>`: the lab's controllers, webhook and
 * Velero on real kube-apiservers, backups in Ceph RGW. Then the five shipped scenarios run on it one
 * after another, each as stated: four pass, hardened-one-phase fails with exit 3. Their http checks go
 * through the real apiserver's service proxy to the pods' addresses (PodNetwork), which live in a network
 * namespace: .ci/run makes it (scripts/podnet-up.sh) and sets KDRILL_POD_NETNS; run by hand without it,
 * the suite makes one for itself (as root) and removes it after.
 */
export function realLabSuite(target: () => KubeTarget): void {
  let dir: string;
  let kubeconfig: string;
  let setNetns = false;
  let ownPodNetwork = false;
  beforeAll(async () => {
    expect(await host10(), 'a host interface carries a 10.x address before the lab starts').toEqual([]);
    if (!process.env[POD_NETNS_ENV]) {
      // the lab process inherits it from here (kdrill() passes process.env on)
      process.env[POD_NETNS_ENV] = 'kdrill-pods';
      setNetns = true;
      ownPodNetwork = !existsSync('/run/netns/kdrill-pods');
      await run('bash', ['scripts/podnet-up.sh']);
    }
    const net = await findPodNetwork();
    expect(
      'netns' in net ? undefined : net.reason,
      'the pods need a network the real apiserver reaches: scripts/podnet-up.sh, as .ci/run runs it',
    ).toBeUndefined();
    for (const kc of [target().kubeconfig, process.env[SECOND_ENV]].filter((x): x is string => !!x))
      await resetRealCluster(kc);
    dir = await mkdtemp(join(tmpdir(), 'kdrill-real-lab-'));
    kubeconfig = join(dir, 'lab', 'kubeconfig');
    const ini = join(dir, 'rgw.ini');
    await writeFile(
      ini,
      `[default]\naws_access_key_id=${process.env.KDRILL_TEST_S3_ACCESS_KEY ?? 'TESTACCESSKEY0000001'}\naws_secret_access_key=${process.env.KDRILL_TEST_S3_SECRET_KEY ?? 'testsecretkey0000000000000000000000000001'}\n`,
    );
    const second = process.env[SECOND_ENV] ? ['--real-kubeconfig', process.env[SECOND_ENV]] : [];
    const up = await kdrill(
      [
        'lab',
        'up',
        '--dir',
        join(dir, 'lab'),
        '--k8s',
        'real',
        '--real-kubeconfig',
        target().kubeconfig,
        ...second,
        '--clusters',
        '2',
        '--hardened',
        '--s3-endpoint',
        process.env.KDRILL_TEST_S3_ENDPOINT!,
        '--s3-credentials-file',
        ini,
        '--bucket',
        `kd-real-${Date.now().toString(36)}`,
        '--start-delay',
        '50',
      ],
      // items land one by one, slowly enough for Ctrl-C to come during a restore (real-restore-test.suite)
      { timeoutMs: 240_000, env: { KDRILL_LAB_RESTORE_ITEM_DELAY_MS: '40' } },
    );
    expect(up.code, up.stderr + up.stdout).toBe(0);
  }, 300_000);
  afterAll(async () => {
    // the lab first: its forwarders run inside the namespace
    if (dir) await kdrill(['lab', 'down', '--dir', join(dir, 'lab')]);
    if (ownPodNetwork) await run('bash', ['scripts/podnet-down.sh']);
    if (setNetns) delete process.env[POD_NETNS_ENV];
    expect(hostAddressesIn('10.0.0.0/8'), 'the pod network must stay inside its namespace').toEqual([]);
    expect(await host10()).toEqual([]);
  });

  const k = (...a: string[]) => run('kubectl', ['--kubeconfig', kubeconfig, ...a]).then((r) => r.stdout);

  /** A kubeconfig for the lab's first cluster as a ServiceAccount of namespace kdrill, with its token Secret (1.20 makes one). */
  const serviceAccountKubeconfig = async (sa: string): Promise<{ path: string; token: string }> => {
    let secret = '';
    for (let i = 0; i < 100 && !secret; i++) {
      secret = (await k('-n', 'kdrill', 'get', 'serviceaccount', sa, '-o', 'jsonpath={.secrets[0].name}')).trim();
      if (!secret) await new Promise((r) => setTimeout(r, 100));
    }
    const token = Buffer.from(
      (await k('-n', 'kdrill', 'get', 'secret', secret, '-o', 'jsonpath={.data.token}')).trim(),
      'base64',
    ).toString();
    const lab = parse(await readFile(kubeconfig, 'utf8')) as { clusters: { name: string; cluster: object }[] };
    const path = join(dir, `${sa}.kubeconfig`);
    const cluster = lab.clusters.find((c) => c.name === 'kdrill-lab')!.cluster;
    await writeFile(
      path,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'kdrill-lab', cluster }],
        users: [{ name: 'sa', user: { token } }],
        contexts: [{ name: 'kdrill-lab', context: { cluster: 'kdrill-lab', user: 'sa' } }],
        'current-context': 'kdrill-lab',
      }),
      { mode: 0o600 },
    );
    return { path, token };
  };

  it('seeds Thanos and two Completed nightly backups in RGW through the real apiserver', async () => {
    const phases = (
      await k(
        '-n',
        'velero',
        'get',
        'backups.velero.io',
        '-l',
        'velero.io/schedule-name=nightly',
        '-o',
        'jsonpath={.items[*].status.phase}',
      )
    )
      .trim()
      .split(' ');
    expect(phases).toEqual(['Completed', 'Completed']);
    expect(await k('version', '-o', 'json')).toMatch(/"gitVersion": "v1\.20\.2"/);
    if (process.env[SECOND_ENV])
      expect(await k('--context', 'kdrill-lab-2', 'version', '-o', 'json')).toMatch(/"gitVersion": "v1\.20\.2"/);
  });

  it('refuses a second lab on the same cluster: two lab Velero controllers would each process every Restore', async () => {
    const other = join(dir, 'second-lab');
    const bucket = `kd-real2-${Date.now().toString(36)}`;
    const r = await kdrill(
      [
        'lab',
        'up',
        '--dir',
        other,
        '--k8s',
        'real',
        '--real-kubeconfig',
        target().kubeconfig,
        '--no-seed',
        '--s3-endpoint',
        process.env.KDRILL_TEST_S3_ENDPOINT!,
        '--s3-credentials-file',
        join(dir, 'rgw.ini'),
        '--bucket',
        bucket,
      ],
      { timeoutMs: 120_000 },
    );
    expectCleanError(
      r,
      4,
      new RegExp(`another kdrill lab is attached to this cluster .*kdrill lab down --dir ${join(dir, 'lab')}`),
    );
    // refused before anything was made: not even its bucket
    const creds = parseAwsCredentials(await readFile(join(dir, 'rgw.ini'), 'utf8'))!;
    await expect(
      new AwsObjectStore({
        endpoint: process.env.KDRILL_TEST_S3_ENDPOINT!,
        region: 'us-east-1',
        bucket,
        prefix: '',
        forcePathStyle: true,
        credentials: creds,
      }).checkAccess(),
    ).rejects.toThrow();
    await kdrill(['lab', 'down', '--dir', other]);
    // the first lab still holds it
    expect(
      (await k('-n', 'kube-system', 'get', 'lease', 'kdrill-lab', '-o', 'jsonpath={.spec.holderIdentity}')).endsWith(
        `:${join(dir, 'lab')}`,
      ),
    ).toBe(true);
  }, 150_000);

  // in this order: each passing drill leaves the app restored for the next; the failing one goes last
  const drills: [string, number][] = [
    ['pvc-loss', 0],
    ['namespace-loss', 0],
    ['thanos-nodes-lost', 0],
    ['datacenter-loss', 0],
  ];
  const drill = async (name: string, code: number): Promise<void> => {
    const out = join(dir, name);
    const r = await kdrill(['run', `scenarios/${name}.yaml`, '--kubeconfig', kubeconfig, '--out', out], {
      timeoutMs: 240_000,
    });
    const res = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as DrillResult;
    expect(r.code, `${r.stderr}\n${JSON.stringify(res.verify)}`).toBe(code);
    expect(res.verdict).toBe(code === 0 ? 'pass' : 'fail');
    // the http check was answered by a pod, through the real apiserver's service proxy
    for (const v of res.verify.filter((x) => x.type === 'http'))
      expect(v.detail).toMatch(/kdrill lab: pod thanos\/thanos-query-/);
    if (name === 'hardened-one-phase') {
      expect(res.restores[0]!.failedItems.map((i) => i.resource)).toContain('deployments.apps');
      expect(res.findings.map((f) => f.code)).toContain('RESTORE_ORDER_NETWORKPOLICY');
    }
  };
  it.each(drills)('%s behaves as stated (exit %i)', drill, 300_000);

  // the RBAC of `kdrill schedule` is not only minimal (test/cli/schedule.test.ts) but enough: the drill
  // passes as the CronJob's ServiceAccount, with its own token
  it('namespace-loss passes as the ServiceAccount that kdrill schedule creates', async () => {
    const applied = await kdrill([
      'schedule',
      'scenarios/namespace-loss.yaml',
      '--cron',
      '@daily',
      '--apply',
      '--kubeconfig',
      kubeconfig,
    ]);
    expect(applied.code, applied.stderr).toBe(0);
    const { path: saKubeconfig, token } = await serviceAccountKubeconfig('kdrill-namespace-loss');
    const out = join(dir, 'as-sa');
    const r = await kdrill(['run', 'scenarios/namespace-loss.yaml', '--kubeconfig', saKubeconfig, '--out', out], {
      timeoutMs: 240_000,
    });
    const res = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as DrillResult;
    expect(r.code, `${r.stderr}\n${JSON.stringify(res.verify)}`).toBe(0);
    expect(await readFile(join(out, 'journal.jsonl'), 'utf8')).not.toContain(token);
  }, 300_000);

  realRestoreTestSuite(() => ({ dir, kubeconfig, serviceAccountKubeconfig }));

  // last: it leaves the app half restored
  it('hardened-one-phase behaves as stated (exit 3)', () => drill('hardened-one-phase', 3), 300_000);
}

/** Every 10.x address on the host's interfaces (`ip -4 addr` outside any namespace): there must be none. */
async function host10(): Promise<string[]> {
  const { stdout } = await run('ip', ['-4', '-o', 'addr', 'show']);
  return [...stdout.matchAll(/^\d+:\s+(\S+)\s+inet (10\.\S+)/gm)].map((m) => `${m[1]} ${m[2]}`);
}

/**
 * Makes a rerun start clean on a long-lived dev control plane: the lab's nodes go (the lab recreates
 * them Ready) and so does an earlier run's app namespace. There is no kubelet when the lab is down,
 * so pods are deleted with grace 0 and the PVCs' protection finalizers are lifted by hand.
 */
async function resetRealCluster(kc: string): Promise<void> {
  const k = (...a: string[]) =>
    run('kubectl', ['--kubeconfig', kc, ...a]).then(
      (r) => r.stdout,
      () => '',
    );
  await k('delete', 'nodes', '-l', 'kdrill.dev/lab-node=true', '--wait=false');
  await k('delete', 'namespace', 'thanos', '--wait=false');
  for (let i = 0; i < 120 && (await k('get', 'namespace', 'thanos', '-o', 'name')).trim(); i++) {
    await k('-n', 'thanos', 'delete', 'pods', '--all', '--grace-period=0', '--force');
    for (const pvc of (await k('-n', 'thanos', 'get', 'pvc', '-o', 'name')).split('\n').filter(Boolean))
      await k('-n', 'thanos', 'patch', pvc, '--type=merge', '-p', '{"metadata":{"finalizers":null}}');
    await new Promise((r) => setTimeout(r, 500));
  }
}
