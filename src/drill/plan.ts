import type { CarriedActionItem } from '../actions/types.js';
import type { KubeApi } from '../kube/kube-api.js';
import { formatDuration } from '../scenario/duration.js';
import type { DisasterStep, RestorePhase, Scenario, VerifyStep } from '../scenario/schema.js';

export const NETPOL = 'networkpolicies.networking.k8s.io';

/** What a fresh recovery cluster lacks that the namespaces need: the CRDs of their custom resources, the RBAC that binds their ServiceAccounts. */
export const CLUSTER_SCOPED_NEEDS = [
  'customresourcedefinitions.apiextensions.k8s.io',
  'clusterroles.rbac.authorization.k8s.io',
  'clusterrolebindings.rbac.authorization.k8s.io',
];

/**
 * Default restore phases: NetworkPolicies first (hardened clusters refuse pods without one), then the
 * rest. Into another cluster, a `cluster` phase comes first: Velero restores no cluster-scoped item when
 * the namespaces are filtered (pkg/restore/restore.go), so the CRDs and ClusterRoles/Bindings the backup
 * holds for the namespaces (Velero backs them up with the CRs and ServiceAccounts) are restored on their own.
 */
export function restorePhases(s: Scenario): RestorePhase[] {
  if (s.spec.recovery.phases) return s.spec.recovery.phases;
  const intoAnotherCluster = !!s.spec.recovery.context && s.spec.recovery.context !== s.spec.target.context;
  return [
    ...(intoAnotherCluster ? [{ name: 'cluster', include: CLUSTER_SCOPED_NEEDS, includeClusterResources: true }] : []),
    { name: 'networkpolicies', include: [NETPOL] },
    { name: 'everything-else', exclude: [NETPOL] },
  ];
}

export interface Plan {
  scenario: string;
  description?: string;
  objectives: { rto: string; rpo: string; retention: string };
  targetContext?: string;
  recoveryContext?: string;
  checks: string[];
  destructive: string[];
  backup: string;
  restores: {
    phase: number;
    name: string;
    includedResources: string[];
    excludedResources: string[];
    namespaces: string[];
    includeClusterResources?: boolean;
  }[];
  verify: string[];
  reverts: string[];
  blastRadius?: BlastRadius;
  /** Action items earlier runs of the scenario left open (from the history): this drill carries them over. */
  carriedOver?: CarriedActionItem[];
}

export interface BlastRadius {
  context: string;
  namespaces: { name: string; exists: boolean; workloads: number; pods: number; pvcs: number }[];
  nodes: string[];
  pvcs: number;
  note?: string;
}

export function describeDisaster(d: DisasterStep): string {
  switch (d.type) {
    case 'delete-namespace':
      return `delete namespace${d.namespaces.length > 1 ? 's' : ''} ${d.namespaces.join(', ')} (everything in it)`;
    case 'delete-workload':
      return `delete ${d.kinds.join('/')} matching ${d.selector} in ${d.namespace}`;
    case 'delete-pvc':
      return `delete PVCs ${d.names?.join(', ') ?? `matching ${d.selector ?? 'everything'}`} in ${d.namespace}`;
    case 'stop-nodes':
      return `stop nodes ${d.nodes?.join(', ') ?? `hosting ${d.hosting?.selector} in ${d.hosting?.namespace}`}`;
    case 'lose-zone':
      return `stop every node in zone ${d.zone}`;
    case 'command':
      return `run ${d.argv ? d.argv.join(' ') : `zx script ${d.script}`}`;
  }
}

