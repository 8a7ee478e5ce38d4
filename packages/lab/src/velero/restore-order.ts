/**
 * The order a restore takes resources in (getOrderedResources, pkg/restore/restore.go): the High
 * priorities as written, then every resource of the backup whose directory name is not literally one
 * of the priorities, sorted byte-wise, then the Low priorities. The priorities are resolved through
 * discovery only as they are reached, so a name in both lists (`roles` and
 * `roles.rbac.authorization.k8s.io`) is taken once, where it first resolves.
 */
export function orderedResources(
  priorities: { high: readonly string[]; low: readonly string[] },
  backupResources: Iterable<string>,
): string[] {
  const listed = new Set([...priorities.high, ...priorities.low]);
  const middle = [...backupResources].filter((r) => !listed.has(r));
  middle.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...priorities.high, ...middle, ...priorities.low];
}
