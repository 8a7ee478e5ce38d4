import type { KubeObject } from '../kube/types.js';
import { cronProblem, splitTimeZone } from '../time/cron.js';
import type { Scenario } from '../scenario/schema.js';
import { drillPermissions, type Grant } from './rbac.js';

export type CronJobApi = 'batch/v1' | 'batch/v1beta1';

export interface ScheduleOptions {
  cron: string;
  /** Where the CronJob, its ServiceAccount and the scenario ConfigMap go. */
  installNamespace: string;
  image: string;
  /** The Secret holding S3 credentials for an s3:// history (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). */
  s3Secret: string;
  bslSecret: string;
  history?: string;
  historyEndpoint?: string;
  pushgateway?: string;
  cronJobApi: CronJobApi;
}

/** client-node names the context of a pod's ServiceAccount this; the CronJob allow-lists it explicitly. */
export const IN_CLUSTER_CONTEXT = 'inClusterContext';

const RBAC = 'rbac.authorization.k8s.io/v1';

const LABELS = (scenario: string): Record<string, string> => ({
  'app.kubernetes.io/name': 'kdrill',
  'app.kubernetes.io/managed-by': 'kdrill',
  'kdrill.dev/scenario': scenario,
});

/**
 * Why a CronJob could not run on this schedule, or undefined: five fields or a descriptor as
 * Kubernetes (robfig/cron) reads them, with an optional CRON_TZ=/TZ= prefix that becomes
 * spec.timeZone. `@every` is refused: its runs count from the CronJob's creation, not from the clock,
 * and a drill belongs at an hour people know.
 */
export function cronJobScheduleProblem(expr: string): string | undefined {
  const { schedule } = splitTimeZone(expr);
  if (schedule.startsWith('@every')) return '@every is not a CronJob schedule: give the hour, e.g. "0 2 * * *"';
  return cronProblem(expr);
}

export const isCron = (expr: string): boolean => cronJobScheduleProblem(expr) === undefined;

/**
 * The manifests of a scheduled drill: its Namespace, a ServiceAccount per scenario with exactly the
 * rules drillPermissions derives, the scenario in a ConfigMap, a NetworkPolicy for its pod, and a CronJob that runs `kdrill run`
 * in the kdrill image, one drill at a time.
 */
export function scheduleManifests(
  s: Scenario,
  scenarioText: string,
  o: ScheduleOptions,
): { objects: KubeObject[]; notes: string[] } {
  const scenario = s.metadata.name;
  const name = `kdrill-${scenario}`;
  const labels = LABELS(scenario);
  const perms = drillPermissions(s, { bslSecret: o.bslSecret });
  const role = roleObjects(name, labels, o.installNamespace);
  const objects: KubeObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: o.installNamespace, labels: { 'app.kubernetes.io/managed-by': 'kdrill' } },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: o.installNamespace, labels } },
    ...role('ClusterRole', undefined, perms.cluster),
    ...role('Role', s.spec.backup.veleroNamespace, perms.velero),
    ...Object.entries(perms.namespaced).flatMap(([ns, gs]) => role('Role', ns, gs)),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: o.installNamespace, labels },
      data: { 'scenario.yaml': scenarioText },
    },
    drillPodPolicy(name, labels, o.installNamespace),
    cronJob(s, name, labels, o),
  ];
  return { objects, notes: [...perms.notes, ...historyNotes(o)] };
}

/** A Role (or ClusterRole) with the grants' reasons as an annotation, and its binding to the ServiceAccount. */
function roleObjects(name: string, labels: Record<string, string>, saNamespace: string) {
  const why = (gs: Grant[]): Record<string, string> => ({
    'kdrill.dev/why': gs.map((g, i) => `rule ${i + 1}: ${g.why}`).join('\n'),
  });
  return (kind: 'Role' | 'ClusterRole', namespace: string | undefined, gs: Grant[]): KubeObject[] => [
    {
      apiVersion: RBAC,
      kind,
      metadata: { name, ...(namespace ? { namespace } : {}), labels, annotations: why(gs) },
      rules: gs.map((g) => g.rule),
    },
    {
      apiVersion: RBAC,
      kind: `${kind}Binding`,
      metadata: { name, ...(namespace ? { namespace } : {}), labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: saNamespace }],
    },
  ];
}

