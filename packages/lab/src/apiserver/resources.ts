import type { KubeObject } from '../core.js';

/** One REST resource the lab serves: enough to route, discover, validate and print it. */
export interface ResourceType {
  group: string; // '' for core
  version: string;
  resource: string; // plural, the URL segment
  kind: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  /** A status subresource: the main endpoint ignores status, /status changes only status. */
  statusSubresource: boolean;
  /** Bumps metadata.generation on spec changes (what controllers compare observedGeneration with). */
  tracksGeneration: boolean;
  /** Validates (and prunes) an object; throws a SchemaError. Set for custom resources. */
  validate?: (obj: KubeObject) => KubeObject;
  /** Name of the CRD that serves this type, if any. */
  crd?: string;
  categories?: string[];
}

export const groupVersion = (t: Pick<ResourceType, 'group' | 'version'>): string =>
  t.group ? `${t.group}/${t.version}` : t.version;

/** Key for the store: `group/resource` (core: `/pods`). Versions share storage, as on a real server. */
export const storageKey = (t: Pick<ResourceType, 'group' | 'resource'>): string => `${t.group}/${t.resource}`;

function r(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  opts: { short?: string[]; status?: boolean; generation?: boolean; categories?: string[] } = {},
): ResourceType {
  return {
    group,
    version,
    resource,
    kind,
    listKind: `${kind}List`,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames: opts.short,
    statusSubresource: opts.status ?? false,
    tracksGeneration: opts.generation ?? opts.status ?? false,
    categories: opts.categories,
  };
}

/** The built-in types kdrill and its lab need (issue A, §3). */
export function builtinResources(): ResourceType[] {
  return [
    r('', 'v1', 'namespaces', 'Namespace', false, { short: ['ns'], status: true, generation: false }),
    r('', 'v1', 'pods', 'Pod', true, { short: ['po'], status: true, generation: false, categories: ['all'] }),
    r('', 'v1', 'services', 'Service', true, { short: ['svc'], status: true, generation: false, categories: ['all'] }),
    r('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { short: ['sa'] }),
    r('', 'v1', 'secrets', 'Secret', true),
    r('', 'v1', 'configmaps', 'ConfigMap', true, { short: ['cm'] }),
    r('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, {
      short: ['pvc'],
      status: true,
      generation: false,
    }),
    r('', 'v1', 'persistentvolumes', 'PersistentVolume', false, { short: ['pv'], status: true, generation: false }),
    r('', 'v1', 'nodes', 'Node', false, { short: ['no'], status: true, generation: false }),
    r('', 'v1', 'events', 'Event', true, { short: ['ev'] }),
    r('', 'v1', 'endpoints', 'Endpoints', true, { short: ['ep'] }),
    r('apps', 'v1', 'deployments', 'Deployment', true, { short: ['deploy'], status: true, categories: ['all'] }),
    r('apps', 'v1', 'statefulsets', 'StatefulSet', true, { short: ['sts'], status: true, categories: ['all'] }),
    r('apps', 'v1', 'replicasets', 'ReplicaSet', true, { short: ['rs'], status: true, categories: ['all'] }),
    r('apps', 'v1', 'daemonsets', 'DaemonSet', true, { short: ['ds'], status: true, categories: ['all'] }),
    r('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, { short: ['netpol'], generation: true }),
    r('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, { short: ['pdb'], status: true }),
    r('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, {
      short: ['crd', 'crds'],
      status: true,
    }),
    r('admissionregistration.k8s.io', 'v1', 'validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', false),
    r('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
    r('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
    r('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
    r('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
    r('batch', 'v1', 'jobs', 'Job', true, { status: true, categories: ['all'] }),
    r('batch', 'v1', 'cronjobs', 'CronJob', true, { short: ['cj'], status: true, categories: ['all'] }),
    r('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
    r('apiregistration.k8s.io', 'v1', 'apiservices', 'APIService', false, { status: true }),
    // what a v1.30 API server also serves and applications ship: stored as they are, no controller behind them
    r('', 'v1', 'replicationcontrollers', 'ReplicationController', true, {
      short: ['rc'],
      status: true,
      categories: ['all'],
    }),
    r('', 'v1', 'limitranges', 'LimitRange', true, { short: ['limits'] }),
    r('', 'v1', 'resourcequotas', 'ResourceQuota', true, { short: ['quota'], status: true }),
    r('', 'v1', 'podtemplates', 'PodTemplate', true),
    r('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, { short: ['ing'], status: true }),
    r('networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', false),
    r('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, { short: ['sc'] }),
    r('scheduling.k8s.io', 'v1', 'priorityclasses', 'PriorityClass', false, { short: ['pc'] }),
    r('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, {
      short: ['hpa'],
      status: true,
    }),
    r('admissionregistration.k8s.io', 'v1', 'mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', false),
    r('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
    r('node.k8s.io', 'v1', 'runtimeclasses', 'RuntimeClass', false),
  ];
}

/** Registry of served types: built-ins plus whatever CRDs are established. */
export class ResourceRegistry {
  private readonly byPath = new Map<string, ResourceType>(); // `gv/resource`
  private readonly byKind = new Map<string, ResourceType>(); // `gv/Kind`

  constructor(types: ResourceType[] = builtinResources()) {
    for (const t of types) this.add(t);
  }

  add(t: ResourceType): void {
    this.byPath.set(`${groupVersion(t)}/${t.resource}`, t);
    this.byKind.set(`${groupVersion(t)}/${t.kind}`, t);
  }

  removeCrd(crdName: string): ResourceType[] {
    const gone = [...this.byPath.values()].filter((t) => t.crd === crdName);
    for (const t of gone) {
      this.byPath.delete(`${groupVersion(t)}/${t.resource}`);
      this.byKind.delete(`${groupVersion(t)}/${t.kind}`);
    }
    return gone;
  }

  lookup(group: string, version: string, resource: string): ResourceType | undefined {
    return this.byPath.get(`${group ? `${group}/${version}` : version}/${resource}`);
  }

  byApiVersionKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.byKind.get(`${apiVersion}/${kind}`);
  }

  all(): ResourceType[] {
    return [...this.byPath.values()];
  }

  /** Every type sharing a storage key (a CRD may serve several versions). */
  forStorage(key: string): ResourceType[] {
    return this.all().filter((t) => storageKey(t) === key);
  }

  groups(): { name: string; versions: string[] }[] {
    const m = new Map<string, Set<string>>();
    for (const t of this.all()) {
      if (!t.group) continue;
      if (!m.has(t.group)) m.set(t.group, new Set());
      m.get(t.group)!.add(t.version);
    }
    return [...m.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, v]) => ({ name, versions: [...v].sort(versionOrder) }));
  }
}

// Kubernetes version priority: GA > beta > alpha, higher numbers first.
function versionOrder(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    const stage = m[2] === 'alpha' ? 1 : m[2] === 'beta' ? 2 : 3;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [sa, ma, na] = rank(a);
  const [sb, mb, nb] = rank(b);
  return sb - sa || mb - ma || nb - na;
}
