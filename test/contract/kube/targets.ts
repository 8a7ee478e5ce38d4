import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { connectKube } from '../../../src/kube/client-node.js';
import type { KubeApi } from '../../../src/kube/kube-api.js';
import { startHardenedWebhook, type WebhookHandle } from '../../../packages/lab/src/admission/webhook.js';
import type { HardenedScope } from '../../../packages/lab/src/admission/hardened.js';
import { LabApiServer } from '../../../packages/lab/src/apiserver/server.js';
import { startControllers, type ControllersHandle } from '../../../packages/lab/src/controllers/index.js';
import { labKubeconfig, LAB_CONTEXT } from '../../../packages/lab/src/kubeconfig.js';
import { TcpProxy } from '../../support/tcp-proxy.js';

const run = promisify(execFile);

/** The hardened rule applies in contract tests only to namespaces with this label, on both targets. */
export const HARDENED_LABEL = 'kdrill.dev/hardened';
export const HARDENED_SCOPE: HardenedScope = {
  exemptNamespaces: ['kube-system'],
  namespaceSelector: { matchLabels: { [HARDENED_LABEL]: 'true' } },
  action: 'deny',
};

export interface KubeTarget {
  name: string;
  kube: KubeApi;
  kubeconfig: string;
  /** The same cluster through a TCP proxy whose connections a test can cut. */
  proxied: KubeApi;
  proxy: TcpProxy;
  controllers: ControllersHandle;
  /** Forgets the event history (etcd compaction), so older resourceVersions get 410 Gone. */
  compact(): Promise<void>;
  stop(): Promise<void>;
}

export interface TargetSpec {
  name: string;
  /** Why it is skipped, when it cannot run here. */
  skip?: string;
  /** A real cluster shared by every test file: used by one file at a time (lockRealCluster). */
  real?: boolean;
  start(): Promise<KubeTarget>;
}

const REAL_ENV = 'KDRILL_TEST_KUBECONFIG';
const ETCD_ENV = 'KDRILL_TEST_ETCD';

/**
 * Compacts etcd at its current revision. The real apiserver is started with the ConfigMap watch
 * cache off (scripts/kapi-start.sh), so ConfigMap watches read etcd and see the compaction as 410.
 */
async function compactEtcd(): Promise<void> {
  const endpoint = process.env[ETCD_ENV] ?? 'http://127.0.0.1:12379';
  const { stdout } = await run('etcdctl', ['--endpoints', endpoint, 'endpoint', 'status', '-w', 'json']);
  const rev = (JSON.parse(stdout) as { Status: { header: { revision: number } } }[])[0]!.Status.header.revision;
  await run('etcdctl', ['--endpoints', endpoint, 'compact', String(rev)]);
}

async function proxiedKubeconfig(kubeconfig: string, proxyPort: number, dir: string): Promise<string> {
  const kc = parse(await readFile(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  for (const c of kc.clusters) c.cluster.server = c.cluster.server.replace(/:\d+$/, `:${proxyPort}`);
  const out = join(dir, 'proxied.kubeconfig');
  await writeFile(out, stringify(kc));
  return out;
}

async function finish(
  name: string,
  kubeconfig: string,
  dir: string,
  extraStop: () => Promise<void>,
  controllers: ControllersHandle,
  kube: KubeApi,
  compact: () => Promise<void>,
): Promise<KubeTarget> {
  const port = Number(/:(\d+)$/.exec(kube.server)?.[1]);
  const proxy = new TcpProxy('127.0.0.1', port);
  const proxyPort = await proxy.start();
  const proxied = connectKube({ kubeconfig: await proxiedKubeconfig(kubeconfig, proxyPort, dir) });
  return {
    name,
    kube,
    kubeconfig,
    proxied,
    proxy,
    controllers,
    compact,
    stop: once(async () => {
      await proxy.stop();
      await controllers.stop();
      await extraStop();
    }),
  };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}

export const TARGETS: TargetSpec[] = [
  {
    name: 'lab',
    start: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'kdrill-contract-'));
      const api = new LabApiServer({ hardened: HARDENED_SCOPE, bookmarkIntervalMs: 200 });
      const server = await api.listen(0);
      const kubeconfig = join(dir, 'kubeconfig');
      await writeFile(kubeconfig, labKubeconfig(server));
      const kube = connectKube({ kubeconfig, context: LAB_CONTEXT });
      const controllers = await startControllers(kube, { startDelayMs: 100, evictionDelayMs: 60_000 });
      return finish(
        'lab',
        kubeconfig,
        dir,
        () => api.close(),
        controllers,
        kube,
        async () => api.cluster.store.compact(),
      );
    },
  },
  {
    name: 'real kube-apiserver',
    real: true,
    skip: process.env[REAL_ENV]
      ? undefined
      : `${REAL_ENV} is not set: run .ci/run, or start scripts/kapi-start.sh and point ${REAL_ENV} at its kubeconfig`,
    start: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'kdrill-contract-'));
      const kubeconfig = process.env[REAL_ENV]!;
      const kube = connectKube({ kubeconfig });
      const controllers = await startControllers(kube, { startDelayMs: 100, evictionDelayMs: 60_000 });
      let webhook: WebhookHandle;
      try {
        webhook = await startHardenedWebhook(kube, HARDENED_SCOPE, join(dir, 'certs'));
      } catch (e) {
        await controllers.stop();
        throw e;
      }
      return finish(
        'real kube-apiserver',
        kubeconfig,
        dir,
        () => webhook.stop(),
        controllers,
        kube,
        () => compactEtcd(),
      );
    },
  },
];
