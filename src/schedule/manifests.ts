import type { KubeObject } from '../kube/types.js';
import { parseCron } from '../time/cron.js';
import type { Scenario } from '../scenario/schema.js';
import { drillPermissions, type Grant } from './rbac.js';

export type CronJobApi = 'batch/v1' | 'batch/v1beta1';

export interface ScheduleOptions {
  cron: string;
  namespace: string;
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

const LABELS = (scenario: string): Record<string, string> => ({
  'app.kubernetes.io/name': 'kdrill',
  'app.kubernetes.io/managed-by': 'kdrill',
  'kdrill.dev/scenario': scenario,
});

/** A CronJob schedule: five fields (names allowed) or a macro such as @daily; kdrill does not offer @every. */
export function isCron(expr: string): boolean {
  return !expr.trim().startsWith('@every') && parseCron(expr) !== undefined;
}

/**
 * The manifests of a scheduled drill: its Namespace, a ServiceAccount per scenario with exactly the
 * rules drillPermissions derives, the scenario in a ConfigMap, and a CronJob that runs `kdrill run`
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
  const subject = [{ kind: 'ServiceAccount', name, namespace: o.namespace }];
  const why = (gs: Grant[]): Record<string, string> => ({
    'kdrill.dev/why': gs.map((g, i) => `rule ${i + 1}: ${g.why}`).join('\n'),
  });
  const role = (kind: 'Role' | 'ClusterRole', namespace: string | undefined, gs: Grant[]): KubeObject[] => [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind,
      metadata: { name, ...(namespace ? { namespace } : {}), labels, annotations: why(gs) },
      rules: gs.map((g) => g.rule),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: `${kind}Binding`,
      metadata: { name, ...(namespace ? { namespace } : {}), labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name },
      subjects: subject,
    },
  ];

  // --context too: a scenario's target.context names a context of a laptop's kubeconfig, not the pod's
  const args = [
    'run',
    '/etc/kdrill/scenario.yaml',
    '--context',
    IN_CLUSTER_CONTEXT,
    '--allow-context',
    IN_CLUSTER_CONTEXT,
    '--out',
    '/reports/run',
  ];
  if (o.history) args.push('--history', o.history);
  if (o.historyEndpoint) args.push('--history-endpoint', o.historyEndpoint);
  if (o.pushgateway) args.push('--pushgateway', o.pushgateway);
  const secretEnv = (envName: string, key: string) => ({
    name: envName,
    valueFrom: { secretKeyRef: { name: o.s3Secret, key, optional: !o.history?.startsWith('s3://') } },
  });
  const notes = [...perms.notes];
  if (!o.history?.startsWith('s3://'))
    notes.push(
      'no --history s3://…: each run is remembered only inside its pod; give an S3 prefix to keep the history',
    );
  if (o.history?.startsWith('s3://'))
    notes.push(
      `create the Secret ${o.namespace}/${o.s3Secret} with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the history bucket`,
    );

  const podSpec = {
    serviceAccountName: name,
    restartPolicy: 'Never',
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [
      {
        name: 'kdrill',
        image: o.image,
        args,
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
      },
    ],
    volumes: [
      { name: 'scenario', configMap: { name } },
      { name: 'reports', emptyDir: {} },
      { name: 'tmp', emptyDir: {} },
    ],
  };
  const rtoSeconds = s.spec.objectives.rto;
  const cronJob: KubeObject = {
    apiVersion: o.cronJobApi,
    kind: 'CronJob',
    metadata: { name, namespace: o.namespace, labels },
    spec: {
      schedule: o.cron,
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
          activeDeadlineSeconds: rtoSeconds + 3600,
          template: { metadata: { labels }, spec: podSpec },
        },
      },
    },
  };

  const objects: KubeObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: o.namespace, labels: { 'app.kubernetes.io/managed-by': 'kdrill' } },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: o.namespace, labels } },
    ...role('ClusterRole', undefined, perms.cluster),
    ...role('Role', s.spec.backup.veleroNamespace, perms.velero),
    ...Object.entries(perms.namespaced).flatMap(([ns, gs]) => role('Role', ns, gs)),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: o.namespace, labels },
      data: { 'scenario.yaml': scenarioText },
    },
    cronJob,
  ];
  return { objects, notes };
}
