import type { Finding } from '../drill/types.js';
import { listed } from '../drill/findings.js';
import type { KubeObject } from '../kube/types.js';
import { formatDuration } from '../scenario/duration.js';
import type { ScopeInput } from './cluster.js';
import { PVC_NAMES, impliedRpo, labelsCovered, namespaceCovered, resourceCovered, type Template } from './filters.js';
import { volumeCoverage, type VolumeCoverage } from './volumes.js';

export interface ScheduleSummary {
  name: string;
  cron: string;
  paused: boolean;
  /** The longest gap between two of its runs: the RPO it implies. */
  rpoSeconds?: number;
  newest?: { name: string; startedAt: string; ageSeconds: number };
  filters: string[];
}

export interface NamespaceCoverage {
  namespace: string;
  /** The Schedules whose backups hold it, and what of it they leave out. */
  schedules: { name: string; partial?: string }[];
  rpoSeconds?: number;
  newestBackup?: { name: string; schedule: string; startedAt: string; ageSeconds: number };
  pvcs: { name: string; storageClass?: string; coverage: VolumeCoverage; schedule?: string }[];
}

export interface ScopeReport {
  context: string;
  at: string;
  schedules: ScheduleSummary[];
  namespaces: NamespaceCoverage[];
  findings: Finding[];
}

const SYSTEM = ['kube-system', 'kube-public', 'kube-node-lease'];
const templateOf = (s: KubeObject): Template => (s.spec?.template ?? {}) as Template;
const start = (b: KubeObject): number => Date.parse(String(b.status?.startTimestamp ?? '')) || 0;

function filtersOf(t: Template): string[] {
  const out: string[] = [];
  const f = (label: string, v: unknown[] | undefined): void =>
    void (v?.length && out.push(`${label}: ${v.join(', ')}`));
  f('namespaces', t.includedNamespaces);
  f('not namespaces', t.excludedNamespaces);
  f('resources', [...(t.includedResources ?? []), ...(t.includedNamespaceScopedResources ?? [])]);
  f('not resources', [...(t.excludedResources ?? []), ...(t.excludedNamespaceScopedResources ?? [])]);
  if (t.labelSelector || t.orLabelSelectors?.length) out.push('a label selector');
  if (t.snapshotVolumes === false) out.push('no volume snapshots');
  if (t.defaultVolumesToFsBackup ?? t.defaultVolumesToRestic) out.push('file-system backup of every volume');
  if (t.resourcePolicy) out.push(`resource policy ${t.resourcePolicy.name ?? ''} (not evaluated: it may skip volumes)`);
  return out;
}

function summarize(input: ScopeInput): ScheduleSummary[] {
  return input.schedules.map((s) => {
    const name = s.metadata?.name ?? '';
    const mine = input.backups
      .filter((b) => b.metadata?.labels?.['velero.io/schedule-name'] === name && b.status?.phase === 'Completed')
      .sort((a, b) => start(b) - start(a));
    const newest = mine[0];
    return {
      name,
      cron: String(s.spec?.schedule ?? ''),
      paused: s.spec?.paused === true,
      rpoSeconds: impliedRpo(String(s.spec?.schedule ?? ''), input.now),
      newest: newest
        ? {
            name: newest.metadata?.name ?? '',
            startedAt: String(newest.status?.startTimestamp),
            ageSeconds: Math.round((input.now.getTime() - start(newest)) / 1000),
          }
        : undefined,
      filters: filtersOf(templateOf(s)),
    };
  });
}

/** Whether a Schedule's backups hold a namespace, and what they leave out of it. */
function covering(input: ScopeInput, ns: string): { schedule: KubeObject; partial?: string }[] {
  return input.schedules
    .filter((s) => s.spec?.paused !== true && namespaceCovered(templateOf(s), ns))
    .map((schedule) => {
      const t = templateOf(schedule);
      const partial = [
        t.labelSelector || t.orLabelSelectors?.length ? 'only objects its label selector matches' : '',
        t.includedResources?.length ||
        t.excludedResources?.length ||
        t.includedNamespaceScopedResources?.length ||
        t.excludedNamespaceScopedResources?.length
          ? 'only the resources its filters let in'
          : '',
      ].filter(Boolean);
      return { schedule, ...(partial.length ? { partial: partial.join('; ') } : {}) };
    });
}

/** The best coverage a claim gets from the Schedules that hold its namespace. */
function claimCoverage(input: ScopeInput, pvc: KubeObject, schedules: KubeObject[]): NamespaceCoverage['pvcs'][number] {
  let best: { coverage: VolumeCoverage; schedule?: string } | undefined;
  for (const s of schedules) {
    const t = templateOf(s);
    const coverage: VolumeCoverage =
      !resourceCovered(t, PVC_NAMES) || !labelsCovered(t, pvc)
        ? { how: 'none', why: `Schedule ${s.metadata?.name} leaves the claim itself out (resource or label filter)` }
        : volumeCoverage(t, input, pvc);
    if (!best || (best.coverage.how === 'none' && coverage.how !== 'none'))
      best = { coverage, schedule: s.metadata?.name };
  }
  return {
    name: pvc.metadata?.name ?? '',
    storageClass: pvc.spec?.storageClassName as string | undefined,
    coverage: best?.coverage ?? { how: 'none', why: 'no Schedule backs up its namespace' },
    ...(best?.schedule ? { schedule: best.schedule } : {}),
  };
}

