import { includeEverything, matchesFilter, shouldInclude, type IncludesExcludes } from './filters.js';
import type { VeleroRelease } from './versions.js';

const WILDCARD = /[*?[]/;

export interface BackupNamespaces extends IncludesExcludes {
  /** IncludeEverything of the backup's namespace filter: what decides whether cluster-scoped types come along. */
  coversAll: boolean;
  /** Wildcards were expanded and matched nothing: no namespace at all. */
  none: boolean;
}

/**
 * A backup's namespace filter. v1.14: the lists as given, "everything" only when empty or `*`
 * (IncludesExcludes). v1.18: wildcards expanded against the cluster's namespaces first
 * (pkg/util/wildcard/expand.go), and "everything" also when the includes name every namespace there is
 * (NamespaceIncludesExcludes, pkg/util/collections/includes_excludes.go).
 */
export function backupNamespaces(
  release: VeleroRelease,
  includes: string[] = [],
  excludes: string[] = [],
  active: string[],
): BackupNamespaces {
  if (
    !release.backupNamespacesExpand ||
    includes.length === 0 ||
    ![...includes, ...excludes].some((p) => WILDCARD.test(p))
  ) {
    return {
      includes,
      excludes,
      coversAll:
        includeEverything({ includes, excludes }) ||
        (release.backupNamespacesExpand && excludes.length === 0 && same(includes, active)),
      none: false,
    };
  }
  const expand = (patterns: string[]): string[] => [
    ...new Set(patterns.flatMap((p) => (WILDCARD.test(p) ? active.filter((ns) => matchesFilter(ns, [p], [])) : [p]))),
  ];
  const inc = expand(includes);
  const exc = expand(excludes);
  // an expansion that matched nothing leaves the includes empty: no namespace, yet "everything" to the cluster-scope check
  return {
    includes: inc,
    excludes: exc,
    coversAll: exc.length === 0 && (inc.length === 0 || same(inc, active)),
    none: inc.length === 0,
  };
}

const same = (a: string[], b: string[]): boolean => {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

export const namespaceIncluded = (ns: BackupNamespaces, name: string): boolean => !ns.none && shouldInclude(ns, name);

/**
 * Whether a type is collected (GlobalIncludesExcludes.ShouldInclude): cluster-scoped types never with
 * includeClusterResources false; with it unset only when the namespace filter covers everything (the
 * `namespaces` type itself aside); then the resource filter.
 */
export function typeIncluded(
  gr: string,
  namespaced: boolean,
  resources: IncludesExcludes,
  includeClusterResources: boolean | undefined,
  ns: BackupNamespaces,
): boolean {
  if (!namespaced && includeClusterResources === false) return false;
  if (gr !== 'namespaces' && !namespaced && includeClusterResources === undefined && !ns.coversAll) return false;
  return shouldInclude(resources, gr);
}

/**
 * Whether a cluster-scoped item another item brings along (a claim's volume, a custom resource's CRD)
 * is left out (GlobalIncludesExcludes.ShouldExclude): explicitly excluded, or includeClusterResources
 * false, or unset and the resource filter does not include it.
 */
export function additionalExcluded(
  gr: string,
  namespaced: boolean,
  resources: IncludesExcludes,
  includeClusterResources: boolean | undefined,
): boolean {
  if (resources.excludes.length && !shouldInclude({ includes: [], excludes: resources.excludes }, gr)) return true;
  if (namespaced) return false;
  if (includeClusterResources === false) return true;
  return includeClusterResources === undefined && !shouldInclude(resources, gr);
}