function describeVerify(v: VerifyStep): string {
  switch (v.type) {
    case 'workloads-ready':
      return `Deployments, StatefulSets and DaemonSets available, PVCs Bound, pods Ready (within ${formatDuration(v.timeout)})`;
    case 'http':
      return `HTTP ${v.service ? `service ${v.service.namespace}/${v.service.name}:${v.service.port}${v.service.path}` : v.url} answers ${v.expectStatus}${v.bodyRegex ? ` with a body matching /${v.bodyRegex}/` : ''}`;
    case 'command':
      return `command ${v.argv.join(' ')} exits ${v.expectExit}`;
    case 'sentinel':
      return 'the sentinel written before the backup reads back';
    case 'inventory':
      return 'restored objects match the baseline inventory (missing, extra, changed)';
    case 'network-policy-coverage':
      return "every workload's pods are selected by a NetworkPolicy (what a hardened cluster requires)";
  }
}

/** A hardened target: the scenario says so, or its lab is hardened. */
export const isHardened = (s: Scenario): boolean => s.spec.target.hardened ?? !!s.spec.lab?.hardened;

/** The checks a drill runs: the scenario's, plus network-policy-coverage for a hardened target that does not list it. */
export function verifySteps(s: Scenario): VerifyStep[] {
  const listed = s.spec.verify.some((v) => v.type === 'network-policy-coverage');
  return isHardened(s) && !listed ? [...s.spec.verify, { type: 'network-policy-coverage' }] : s.spec.verify;
}

/** The whole drill as a list, touching nothing: what `kdrill plan` prints. */
export function buildPlan(s: Scenario, runId = '<run id>'): Plan {
  const b = s.spec.backup;
  const backup = b.take
    ? 'take a fresh backup of the target namespaces, and wait for it to complete'
    : b.name
      ? `use backup ${b.name}`
      : `use the newest Completed backup of schedule ${b.schedule}`;
  const ns = s.spec.target.namespaces;
  const restores =
    s.spec.recovery.mode === 'velero'
      ? restorePhases(s).map((p, i) => ({
          phase: i + 1,
          name: `${s.metadata.name}-${runId}-${i + 1}`,
          includedResources: p.include ?? [],
          excludedResources: p.exclude ?? [],
          namespaces: ns,
          ...(p.includeClusterResources !== undefined ? { includeClusterResources: p.includeClusterResources } : {}),
        }))
      : [];
  const reverts = s.spec.disaster.flatMap((d) =>
    d.type === 'stop-nodes' || d.type === 'lose-zone'
      ? [`start the nodes stopped by: ${describeDisaster(d)}`]
      : d.type === 'command' && d.revert
        ? [`run ${d.revert.join(' ')}`]
        : [],
  );
  return {
    scenario: s.metadata.name,
    description: s.metadata.description,
    objectives: {
      rto: formatDuration(s.spec.objectives.rto),
      rpo: formatDuration(s.spec.objectives.rpo),
      retention: formatDuration(s.spec.objectives.retention),
    },
    targetContext: s.spec.target.context,
    recoveryContext: s.spec.recovery.context,
    checks: [
      'the kube context (and the recovery context) is allow-listed',
      `Velero answers in namespace ${b.veleroNamespace}; BackupStorageLocation ${b.storageLocation} is Available`,
      `${backup}; RPO achieved (disaster time − backup start) against ${formatDuration(s.spec.objectives.rpo)}`,
      `retention: the backup TTL covers ${formatDuration(s.spec.objectives.retention)}; no backup kept longer than that`,
      `Object Lock on the bucket${s.spec.protection.objectLock.required ? ` (required, at least ${s.spec.protection.objectLock.minMode})` : ''}${s.spec.protection.objectLock.canary ? ', proven with a canary' : ''}`,
      'no unfinished Restore from an earlier run of this scenario',
    ],
    destructive: s.spec.disaster.map(describeDisaster),
    backup,
    restores,
    verify: verifySteps(s).map(describeVerify),
    reverts,
  };
}

