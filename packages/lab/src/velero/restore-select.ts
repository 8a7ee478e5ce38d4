import { matchesLabelSelector } from '../core.js';
import type { KubeObject, LabelSelector } from '../core.js';
import type { Discovery } from './discovery.js';
import { includeEverything, shouldInclude, type IncludesExcludes } from './filters.js';
import { addResult, type ResultSet } from './layout.js';
import type { BackupArchive } from './restore-archive.js';
import { orderedResources } from './restore-order.js';

// JSON of many shapes, as the core types spec and status; the code narrows what it reads
type Json = Record<string, KubeObject['spec']>;

export interface SelectedItem {
  gr: string;
  /** The namespace it was backed up in; '' for cluster-scoped items. */
  ns: string;
  target: string;
  obj: KubeObject;
}

export interface SelectOptions {
  archive: BackupArchive;
  discovery: Discovery;
  spec: Json;
  resources: IncludesExcludes;
  namespaces: IncludesExcludes;
  isMustHave: (gr: string) => boolean;
  errors: ResultSet;
}

/**
 * getOrderedResourceCollection (pkg/restore/restore.go): each name of the list resolved through
 * discovery as it is reached and taken once; then the resource filter, and per namespace of the
 * backup: a namespace the filter leaves out; cluster-scoped items with includeClusterResources false,
 * or unset while the namespace filter does not cover everything; then the label selectors.
 * `includeAll` false takes the priority list alone (the CRD pass).
 */
export function selectResources(
  o: SelectOptions,
  priorities: { high: readonly string[]; low: readonly string[] },
  includeAll: boolean,
  processed: Set<string>,
): SelectedItem[] {
  const list = includeAll ? orderedResources(priorities, o.archive.resources.keys()) : [...priorities.high];
  const cluster = o.spec.includeClusterResources as boolean | undefined;
  const mapping = (o.spec.namespaceMapping ?? {}) as Record<string, string>;
  const out: SelectedItem[] = [];
  for (const name of list) {
    const gr = o.discovery.groupResource(name);
    if (processed.has(gr)) continue;
    if (!shouldInclude(o.resources, gr) && !o.isMustHave(gr)) continue;
    const byNs = o.archive.resources.get(gr);
    if (!byNs) continue;
    for (const [ns, names] of byNs) {
      if (ns && !shouldInclude(o.namespaces, ns) && !o.isMustHave(gr)) continue;
      if (!ns && cluster === false) continue;
      if (!ns && cluster !== true && !includeEverything(o.namespaces)) continue;
      const target = ns ? (mapping[ns] ?? ns) : '';
      for (const item of names) {
        let obj: KubeObject | undefined;
        try {
          obj = o.archive.read(gr, ns, item);
        } catch (e) {
          addResult(o.errors, target, (e as Error).message);
          continue;
        }
        if (obj && (o.isMustHave(gr) || selected(obj, o.spec))) out.push({ gr, ns, target, obj });
      }
    }
    processed.add(gr);
  }
  return out;
}

/** labelSelector, or any of orLabelSelectors (they cannot be given together). */
function selected(obj: KubeObject, spec: Json): boolean {
  const labels = obj.metadata?.labels ?? {};
  if (spec.labelSelector && !matchesLabelSelector(labels, spec.labelSelector as LabelSelector)) return false;
  const or = (spec.orLabelSelectors ?? []) as LabelSelector[];
  return or.length === 0 || or.some((s) => matchesLabelSelector(labels, s));
}