/**
 * A hardened cluster refuses workloads that no NetworkPolicy selects (the guide's rule, and the one kdrill
 * restores by), kdrill's own CronJob included. Nothing needs to reach the drill's pod; it must reach the
 * API server, S3 and a Pushgateway, whose addresses vary by cluster, so all egress stays open: narrow it
 * with a policy of your own where those addresses are known.
 */
function drillPodPolicy(name: string, labels: Record<string, string>, namespace: string): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels },
    spec: { podSelector: { matchLabels: labels }, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [{}] },
  };
}

function historyNotes(o: ScheduleOptions): string[] {
  if (!o.history?.startsWith('s3://'))
    return ['no --history s3://…: each run is remembered only inside its pod; give an S3 prefix to keep the history'];
  return [
    `create the Secret ${o.installNamespace}/${o.s3Secret} with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the history bucket`,
  ];
}

function cronJob(s: Scenario, name: string, labels: Record<string, string>, o: ScheduleOptions): KubeObject {
  // Kubernetes refuses TZ= in spec.schedule on create since 1.29; spec.timeZone is the supported way (1.25+)
  const { timeZone, schedule } = splitTimeZone(o.cron);
  return {
    apiVersion: o.cronJobApi,
    kind: 'CronJob',
    metadata: { name, namespace: o.installNamespace, labels },
    spec: {
      schedule,
      ...(timeZone ? { timeZone } : {}),
      // two drills of one scenario at once would fight over the same namespaces
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 5,
      jobTemplate: {
        metadata: { labels },
        spec: {
          // a drill is not retried blindly: a failed one is a finding for a human, not a flake
          backoffLimit: 0,
          // the RTO plus an hour for preflight, verify and cleanup: a hung drill must not block the next night's
          activeDeadlineSeconds: s.spec.objectives.rto + 3600,
          template: { metadata: { labels }, spec: podSpec(s, name, o) },
        },
      },
    },
  };
}

function runArgs(o: ScheduleOptions): string[] {
  // --context too: a scenario's target.context names a context of a laptop's kubeconfig, not the pod's
  const args = ['run', '/etc/kdrill/scenario.yaml', '--context', IN_CLUSTER_CONTEXT];
  args.push('--allow-context', IN_CLUSTER_CONTEXT, '--out', '/reports/run');
  if (o.history) args.push('--history', o.history);
  if (o.historyEndpoint) args.push('--history-endpoint', o.historyEndpoint);
  if (o.pushgateway) args.push('--pushgateway', o.pushgateway);
  return args;
}

/**
 * A scheduled restore test first removes what a crashed run of it left (expired sandboxes of this
 * scenario only): the sandbox names are fixed, so a leftover would refuse every later run.
 */
function gcFirst(s: Scenario, container: Record<string, unknown>): Record<string, unknown>[] {
  if (s.spec.mode !== 'restore-test' || s.spec.recovery.context) return [];
  const args = ['gc', '--scenario', s.metadata.name, '--context', IN_CLUSTER_CONTEXT];
  return [
    {
      ...container,
      name: 'gc',
      args: [...args, '--velero-namespace', s.spec.backup.veleroNamespace],
      env: [],
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
    },
  ];
}

function podSpec(s: Scenario, name: string, o: ScheduleOptions) {
  const secretEnv = (envName: string, key: string) => ({
    name: envName,
    valueFrom: { secretKeyRef: { name: o.s3Secret, key, optional: !o.history?.startsWith('s3://') } },
  });
  const user = { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 };
  const container = {
    name: 'kdrill',
    image: o.image,
    args: runArgs(o),
    workingDir: '/reports',
    env: [
      secretEnv('AWS_ACCESS_KEY_ID', 'AWS_ACCESS_KEY_ID'),
      secretEnv('AWS_SECRET_ACCESS_KEY', 'AWS_SECRET_ACCESS_KEY'),
    ],
    resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [
      { name: 'scenario', mountPath: '/etc/kdrill', readOnly: true },
      { name: 'reports', mountPath: '/reports' },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
  const init = gcFirst(s, container);
  return {
    serviceAccountName: name,
    restartPolicy: 'Never',
    securityContext: { ...user, seccompProfile: { type: 'RuntimeDefault' } },
    ...(init.length ? { initContainers: init } : {}),
    containers: [container],
    volumes: [
      { name: 'scenario', configMap: { name } },
      { name: 'reports', emptyDir: {} },
      { name: 'tmp', emptyDir: {} },
    ],
  };
}