/** Counts what the disaster would hit, read-only, from the live cluster. */
export async function blastRadius(kube: KubeApi, s: Scenario): Promise<BlastRadius> {
  const namespaces: BlastRadius['namespaces'] = [];
  let pvcTotal = 0;
  const nodes = new Set<string>();
  const targetNs = new Set(s.spec.target.namespaces);
  for (const d of s.spec.disaster) {
    if (d.type === 'delete-namespace') d.namespaces.forEach((n) => targetNs.add(n));
    if (d.type === 'delete-workload' || d.type === 'delete-pvc') targetNs.add(d.namespace);
  }
  for (const n of targetNs) {
    const exists = !!(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: n }));
    const count = async (apiVersion: string, kind: string): Promise<number> =>
      exists ? (await kube.list({ apiVersion, kind }, { namespace: n })).items.length : 0;
    const workloads =
      (await count('apps/v1', 'Deployment')) +
      (await count('apps/v1', 'StatefulSet')) +
      (await count('apps/v1', 'DaemonSet'));
    const pods = await count('v1', 'Pod');
    const pvcs = await count('v1', 'PersistentVolumeClaim');
    pvcTotal += pvcs;
    namespaces.push({ name: n, exists, workloads, pods, pvcs });
  }
  for (const d of s.spec.disaster) {
    if (d.type === 'stop-nodes') {
      for (const n of d.nodes ?? []) nodes.add(n);
      if (d.hosting)
        for (const p of (
          await kube.list(
            { apiVersion: 'v1', kind: 'Pod' },
            { namespace: d.hosting.namespace, labelSelector: d.hosting.selector },
          )
        ).items)
          if (p.spec?.nodeName) nodes.add(p.spec.nodeName as string);
    }
    if (d.type === 'lose-zone')
      for (const n of (
        await kube.list({ apiVersion: 'v1', kind: 'Node' }, { labelSelector: `topology.kubernetes.io/zone=${d.zone}` })
      ).items)
        nodes.add(n.metadata?.name ?? '');
  }
  return { context: kube.context, namespaces, nodes: [...nodes].sort(), pvcs: pvcTotal };
}

export function renderPlan(p: Plan): string {
  const lines: string[] = [];
  lines.push(`Drill plan: ${p.scenario}${p.description ? ` — ${p.description}` : ''}`);
  lines.push(`Objectives: RTO ${p.objectives.rto}, RPO ${p.objectives.rpo}, retention ${p.objectives.retention}`);
  lines.push('', 'Preflight checks (nothing is touched):', ...p.checks.map((c) => `  - ${c}`));
  lines.push('', 'Destructive steps:', ...p.destructive.map((d, i) => `  ${i + 1}. ${d}`));
  lines.push('', `Backup: ${p.backup}`);
  if (p.restores.length) {
    lines.push('', `Restores${p.recoveryContext ? ` (into context ${p.recoveryContext})` : ''}, one after the other:`);
    for (const r of p.restores)
      lines.push(
        `  ${r.phase}. ${r.name}: namespaces ${r.namespaces.join(', ')}${r.includedResources.length ? `, include ${r.includedResources.join(', ')}` : ''}${r.excludedResources.length ? `, exclude ${r.excludedResources.join(', ')}` : ''}`,
      );
  }
  lines.push('', 'Verify:', ...p.verify.map((v) => `  - ${v}`));
  if (p.reverts.length) lines.push('', 'Reverts (cleanup stack):', ...p.reverts.map((r) => `  - ${r}`));
  if (p.blastRadius) {
    const b = p.blastRadius;
    lines.push('', `Blast radius (read from context ${b.context}):`);
    for (const n of b.namespaces)
      lines.push(
        `  namespace ${n.name}: ${n.exists ? `${n.workloads} workloads, ${n.pods} pods, ${n.pvcs} PVCs` : 'does not exist'}`,
      );
    lines.push(`  nodes to stop: ${b.nodes.length ? b.nodes.join(', ') : 'none'}`);
    if (b.note) lines.push(`  ${b.note}`);
  }
  return `${lines.join('\n')}\n`;
}
