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

export function mergeResults(into: ResultSet, from: ResultSet): void {
  into.velero.push(...from.velero);
  into.cluster.push(...from.cluster);
  for (const [ns, l] of Object.entries(from.namespaces)) (into.namespaces[ns] ??= []).push(...l);
}

export const groupResource = (group: string, resource: string): string => (group ? `${resource}.${group}` : resource);
