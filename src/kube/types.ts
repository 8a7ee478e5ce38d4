/** A Kubernetes object as JSON. The lab and the adapters pass these around untyped past metadata. */
// spec and status are JSON of many shapes; code narrows what it reads.
/* eslint-disable @typescript-eslint/no-explicit-any */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: any;
  status?: any;
  [key: string]: unknown;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The well-known label of a node's zone (and of the PVs bound to it). */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [key: string]: unknown;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export function nameOf(o: KubeObject): string {
  return o.metadata?.name ?? '';
}

export function namespaceOf(o: KubeObject): string | undefined {
  return o.metadata?.namespace;
}

export function labelsOf(o: KubeObject): Record<string, string> {
  return o.metadata?.labels ?? {};
}
