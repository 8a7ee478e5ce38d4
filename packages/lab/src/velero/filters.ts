import type { ServedResource } from '../core.js';
import { groupResource } from './layout.js';

/** Velero's include/exclude semantics: empty or ["*"] means all; excludes win; namespace globs. */
export function matchesFilter(value: string, included: string[] | undefined, excluded: string[] | undefined, aliases: string[] = [value]): boolean {
  const hit = (pats: string[]): boolean => pats.some((p) => aliases.some((a) => glob(p, a)));
  if (excluded && hit(excluded)) return false;
  if (!included || included.length === 0 || included.includes('*')) return true;
  return hit(included);
}

function glob(pattern: string, value: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === value;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(value);
}

/** Names a resource filter may use: plural, plural.group, kind (lowercase). */
export function resourceAliases(r: Pick<ServedResource, 'group' | 'resource' | 'kind'>): string[] {
  return [groupResource(r.group, r.resource), r.resource, r.kind.toLowerCase()];
}

/** What Velero never backs up by default. */
export const NEVER_BACKED_UP = new Set(['nodes', 'events', 'events.events.k8s.io', 'leases.coordination.k8s.io']);
export const isVeleroOwn = (r: Pick<ServedResource, 'group'>): boolean => r.group === 'velero.io';
