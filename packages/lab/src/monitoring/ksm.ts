import type { KubeApi, KubeObject } from '../core.js';

/**
 * The series of kube-state-metrics (v2 names and labels) that the lab's rules use, computed from the
 * cluster's real objects on every scrape: what the disaster does to the objects, Prometheus sees.
 */
type Sample = [labels: Record<string, string>, value: number];

interface Family {
  name: string;
  help: string;
  samples: Sample[];
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const condition = (o: KubeObject, type: string): string | undefined =>
  (o.status?.conditions as { type: string; status: string }[] | undefined)?.find((c) => c.type === type)?.status;
const bool3 = (status: string | undefined): Record<string, number> => ({
  true: status === 'True' ? 1 : 0,
  false: status === 'False' ? 1 : 0,
  unknown: status !== 'True' && status !== 'False' ? 1 : 0,
});

function namespaces(items: KubeObject[]): Family[] {
  const phase = items.flatMap((n): Sample[] =>
    ['Active', 'Terminating'].map((p) => [
      { namespace: n.metadata?.name ?? '', phase: p },
      (n.status?.phase ?? 'Active') === p ? 1 : 0,
    ]),
  );
  return [{ name: 'kube_namespace_status_phase', help: 'kubernetes namespace status phase.', samples: phase }];
}

/** One gauge per definition, one sample per object. */
function gauges(
  items: KubeObject[],
  labels: (o: KubeObject) => Record<string, string>,
  defs: [name: string, help: string, value: (o: KubeObject) => number][],
): Family[] {
  return defs.map(([name, help, value]) => ({ name, help, samples: items.map((o): Sample => [labels(o), value(o)]) }));
}

const deployments = (items: KubeObject[]): Family[] =>
  gauges(items, (d) => ({ namespace: d.metadata?.namespace ?? '', deployment: d.metadata?.name ?? '' }), [
    ['kube_deployment_spec_replicas', 'Number of desired pods for a deployment.', (d) => num(d.spec?.replicas ?? 1)],
    ['kube_deployment_status_replicas', 'The number of replicas per deployment.', (d) => num(d.status?.replicas)],
    [
      'kube_deployment_status_replicas_available',
      'The number of available replicas per deployment.',
      (d) => num(d.status?.availableReplicas),
    ],
    [
      'kube_deployment_status_replicas_unavailable',
      'The number of unavailable replicas per deployment.',
      (d) => num(d.status?.unavailableReplicas),
    ],
    [
      'kube_deployment_status_replicas_updated',
      'The number of updated replicas per deployment.',
      (d) => num(d.status?.updatedReplicas),
    ],
    [
      'kube_deployment_metadata_generation',
      'Sequence number representing a specific generation of the desired state.',
      (d) => num(d.metadata?.generation),
    ],
    [
      'kube_deployment_status_observed_generation',
      'The generation observed by the deployment controller.',
      (d) => num(d.status?.observedGeneration),
    ],
  ]);

const statefulSets = (items: KubeObject[]): Family[] =>
  gauges(items, (s) => ({ namespace: s.metadata?.namespace ?? '', statefulset: s.metadata?.name ?? '' }), [
    ['kube_statefulset_replicas', 'Number of desired pods for a StatefulSet.', (s) => num(s.spec?.replicas ?? 1)],
    ['kube_statefulset_status_replicas', 'The number of replicas per StatefulSet.', (s) => num(s.status?.replicas)],
    [
      'kube_statefulset_status_replicas_ready',
      'The number of ready replicas per StatefulSet.',
      (s) => num(s.status?.readyReplicas),
    ],
  ]);

function pods(items: KubeObject[]): Family[] {
  const l = (p: KubeObject) => ({
    namespace: p.metadata?.namespace ?? '',
    pod: p.metadata?.name ?? '',
    uid: p.metadata?.uid ?? '',
  });
  const ready = items.flatMap((p): Sample[] =>
    Object.entries(bool3(condition(p, 'Ready'))).map(([c, v]) => [{ ...l(p), condition: c }, v]),
  );
  const phase = items.flatMap((p): Sample[] =>
    ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'].map((ph) => [
      { ...l(p), phase: ph },
      (p.status?.phase ?? 'Pending') === ph ? 1 : 0,
    ]),
  );
  return [
    { name: 'kube_pod_status_ready', help: 'Describes whether the pod is ready to serve requests.', samples: ready },
    { name: 'kube_pod_status_phase', help: 'The pods current phase.', samples: phase },
  ];
}

function nodes(items: KubeObject[]): Family[] {
  const ready = items.flatMap((n): Sample[] =>
    Object.entries(bool3(condition(n, 'Ready'))).map(([st, v]) => [
      { node: n.metadata?.name ?? '', condition: 'Ready', status: st },
      v,
    ]),
  );
  return [{ name: 'kube_node_status_condition', help: 'The condition of a cluster node.', samples: ready }];
}

function claims(items: KubeObject[]): Family[] {
  const phase = items.flatMap((c): Sample[] =>
    ['Pending', 'Bound', 'Lost'].map((ph) => [
      { namespace: c.metadata?.namespace ?? '', persistentvolumeclaim: c.metadata?.name ?? '', phase: ph },
      (c.status?.phase ?? 'Pending') === ph ? 1 : 0,
    ]),
  );
  return [
    {
      name: 'kube_persistentvolumeclaim_status_phase',
      help: 'The phase the persistent volume claim is currently in.',
      samples: phase,
    },
  ];
}

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function exposition(families: Family[]): string {
  return families
    .map((f) =>
      [
        `# HELP ${f.name} ${f.help}`,
        `# TYPE ${f.name} gauge`,
        ...f.samples.map(
          ([labels, v]) =>
            `${f.name}{${Object.entries(labels)
              .map(([k, x]) => `${k}="${esc(x)}"`)
              .join(',')}} ${v}`,
        ),
      ].join('\n'),
    )
    .join('\n')
    .concat('\n');
}

/** One scrape: every object listed now, in the text exposition format (version 0.0.4). */
export async function kubeStateMetrics(kube: KubeApi): Promise<string> {
  const list = async (apiVersion: string, kind: string): Promise<KubeObject[]> =>
    (await kube.list({ apiVersion, kind })).items;
  const [ns, deploy, sts, pod, node, pvc] = await Promise.all([
    list('v1', 'Namespace'),
    list('apps/v1', 'Deployment'),
    list('apps/v1', 'StatefulSet'),
    list('v1', 'Pod'),
    list('v1', 'Node'),
    list('v1', 'PersistentVolumeClaim'),
  ]);
  return exposition([
    ...namespaces(ns),
    ...deployments(deploy),
    ...statefulSets(sts),
    ...pods(pod),
    ...nodes(node),
    ...claims(pvc),
  ]);
}
