import { matchesLabelSelector } from '../kube/labels.js';
import type { KubeObject, LabelSelector } from '../kube/types.js';
import { nextRun } from '../time/cron.js';

/** A Schedule's backup template: the filters that decide what its backups hold. */
export interface Template {
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  includedResources?: string[];
  excludedResources?: string[];
  includedNamespaceScopedResources?: string[];
  excludedNamespaceScopedResources?: string[];
  labelSelector?: LabelSelector;
  orLabelSelectors?: LabelSelector[];
  snapshotVolumes?: boolean;
  defaultVolumesToFsBackup?: boolean;
  defaultVolumesToRestic?: boolean;
  resourcePolicy?: { kind?: string; name?: string };
}

const glob = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

/** Velero's include/exclude (pkg/util/collections): empty or `*` is all, globs, excludes win. */
export function included(
  value: string,
  inc: string[] | undefined,
  exc: string[] | undefined,
  aliases: string[] = [value],
): boolean {
  if (exc?.some((p) => aliases.some((a) => glob(p, a)))) return false;
  return !inc?.length || inc.includes('*') || inc.some((p) => aliases.some((a) => glob(p, a)));
}

export const namespaceCovered = (t: Template, ns: string): boolean =>
  included(ns, t.includedNamespaces, t.excludedNamespaces);

/** Whether the template's resource filters let this resource in (old and new filter fields both). */
export function resourceCovered(t: Template, aliases: string[]): boolean {
  return (
    included(aliases[0]!, t.includedResources, t.excludedResources, aliases) &&
    included(aliases[0]!, t.includedNamespaceScopedResources, t.excludedNamespaceScopedResources, aliases)
  );
}

export const PVC_NAMES = ['persistentvolumeclaims', 'persistentvolumeclaim', 'pvc'];
export const POD_NAMES = ['pods', 'pod', 'po'];

/** Whether an object's labels pass the template's label selector (or any of its OR-selectors). */
export function labelsCovered(t: Template, o: KubeObject): boolean {
  const labels = o.metadata?.labels ?? {};
  if (t.orLabelSelectors?.length) return t.orLabelSelectors.some((s) => matchesLabelSelector(labels, s));
  return matchesLabelSelector(labels, t.labelSelector);
}

/** The longest gap between two runs of a cron schedule in the year ahead: the RPO it implies (seconds). */
export function impliedRpo(cron: string, from: Date): number | undefined {
  let at = nextRun(cron, from);
  if (!at) return undefined;
  let worst = 0;
  const end = from.getTime() + 400 * 86400_000;
  for (let i = 0; i < 60 && at.getTime() < end; i++) {
    const next = nextRun(cron, at);
    if (!next) break;
    worst = Math.max(worst, (next.getTime() - at.getTime()) / 1000);
    at = next;
  }
  return worst || undefined;
}
