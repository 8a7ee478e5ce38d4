import { VERSION } from '../cli/version.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import type { Clock } from '../time/clock.js';
import { isVeleroServer } from '../velero/health.js';

/** What ran: kdrill, and in each cluster the drill touched, Kubernetes and Velero. */
export interface RunVersions {
  kdrill: string;
  clusters: { context: string; kubernetes?: string; velero?: string; error?: string }[];
}

/** Velero's version from its server Deployment's image tag (`velero/velero:v1.14.1`), as `velero version` shows it. */
export function veleroVersionOf(d: KubeObject): string | undefined {
  const containers = (d.spec?.template?.spec?.containers ?? []) as { name?: string; image?: string }[];
  const image = (containers.find((c) => c.name === 'velero') ?? containers[0])?.image;
  const tag = image?.split('@')[0]?.split('/').pop()?.split(':')[1];
  return tag || undefined;
}

async function clusterVersions(kube: KubeApi, veleroNamespace: string): Promise<RunVersions['clusters'][number]> {
  const out: RunVersions['clusters'][number] = { context: kube.context };
  try {
    out.kubernetes = (await kube.serverVersion()).gitVersion;
    const servers = (await kube.list({ apiVersion: 'apps/v1', kind: 'Deployment' }, { namespace: veleroNamespace }))
      .items;
    const server = servers.find(isVeleroServer);
    out.velero = server ? veleroVersionOf(server) : undefined;
    if (!server) out.error = `no Velero server Deployment in ${veleroNamespace}`;
  } catch (e) {
    out.error = (e as Error).message.split('\n')[0];
  }
  return out;
}

/** Reads the versions at the end of a run; a cluster that no longer answers within 10 s is named, not waited for. */
export async function readVersions(kubes: KubeApi[], veleroNamespace: string, clock: Clock): Promise<RunVersions> {
  const unique = [...new Map(kubes.map((k) => [k.context, k])).values()];
  const clusters = await Promise.all(
    unique.map(
      (k) =>
        new Promise<RunVersions['clusters'][number]>((resolve) => {
          const t = clock.timeout(() => resolve({ context: k.context, error: 'no answer within 10s' }), 10_000);
          void clusterVersions(k, veleroNamespace).then((v) => {
            t.clear();
            resolve(v);
          });
        }),
    ),
  );
  return { kdrill: VERSION, clusters };
}
