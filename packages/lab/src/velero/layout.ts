/** Velero's object-store layout (velero-facts.md §3), relative to the BSL prefix. */
export const backupDir = (prefix: string, b: string): string => `${prefix}backups/${b}/`;
export const restoreDir = (prefix: string, r: string): string => `${prefix}restores/${r}/`;

export const backupKeys = (prefix: string, b: string) => ({
  metadata: `${backupDir(prefix, b)}velero-backup.json`,
  tarball: `${backupDir(prefix, b)}${b}.tar.gz`,
  logs: `${backupDir(prefix, b)}${b}-logs.gz`,
  resourceList: `${backupDir(prefix, b)}${b}-resource-list.json.gz`,
  results: `${backupDir(prefix, b)}${b}-results.gz`,
  volumeSnapshots: `${backupDir(prefix, b)}${b}-volumesnapshots.json.gz`,
});

export const restoreKeys = (prefix: string, r: string) => ({
  logs: `${restoreDir(prefix, r)}restore-${r}-logs.gz`,
  results: `${restoreDir(prefix, r)}restore-${r}-results.gz`,
  resourceList: `${restoreDir(prefix, r)}restore-${r}-resource-list.json.gz`,
});

/** Top-level directories Velero accepts under a BSL prefix; anything else makes the BSL Unavailable. */
export const ALLOWED_TOP_LEVEL = ['backups', 'restores', 'restic', 'kopia', 'metadata', 'plugins'];

/** Results files: `{"warnings": R, "errors": R}` with `R = {velero: [], cluster: [], namespaces: {ns: []}}`. */
export interface ResultSet {
  velero: string[];
  cluster: string[];
  namespaces: Record<string, string[]>;
}

export const emptyResults = (): ResultSet => ({ velero: [], cluster: [], namespaces: {} });

export function countResults(r: ResultSet): number {
  return r.velero.length + r.cluster.length + Object.values(r.namespaces).reduce((n, l) => n + l.length, 0);
}

export function addResult(r: ResultSet, ns: string | undefined, msg: string): void {
  if (!ns) r.cluster.push(msg);
  else (r.namespaces[ns] ??= []).push(msg);
}

/** Velero's default restore priorities (v1.17.2+): High, then everything else by name, then Low. */
export const RESTORE_PRIORITY_HIGH = [
  'customresourcedefinitions',
  'namespaces',
  'storageclasses',
  'volumesnapshotclass.snapshot.storage.k8s.io',
  'volumesnapshotcontents.snapshot.storage.k8s.io',
  'volumesnapshots.snapshot.storage.k8s.io',
  'datauploads.velero.io',
  'persistentvolumes',
  'persistentvolumeclaims',
  'clusterroles',
  'roles',
  'serviceaccounts',
  'clusterrolebindings',
  'rolebindings',
  'secrets',
  'configmaps',
  'limitranges',
  'priorityclasses',
  'pods',
  'replicasets.apps',
  'clusterclasses.cluster.x-k8s.io',
  'endpoints',
  'services',
];

export const RESTORE_PRIORITY_LOW = [
  'clusterbootstraps.run.tanzu.vmware.com',
  'clusters.cluster.x-k8s.io',
  'clusterresourcesets.addons.cluster.x-k8s.io',
  'apps.kappctrl.k14s.io',
  'packageinstalls.packaging.carvel.dev',
];

/** Orders group-resources the way Velero's getOrderedResources does. */
export function restoreOrder(groupResources: string[]): string[] {
  const set = new Set(groupResources);
  const high = RESTORE_PRIORITY_HIGH.filter((g) => set.has(g));
  const low = RESTORE_PRIORITY_LOW.filter((g) => set.has(g));
  const middle = groupResources.filter((g) => !RESTORE_PRIORITY_HIGH.includes(g) && !RESTORE_PRIORITY_LOW.includes(g));
  // byte-wise, as Go's sort.Strings does
  middle.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...high, ...[...new Set(middle)], ...low];
}

export const groupResource = (group: string, resource: string): string => (group ? `${resource}.${group}` : resource);
