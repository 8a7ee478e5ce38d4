import type { ServedResource } from '../core.js';

/** Velero's include/exclude semantics: empty or ["*"] means all; excludes win; namespace globs. */
export function matchesFilter(
  value: string,
  included: string[] | undefined,
  excluded: string[] | undefined,
  aliases: string[] = [value],
): boolean {
  const hit = (pats: string[]): boolean => pats.some((p) => aliases.some((a) => glob(p, a)));
  if (excluded && hit(excluded)) return false;
  if (!included || included.length === 0 || included.includes('*')) return true;
  return hit(included);
}

function glob(pattern: string, value: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === value;
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(value);
}

/**
 * Left out of the lab's backups. Velero backs these up too, and never restores nodes and events
 * (nonRestorableResources, restore_controller.go): a difference of the lab's tarballs, not of restores.
 */
export const NEVER_BACKED_UP = new Set(['nodes', 'events', 'events.events.k8s.io', 'leases.coordination.k8s.io']);
export const isVeleroOwn = (r: Pick<ServedResource, 'group'>): boolean => r.group === 'velero.io';

/** Velero's IncludesExcludes (pkg/util/collections/includes_excludes.go): glob sets, excludes first. */
export interface IncludesExcludes {
  includes: string[];
  excludes: string[];
}

export const shouldInclude = (ie: IncludesExcludes, s: string): boolean => matchesFilter(s, ie.includes, ie.excludes);

/** No excludes, and no includes or exactly `*`: the filter covers everything. */
export function includeEverything(ie: IncludesExcludes): boolean {
  const inc = new Set(ie.includes);
  return ie.excludes.length === 0 && (inc.size === 0 || (inc.size === 1 && inc.has('*')));
}

/**
 * A resource filter with each name resolved through discovery to `<plural>.<group>`, kept as given when
 * nothing serves it (GetResourceIncludesExcludes); `*` is kept in includes and ignored in excludes.
 */
export function resourceIncludesExcludes(
  resolve: (name: string) => string,
  includes: string[] = [],
  excludes: string[] = [],
): IncludesExcludes {
  return {
    includes: includes.map((i) => (i === '*' ? i : resolve(i))),
    excludes: excludes.filter((e) => e !== '*').map(resolve),
  };
}

/** The errors ValidateIncludesExcludes reports for a pair of lists. */
export function validateIncludesExcludes(includes: string[] = [], excludes: string[] = []): string[] {
  const inc = new Set(includes);
  const exc = new Set(excludes);
  const out: string[] = [];
  if (inc.size > 1 && inc.has('*'))
    out.push("includes list must either contain '*' only, or a non-empty list of items");
  if (exc.has('*')) out.push("excludes list cannot contain '*'");
  for (const e of [...exc].sort())
    if (inc.has(e)) out.push(`excludes list cannot contain an item in the includes list: ${e}`);
  return out;
}