function namespaceCoverage(input: ScopeInput, ns: string, summaries: ScheduleSummary[]): NamespaceCoverage {
  const cover = covering(input, ns);
  const names = new Set(cover.map((c) => c.schedule.metadata?.name ?? ''));
  const rpos = summaries.filter((s) => names.has(s.name) && s.rpoSeconds).map((s) => s.rpoSeconds!);
  const newest = summaries
    .filter((s) => names.has(s.name) && s.newest)
    .sort((a, b) => a.newest!.ageSeconds - b.newest!.ageSeconds)[0];
  return {
    namespace: ns,
    schedules: cover.map((c) => ({
      name: c.schedule.metadata?.name ?? '',
      ...(c.partial ? { partial: c.partial } : {}),
    })),
    ...(rpos.length ? { rpoSeconds: Math.min(...rpos) } : {}),
    ...(newest ? { newestBackup: { ...newest.newest!, schedule: newest.name } } : {}),
    pvcs: input.pvcs
      .filter((c) => c.metadata?.namespace === ns)
      .map((c) =>
        claimCoverage(
          input,
          c,
          cover.map((x) => x.schedule),
        ),
      ),
  };
}

const DATA_FIX =
  'annotate the pods (backup.velero.io/backup-volumes: <volume>) or set defaultVolumesToFsBackup: true in the Schedule, with the node agent installed (velero install --use-node-agent); or give the StorageClass a CSI VolumeSnapshotClass labelled velero.io/csi-volumesnapshot-class=true';

/** Claims whose data no Schedule backs up, grouped by why: one reason, then the claims it holds for. */
function bareClaims(n: NamespaceCoverage): Finding[] {
  const bare = n.pvcs.filter((c) => c.coverage.how === 'none');
  if (!n.schedules.length || !bare.length) return [];
  const byWhy = new Map<string, string[]>();
  for (const c of bare) byWhy.set(c.coverage.why, [...(byWhy.get(c.coverage.why) ?? []), c.name]);
  const why = [...byWhy].map(([w, names]) => `${listed(names)} (${w})`).join('; ');
  return [
    {
      severity: 'P2',
      code: 'SCOPE_PVC_DATA_NOT_BACKED_UP',
      key: n.namespace,
      message: `the data of ${bare.length} claim(s) in ${n.namespace} is not backed up, only the claim objects: ${why}`,
      fix: DATA_FIX,
    },
  ];
}

function namespaceFindings(n: NamespaceCoverage): Finding[] {
  const out: Finding[] = [];
  const claims = n.pvcs.map((c) => c.name);
  if (!n.schedules.length && claims.length)
    out.push({
      severity: 'P2',
      code: 'SCOPE_PVC_UNCOVERED',
      key: n.namespace,
      message: `namespace ${n.namespace} has ${claims.length} PersistentVolumeClaim(s) (${listed(claims)}) and no Schedule backs it up: a disaster loses their data and the namespace`,
      fix: `add ${n.namespace} to a Schedule (velero schedule create … --include-namespaces ${n.namespace}), with file-system backup or CSI snapshots for its volumes`,
    });
  else if (!n.schedules.length)
    out.push({
      severity: 'P3',
      code: 'SCOPE_NAMESPACE_UNCOVERED',
      key: n.namespace,
      message: `namespace ${n.namespace} is in no Schedule's backups`,
      fix: 'add it to a Schedule, or confirm with the application team that it needs no backup',
    });
  out.push(...bareClaims(n));
  if (n.schedules.length && !n.newestBackup)
    out.push({
      severity: 'P3',
      code: 'SCOPE_NO_COMPLETED_BACKUP',
      key: n.namespace,
      message: `namespace ${n.namespace} is in ${n.schedules.map((s) => s.name).join(', ')}, which has no Completed backup yet`,
      fix: `velero backup create --from-schedule ${n.schedules[0]!.name}`,
    });
  return out;
}

function findingsOf(namespaces: NamespaceCoverage[], summaries: ScheduleSummary[]): Finding[] {
  const out = namespaces.flatMap(namespaceFindings);
  for (const s of summaries.filter((x) => x.paused))
    out.push({
      severity: 'P3',
      code: 'SCOPE_SCHEDULE_PAUSED',
      key: s.name,
      message: `Schedule ${s.name} is paused: it backs up nothing until unpaused`,
      fix: `velero schedule unpause ${s.name}, or delete it`,
    });
  return out;
}

/** The backup coverage of every namespace (kube-* and Velero's own aside), from the Schedules and their newest backups. */
export function scopeReport(input: ScopeInput): ScopeReport {
  const summaries = summarize(input);
  const sandbox = (ns: KubeObject): boolean => ns.metadata?.labels?.['kdrill.dev/sandbox'] === 'true';
  const names = input.namespaces
    .filter((ns) => !sandbox(ns))
    .map((ns) => ns.metadata?.name ?? '')
    .filter((n) => !SYSTEM.includes(n) && n !== input.veleroNamespace && input.nonEmpty.includes(n))
    .sort();
  const namespaces = names.map((n) => namespaceCoverage(input, n, summaries));
  return {
    context: input.context,
    at: input.now.toISOString(),
    schedules: summaries,
    namespaces,
    findings: findingsOf(namespaces, summaries),
  };
}

export const rpoText = (s?: number): string => (s === undefined ? '—' : formatDuration(s));
