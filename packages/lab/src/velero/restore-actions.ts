import type { KubeObject } from '../core.js';
import { serviceForRestore } from './service-action.js';

// JSON of many shapes, as the core types spec and status; the code narrows what it reads
type Json = Record<string, KubeObject['spec']>;

/** An item a restore item action asks for before its own item (velero.ResourceIdentifier). */
export interface AdditionalItem {
  gr: string;
  ns: string;
  name: string;
}

// metadata Velero never restores (resetMetadata, pkg/restore/restore.go)
const RESET_METADATA = [
  'generateName',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'ownerReferences',
];

/** The object without server-set metadata, owner references and status (resetMetadataAndStatus). */
export function resetMetadataAndStatus(o: KubeObject): KubeObject {
  const { status: _s, ...rest } = structuredClone(o);
  const metadata: NonNullable<KubeObject['metadata']> = { ...(rest.metadata ?? {}) };
  for (const k of RESET_METADATA) delete metadata[k];
  return { ...rest, metadata };
}

const BIND_ANNOTATIONS = ['pv.kubernetes.io/bind-completed', 'pv.kubernetes.io/bound-by-controller'];

/** A PV or PVC as it is handed back to the volume controllers to bind again (resetVolumeBindingInfo). */
export function resetVolumeBindingInfo(o: KubeObject): KubeObject {
  const out = structuredClone(o);
  if (out.spec?.claimRef) {
    const { uid: _u, resourceVersion: _r, ...claimRef } = out.spec.claimRef as Record<string, unknown>;
    out.spec = { ...out.spec, claimRef };
  }
  const annotations = { ...(out.metadata?.annotations ?? {}) };
  for (const a of BIND_ANNOTATIONS) delete annotations[a];
  out.metadata = { ...out.metadata, annotations };
  if (!Object.keys(annotations).length) delete out.metadata.annotations;
  return out;
}

export interface ActionInput {
  gr: string;
  /** The item as restored so far (metadata and status reset). */
  item: KubeObject;
  /** The item as it was backed up, status included. */
  fromBackup: KubeObject;
  restoreSpec: Json;
  /** PVC annotations the release's PVC action removes (v1.18's pvc_action.go). */
  pvcAnnotationsRemoved: readonly string[];
}

/**
 * Velero's built-in restore item actions that matter to the lab (pkg/restore/actions/): what each does
 * to its item, and the items it adds. Throws what the action would fail with.
 */
export function runRestoreItemActions(a: ActionInput): { item: KubeObject; additional: AdditionalItem[] } {
  switch (a.gr) {
    case 'pods':
      return podAction(a.item);
    case 'services':
      return { item: serviceForRestore(a.item, a.restoreSpec.preserveNodePorts === true), additional: [] };
    case 'persistentvolumeclaims':
      return pvcAction(a);
    case 'jobs.batch':
      return { item: jobAction(a.item), additional: [] };
    default:
      return { item: a.item, additional: [] };
  }
}

/**
 * pod_action.go: the pod is scheduled anew (no nodeName, no priority), loses its old service-account
 * token volumes and brings its PriorityClass; add_pvc_from_pod_action.go: and its claims.
 */
function podAction(pod: KubeObject): { item: KubeObject; additional: AdditionalItem[] } {
  const out = structuredClone(pod);
  const spec = { ...(out.spec ?? {}) } as Json;
  delete spec.nodeName;
  delete spec.priority;
  const token = `${spec.serviceAccountName ?? ''}-token-`;
  const keep = (v: { name?: string }): boolean => !String(v.name ?? '').startsWith(token);
  if (Array.isArray(spec.volumes)) spec.volumes = spec.volumes.filter(keep);
  for (const list of ['containers', 'initContainers']) {
    if (!Array.isArray(spec[list])) continue;
    spec[list] = (spec[list] as Json[]).map((c) =>
      Array.isArray(c.volumeMounts) ? { ...c, volumeMounts: c.volumeMounts.filter(keep) } : c,
    );
  }
  out.spec = spec;
  const ns = pod.metadata?.namespace ?? '';
  const additional: AdditionalItem[] = [];
  if (spec.priorityClassName)
    additional.push({ gr: 'priorityclasses.scheduling.k8s.io', ns: '', name: String(spec.priorityClassName) });
  for (const v of (spec.volumes ?? []) as { persistentVolumeClaim?: { claimName?: string } }[]) {
    if (v.persistentVolumeClaim)
      additional.push({ gr: 'persistentvolumeclaims', ns, name: v.persistentVolumeClaim.claimName ?? '' });
  }
  return { item: out, additional };
}

/**
 * add_pv_from_pvc_action.go (v1.14), pvc_action.go (v1.18): a claim that was Bound brings its volume;
 * v1.18 also drops the provisioning annotations.
 */
function pvcAction(a: ActionInput): { item: KubeObject; additional: AdditionalItem[] } {
  const out = structuredClone(a.item);
  if (a.pvcAnnotationsRemoved.length && out.metadata?.annotations) {
    const annotations = { ...out.metadata.annotations };
    for (const k of a.pvcAnnotationsRemoved) delete annotations[k];
    out.metadata = { ...out.metadata, annotations };
  }
  const volume = a.fromBackup.spec?.volumeName as string | undefined;
  const bound = a.fromBackup.status?.phase === 'Bound' && !!volume;
  return { item: out, additional: bound ? [{ gr: 'persistentvolumes', ns: '', name: volume }] : [] };
}

/** job_action.go: the old controller's uid leaves the selector and the template. */
function jobAction(job: KubeObject): KubeObject {
  const out = structuredClone(job);
  const drop = (m: Record<string, string> | undefined): void => {
    if (!m) return;
    delete m['controller-uid'];
    delete m['batch.kubernetes.io/controller-uid'];
  };
  drop(out.spec?.selector?.matchLabels);
  drop(out.spec?.template?.metadata?.labels);
  return out;
}
