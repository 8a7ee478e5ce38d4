import type { Finding, Severity } from '../drill/types.js';
import { matchesLabelSelector } from '../kube/labels.js';
import type { KubeObject } from '../kube/types.js';
import { ZONE_LABEL } from '../kube/types.js';
import { fsBackupOf } from '../scope/volumes.js';
import { namespaceCovered, type Template } from '../scope/filters.js';
import type { LintInput } from './collect.js';

/** The guide's grace: a drain waits this long per pod at most before it kills. */
export const MAX_GRACE_SECONDS = 60;

const f = (severity: Severity, code: string, key: string, message: string, fix: string): Finding => ({
  severity,
  code,
  key,
  message,
  fix,
});
const id = (w: KubeObject): string => `${w.kind} ${w.metadata?.namespace}/${w.metadata?.name}`;
const replicasOf = (w: KubeObject): number =>
  w.kind === 'DaemonSet' ? 0 : ((w.spec?.replicas as number | undefined) ?? 1);
const podSpec = (w: KubeObject): Record<string, any> => (w.spec?.template?.spec ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const podsOf = (w: KubeObject, pods: KubeObject[]): KubeObject[] =>
  pods.filter(
    (p) =>
      p.metadata?.namespace === w.metadata?.namespace &&
      p.status?.phase === 'Running' &&
      matchesLabelSelector(p.metadata?.labels ?? {}, w.spec?.selector),
  );

/** Insufficient replicas: the pod goes down with its node on every drain. */
export function singleReplicas(i: LintInput): Finding[] {
  return i.workloads
    .filter((w) => ['Deployment', 'StatefulSet'].includes(String(w.kind)) && replicasOf(w) === 1)
    .map((w) =>
      f(
        'P2',
        'LINT_SINGLE_REPLICA',
        id(w),
        `${id(w)} has one replica: draining its node takes it down`,
        `set replicas to 2 or more, with a PodDisruptionBudget (maxUnavailable: 1) and topology spread, so a drain leaves one running`,
      ),
    );
}

const spreads = (w: KubeObject): boolean => {
  const s = podSpec(w);
  const anti = s.affinity?.podAntiAffinity;
  return !!(
    s.topologySpreadConstraints?.length ||
    anti?.requiredDuringSchedulingIgnoredDuringExecution?.length ||
    anti?.preferredDuringSchedulingIgnoredDuringExecution?.length
  );
};

/** Lack of pod topology spread: several replicas, and nothing keeps them apart (or they are together right now). */
export function placement(i: LintInput): Finding[] {
  const out: Finding[] = [];
  const zoneOf = new Map(i.nodes.map((n) => [n.metadata?.name ?? '', n.metadata?.labels?.[ZONE_LABEL]]));
  const zones = new Set([...zoneOf.values()].filter(Boolean));
  for (const w of i.workloads.filter((x) => replicasOf(x) >= 2)) {
    if (!spreads(w))
      out.push(
        f(
          'P3',
          'LINT_NO_TOPOLOGY_SPREAD',
          id(w),
          `${id(w)} has ${replicasOf(w)} replicas and neither topologySpreadConstraints nor pod anti-affinity: the scheduler may put them all on one node`,
          'add topologySpreadConstraints on kubernetes.io/hostname (and topology.kubernetes.io/zone), or pod anti-affinity',
        ),
      );
    const pods = podsOf(w, i.pods).filter((p) => p.spec?.nodeName);
    const nodes = new Set(pods.map((p) => p.spec!.nodeName as string));
    const inZones = new Set(pods.map((p) => zoneOf.get(p.spec!.nodeName as string)).filter(Boolean));
    if (pods.length >= 2 && nodes.size === 1)
      out.push(
        f(
          'P2',
          'LINT_ALL_ON_ONE_NODE',
          id(w),
          `all ${pods.length} running pods of ${id(w)} are on node ${[...nodes][0]}: draining it takes the workload down`,
          'spread them (topologySpreadConstraints on kubernetes.io/hostname), then let the scheduler move one: kubectl rollout restart',
        ),
      );
    else if (pods.length >= 2 && zones.size >= 2 && inZones.size === 1)
      out.push(
        f(
          'P3',
          'LINT_ALL_IN_ONE_ZONE',
          id(w),
          `all ${pods.length} running pods of ${id(w)} are in zone ${[...inZones][0]}, of ${zones.size}: losing that zone takes it down`,
          'add topologySpreadConstraints on topology.kubernetes.io/zone',
        ),
      );
  }
  return out;
}

/** How many pods a disruption budget guards: the replicas of the workloads it selects. */
const guarded = (pdb: KubeObject, i: LintInput): number =>
  i.workloads
    .filter(
      (w) =>
        w.metadata?.namespace === pdb.metadata?.namespace &&
        matchesLabelSelector(w.spec?.template?.metadata?.labels ?? {}, pdb.spec?.selector),
    )
    .reduce((n, w) => n + (w.kind === 'DaemonSet' ? Number(w.status?.desiredNumberScheduled ?? 0) : replicasOf(w)), 0);

/** Draining is not possible: a budget that allows no disruption at all. */
export function blockingBudgets(i: LintInput): Finding[] {
  const out: Finding[] = [];
  for (const pdb of i.pdbs) {
    const key = `PodDisruptionBudget ${pdb.metadata?.namespace}/${pdb.metadata?.name}`;
    const n = guarded(pdb, i);
    const maxU = pdb.spec?.maxUnavailable as number | string | undefined;
    const minA = pdb.spec?.minAvailable as number | string | undefined;
    const why =
      maxU === 0 || maxU === '0%'
        ? 'maxUnavailable is 0'
        : n > 0 && ((typeof minA === 'number' && minA >= n) || minA === '100%')
          ? `minAvailable ${minA} of ${n} pod(s)`
          : undefined;
    if (why)
      out.push(
        f(
          'P2',
          'LINT_PDB_BLOCKS_DRAIN',
          key,
          `${key} blocks every drain: ${why}, so no pod it guards may be evicted`,
          `allow one disruption: maxUnavailable: 1 (with 2 or more replicas), or minAvailable below the replica count`,
        ),
      );
  }
  return out;
}

/** Draining takes too long: a grace period over a minute, paid on every node. */
export function longGrace(i: LintInput): Finding[] {
  return i.workloads
    .filter((w) => (podSpec(w).terminationGracePeriodSeconds ?? 30) > MAX_GRACE_SECONDS)
    .map((w) =>
      f(
        'P3',
        'LINT_LONG_GRACE',
        id(w),
        `${id(w)} asks for terminationGracePeriodSeconds ${podSpec(w).terminationGracePeriodSeconds}: every drain of its nodes may wait that long`,
        `handle SIGTERM and lower terminationGracePeriodSeconds to ${MAX_GRACE_SECONDS} or less`,
      ),
    );
}

/** Workloads no NetworkPolicy selects: a hardened cluster refuses them on restore, before their policy comes back. */
export function unselected(i: LintInput, hardened: boolean): Finding[] {
  return i.uncovered.map((w) =>
    f(
      hardened ? 'P2' : 'P3',
      'LINT_NO_NETWORKPOLICY',
      w,
      `no NetworkPolicy selects the pods of ${w}: a hardened cluster (Gatekeeper's require-networkpolicy) refuses it, and a restore that brings Deployments before NetworkPolicies fails there`,
      'give it a NetworkPolicy, and restore NetworkPolicies first (kdrill does, by default)',
    ),
  );
}

/** ServiceAccount token Secrets: a restore brings none back, or one with a new token (Velero strips the old). */
export function tokenSecrets(i: LintInput): Finding[] {
  if (!i.tokenSecrets) return [];
  const listed = new Set(
    i.serviceAccounts.flatMap((sa) =>
      ((sa.secrets ?? []) as { name: string }[]).map((s) => `${sa.metadata?.namespace}/${s.name}`),
    ),
  );
  const out: Finding[] = [];
  for (const s of i.tokenSecrets) {
    const key = `${s.metadata?.namespace}/${s.metadata?.name}`;
    if (listed.has(key)) continue; // the token controller's own: it makes a new one for the restored ServiceAccount
    const sa = s.metadata?.annotations?.['kubernetes.io/service-account.name'] ?? '?';
    out.push(
      f(
        'P2',
        'LINT_SA_TOKEN_SECRET',
        `Secret ${key}`,
        `Secret ${key} holds a token of ServiceAccount ${sa}: Velero restores it without its token (or skips it) and the token controller issues a new one, so whatever holds the old token (a CI/CD pipeline) stops working after a restore`,
        `use short-lived tokens (TokenRequest, a projected volume) where you can; otherwise add "re-issue the token of ${sa} to its users" to the runbook`,
      ),
    );
  }
  return out;
}

const templateOf = (s: KubeObject): Template => (s.spec?.template ?? {}) as Template;

/** Data in emptyDir or hostPath volumes that no backup captures: it is gone with the pod or the node. */
export function ephemeralData(i: LintInput): Finding[] {
  const out: Finding[] = [];
  for (const w of i.workloads) {
    const spec = podSpec(w);
    const mounts = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].flatMap(
      (c: { volumeMounts?: { name: string; readOnly?: boolean }[] }) => c.volumeMounts ?? [],
    );
    const written = (v: string): boolean =>
      mounts.some((m: { name: string; readOnly?: boolean }) => m.name === v && !m.readOnly);
    const pod = { metadata: w.spec?.template?.metadata ?? {} } as KubeObject;
    const covering = i.schedules.filter((s) => namespaceCovered(templateOf(s), w.metadata?.namespace ?? ''));
    for (const v of (spec.volumes ?? []) as { name: string; emptyDir?: object; hostPath?: { path?: string } }[]) {
      if (!written(v.name)) continue;
      if (v.hostPath)
        out.push(
          f(
            'P2',
            'LINT_HOSTPATH_DATA',
            id(w),
            `${id(w)} writes to hostPath ${v.hostPath.path ?? ''} (volume ${v.name}): the data stays on one node, and no Velero backup captures hostPath volumes`,
            'move the data to a PersistentVolumeClaim that the Schedule backs up',
          ),
        );
      else if (v.emptyDir && !covering.some((s) => fsBackupOf(templateOf(s), i.veleroArgs, pod, v.name)))
        out.push(
          f(
            'P3',
            'LINT_EMPTYDIR_DATA',
            id(w),
            `${id(w)} writes to emptyDir volume ${v.name}, which no backup captures: if it holds data, not only a cache, it is lost with the pod`,
            `if it matters, use a PersistentVolumeClaim, or opt it in to file-system backup (backup.velero.io/backup-volumes: ${v.name} on the pod template)`,
          ),
        );
    }
  }
  return out;
}
