import type { KubeObject } from '../core.js';
import type { ResourceType } from './resources.js';

interface Column {
  name: string;
  type: string;
  format?: string;
  priority?: number;
  cell: (o: KubeObject) => unknown;
}

/**
 * meta.k8s.io/v1 Table responses, so `kubectl get` prints the columns it prints against a real
 * cluster (READY, STATUS, NODE…) for the kinds a drill looks at; other kinds get NAME and AGE.
 */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((p) => p.includes('as=Table'));
}

/** `now` (ms) is the server's time, which the Age column counts to. */
export function toTable(t: ResourceType, items: KubeObject[], resourceVersion: string, now: number): object {
  const cols = [
    { name: 'Name', type: 'string', format: 'name', cell: (o: KubeObject) => o.metadata?.name },
    ...(COLUMNS[`${t.group}/${t.resource}`] ?? []),
    { name: 'Age', type: 'string', cell: (o: KubeObject) => age(o, now) },
  ];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: cols.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.name,
      priority: c.priority ?? 0,
    })),
    rows: items.map((o) => ({
      cells: cols.map((c) => c.cell(o) ?? '<none>'),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

function age(o: KubeObject, now: number): string {
  const t = Date.parse(o.metadata?.creationTimestamp ?? '');
  if (Number.isNaN(t)) return '<unknown>';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

const cond = (o: KubeObject, type: string): string | undefined =>
  (o.status?.conditions as { type: string; status: string }[] | undefined)?.find((c) => c.type === type)?.status;

const COLUMNS: Record<string, Column[]> = {
  '/pods': [
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => {
        const cs = (o.status?.containerStatuses as { ready: boolean }[] | undefined) ?? [];
        const total = (o.spec?.containers as unknown[] | undefined)?.length ?? 0;
        return `${cs.filter((c) => c.ready).length}/${total}`;
      },
    },
    { name: 'Status', type: 'string', cell: (o) => (o.metadata?.deletionTimestamp ? 'Terminating' : o.status?.phase) },
    { name: 'Restarts', type: 'integer', cell: () => 0 },
    { name: 'IP', type: 'string', priority: 1, cell: (o) => o.status?.podIP },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => o.spec?.nodeName },
  ],
  '/nodes': [
    {
      name: 'Status',
      type: 'string',
      cell: (o) =>
        (cond(o, 'Ready') === 'True' ? 'Ready' : 'NotReady') + (o.spec?.unschedulable ? ',SchedulingDisabled' : ''),
    },
    { name: 'Roles', type: 'string', cell: () => '<none>' },
    { name: 'Version', type: 'string', cell: (o) => o.status?.nodeInfo?.kubeletVersion },
  ],
  '/namespaces': [{ name: 'Status', type: 'string', cell: (o) => o.status?.phase }],
  '/persistentvolumeclaims': [
    { name: 'Status', type: 'string', cell: (o) => o.status?.phase },
    { name: 'Volume', type: 'string', cell: (o) => o.spec?.volumeName ?? '' },
    { name: 'Capacity', type: 'string', cell: (o) => o.status?.capacity?.storage ?? '' },
    {
      name: 'Access Modes',
      type: 'string',
      cell: (o) =>
        ((o.status?.accessModes as string[] | undefined) ?? [])
          .map((m) => m.replace('ReadWriteOnce', 'RWO').replace('ReadOnlyMany', 'ROX').replace('ReadWriteMany', 'RWX'))
          .join(','),
    },
    { name: 'StorageClass', type: 'string', cell: (o) => o.spec?.storageClassName ?? '' },
  ],
  '/persistentvolumes': [
    { name: 'Capacity', type: 'string', cell: (o) => o.spec?.capacity?.storage },
    { name: 'Reclaim Policy', type: 'string', cell: (o) => o.spec?.persistentVolumeReclaimPolicy },
    { name: 'Status', type: 'string', cell: (o) => o.status?.phase },
    {
      name: 'Claim',
      type: 'string',
      cell: (o) => (o.spec?.claimRef ? `${o.spec.claimRef.namespace}/${o.spec.claimRef.name}` : ''),
    },
  ],
  'apps/deployments': [
    { name: 'Ready', type: 'string', cell: (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}` },
    { name: 'Up-to-date', type: 'integer', cell: (o) => o.status?.updatedReplicas ?? 0 },
    { name: 'Available', type: 'integer', cell: (o) => o.status?.availableReplicas ?? 0 },
  ],
  'apps/statefulsets': [
    { name: 'Ready', type: 'string', cell: (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}` },
  ],
  'apps/replicasets': [
    { name: 'Desired', type: 'integer', cell: (o) => o.spec?.replicas ?? 0 },
    { name: 'Current', type: 'integer', cell: (o) => o.status?.replicas ?? 0 },
    { name: 'Ready', type: 'integer', cell: (o) => o.status?.readyReplicas ?? 0 },
  ],
  'apps/daemonsets': [
    { name: 'Desired', type: 'integer', cell: (o) => o.status?.desiredNumberScheduled ?? 0 },
    { name: 'Ready', type: 'integer', cell: (o) => o.status?.numberReady ?? 0 },
  ],
  '/services': [
    { name: 'Type', type: 'string', cell: (o) => o.spec?.type },
    { name: 'Cluster-IP', type: 'string', cell: (o) => o.spec?.clusterIP },
  ],
};
