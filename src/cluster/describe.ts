import { ZONE_LABEL } from '../kube/types.js';
import type { KubeApi } from '../kube/kube-api.js';

export interface ClusterSummary {
  context: string;
  server: string;
  version: string;
  nodes: { name: string; zone: string; ready: boolean }[];
  zones: Record<string, { nodes: number; ready: number }>;
  velero: { crds: boolean; backupStorageLocations: { namespace: string; name: string; phase: string }[] };
}

/** What kdrill sees of a cluster, read-only: version, nodes by zone, and whether Velero is there. */
export async function describeCluster(kube: KubeApi): Promise<ClusterSummary> {
  const version = (await kube.serverVersion()).gitVersion;
  const nodes = (await kube.list({ apiVersion: 'v1', kind: 'Node' })).items.map((n) => ({
    name: n.metadata?.name ?? '',
    zone: n.metadata?.labels?.[ZONE_LABEL] ?? '',
    ready:
      (n.status?.conditions as { type: string; status: string }[] | undefined)?.some(
        (c) => c.type === 'Ready' && c.status === 'True',
      ) ?? false,
  }));
  const zones: ClusterSummary['zones'] = {};
  for (const n of nodes) {
    const z = (zones[n.zone || '(none)'] ??= { nodes: 0, ready: 0 });
    z.nodes++;
    if (n.ready) z.ready++;
  }
  const BSL = { apiVersion: 'velero.io/v1', kind: 'BackupStorageLocation' };
  const crds = await kube.serves(BSL);
  const bsls = crds
    ? (await kube.list(BSL)).items.map((b) => ({
        namespace: b.metadata?.namespace ?? '',
        name: b.metadata?.name ?? '',
        phase: (b.status?.phase as string | undefined) ?? 'Unknown',
      }))
    : [];
  return {
    context: kube.context,
    server: kube.server,
    version,
    nodes,
    zones,
    velero: { crds, backupStorageLocations: bsls },
  };
}

export function renderCluster(s: ClusterSummary): string {
  const lines = [`context ${s.context} → ${s.server} (Kubernetes ${s.version})`, `nodes: ${s.nodes.length}`];
  for (const [z, c] of Object.entries(s.zones).sort()) lines.push(`  ${z}: ${c.ready}/${c.nodes} Ready`);
  if (!s.velero.crds) lines.push('velero: not installed (no velero.io CRDs)');
  else if (s.velero.backupStorageLocations.length === 0) lines.push('velero: CRDs installed, no BackupStorageLocation');
  else for (const b of s.velero.backupStorageLocations) lines.push(`velero: BSL ${b.namespace}/${b.name} ${b.phase}`);
  return `${lines.join('\n')}\n`;
}
