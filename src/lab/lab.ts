import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectKube } from '../kube/client-node.js';
import type { KubeApi } from '../kube/kube-api.js';
import { DEFAULT_EXEMPT, type HardenedScope } from './admission/hardened.js';
import { LabApiServer } from './apiserver/server.js';
import { startControllers, type ControllersHandle } from './controllers/index.js';
import type { NodeLayout } from './controllers/nodes.js';
import { LAB_CONTEXT, labKubeconfig } from './kubeconfig.js';

export interface LabOptions {
  dir: string;
  port?: number;
  hardened?: boolean | HardenedScope;
  layout?: NodeLayout;
  startDelayMs?: number;
  evictionDelayMs?: number;
  bookmarkIntervalMs?: number;
}

export interface RunningLab {
  server: string;
  kubeconfig: string;
  context: string;
  api: LabApiServer;
  kube: KubeApi;
  controllers: ControllersHandle;
  stop(): Promise<void>;
}

export function hardenedScope(h: LabOptions['hardened']): HardenedScope | undefined {
  if (!h) return undefined;
  return h === true ? { exemptNamespaces: DEFAULT_EXEMPT } : h;
}

/** Starts a lab in this process: the API server, then the controllers against it over HTTP. */
export async function startLab(opts: LabOptions): Promise<RunningLab> {
  await mkdir(opts.dir, { recursive: true });
  const api = new LabApiServer({ hardened: hardenedScope(opts.hardened), bookmarkIntervalMs: opts.bookmarkIntervalMs });
  const server = await api.listen(opts.port ?? 0);
  const kubeconfig = join(opts.dir, 'kubeconfig');
  await writeFile(kubeconfig, labKubeconfig(server), { mode: 0o600 });
  const kube = connectKube({ kubeconfig, context: LAB_CONTEXT });
  let controllers: ControllersHandle;
  try {
    controllers = await startControllers(kube, { layout: opts.layout, startDelayMs: opts.startDelayMs, evictionDelayMs: opts.evictionDelayMs, workloads: true });
  } catch (e) {
    await api.close();
    throw e;
  }
  return {
    server,
    kubeconfig,
    context: LAB_CONTEXT,
    api,
    kube,
    controllers,
    stop: async () => {
      await controllers.stop();
      await api.close();
    },
  };
}
