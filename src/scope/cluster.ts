import { isKubeApiError } from '../kube/errors.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import { V } from '../velero/velero.js';
import { isVeleroServer } from '../velero/health.js';

/** What `kdrill scope` reads of a cluster, once: everything the coverage is worked out from. */
export interface ScopeInput {
  context: string;
  veleroNamespace: string;
  now: Date;
  schedules: KubeObject[];
  backups: KubeObject[];
  namespaces: KubeObject[];
  pvcs: KubeObject[];
  pods: KubeObject[];
  /** Namespaces with something of their own: a workload, a PVC, a ConfigMap or Secret beyond the defaults. */
  nonEmpty: string[];
  storageClasses: KubeObject[];
  snapshotClasses: KubeObject[];
  snapshotLocations: KubeObject[];
  pvs: KubeObject[];
  velero: { args: string[]; version?: [number, number]; nodeAgent: boolean };
}

async function listOrEmpty(kube: KubeApi, apiVersion: string, kind: string, namespace?: string): Promise<KubeObject[]> {
  if (!(await kube.serves({ apiVersion, kind }))) return [];
  try {
    return (await kube.list({ apiVersion, kind }, namespace ? { namespace } : {})).items;
  } catch (e) {
    if (isKubeApiError(e, 403) || isKubeApiError(e, 404)) return [];
    throw e;
  }
}

async function veleroServer(kube: KubeApi, ns: string): Promise<ScopeInput['velero']> {
  const deployments = await listOrEmpty(kube, 'apps/v1', 'Deployment', ns);
  const server = deployments.find(isVeleroServer);
  const containers = (server?.spec?.template?.spec?.containers ?? []) as { image?: string; args?: string[] }[];
  const v = containers.map((c) => /\/velero:v(\d+)\.(\d+)/.exec(c.image ?? '')).find(Boolean);
  const daemonsets = await listOrEmpty(kube, 'apps/v1', 'DaemonSet', ns);
  return {
    args: containers.flatMap((c) => c.args ?? []),
    version: v ? [Number(v[1]), Number(v[2])] : undefined,
    nodeAgent: daemonsets.some((d) => ['node-agent', 'restic'].includes(d.metadata?.name ?? '')),
  };
}

const DEFAULTS = new Set(['ConfigMap kube-root-ca.crt']);

async function nonEmptyNamespaces(kube: KubeApi): Promise<Set<string>> {
  const out = new Set<string>();
  for (const [apiVersion, kind] of [
    ['apps/v1', 'Deployment'],
    ['apps/v1', 'StatefulSet'],
    ['apps/v1', 'DaemonSet'],
    ['batch/v1', 'CronJob'],
    ['batch/v1beta1', 'CronJob'],
    ['v1', 'ConfigMap'],
    ['v1', 'Service'],
  ] as const)
    for (const o of await listOrEmpty(kube, apiVersion, kind))
      if (!DEFAULTS.has(`${kind} ${o.metadata?.name}`) && !(kind === 'Service' && o.metadata?.name === 'kubernetes'))
        out.add(o.metadata?.namespace ?? '');
  return out;
}

/** Reads Velero's Schedules and Backups and the cluster's namespaces, claims, pods and storage. Exit 4 without Velero. */
export async function readScopeInput(kube: KubeApi, veleroNamespace: string, now: Date): Promise<ScopeInput> {
  const pvcs = await listOrEmpty(kube, 'v1', 'PersistentVolumeClaim');
  const nonEmpty = await nonEmptyNamespaces(kube);
  for (const c of pvcs) nonEmpty.add(c.metadata?.namespace ?? '');
  return {
    context: kube.context,
    veleroNamespace,
    now,
    schedules: (await kube.list(V('Schedule'), { namespace: veleroNamespace })).items,
    backups: (await kube.list(V('Backup'), { namespace: veleroNamespace })).items,
    namespaces: (await kube.list({ apiVersion: 'v1', kind: 'Namespace' })).items,
    pvcs,
    pods: await listOrEmpty(kube, 'v1', 'Pod'),
    nonEmpty: [...nonEmpty].sort(),
    storageClasses: await listOrEmpty(kube, 'storage.k8s.io/v1', 'StorageClass'),
    snapshotClasses: await listOrEmpty(kube, 'snapshot.storage.k8s.io/v1', 'VolumeSnapshotClass'),
    snapshotLocations: await listOrEmpty(kube, 'velero.io/v1', 'VolumeSnapshotLocation', veleroNamespace),
    pvs: await listOrEmpty(kube, 'v1', 'PersistentVolume'),
    velero: await veleroServer(kube, veleroNamespace),
  };
}
