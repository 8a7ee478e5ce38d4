import type { ResourceType } from './resources.js';

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** RBAC objects are named by path segment only (pkg/apis/rbac/validation: ValidateRBACName = path.IsValidPathSegmentName). */
const PATH_SEGMENT_RESOURCES = new Set([
  'rbac.authorization.k8s.io/roles',
  'rbac.authorization.k8s.io/rolebindings',
  'rbac.authorization.k8s.io/clusterroles',
  'rbac.authorization.k8s.io/clusterrolebindings',
]);

/**
 * Why a name is invalid for its kind, in the API server's words, or undefined when it is valid.
 * kube-apiserver validates names per kind (pkg/apis/core/validation and friends): Namespaces are
 * DNS-1123 labels, Services DNS-1035 labels, RBAC objects path segments (so `system:aggregated-
 * metrics-reader` is fine), CustomResourceDefinitions `<plural>.<group>`, and everything else,
 * custom resources included, DNS-1123 subdomains.
 */
export function nameProblem(
  t: ResourceType,
  name: string,
  body?: { spec?: { names?: { plural?: string }; group?: string } },
): string | undefined {
  const key = `${t.group}/${t.resource}`;
  if (PATH_SEGMENT_RESOURCES.has(key)) {
    if (name === '.' || name === '..') return `may not be '${name}'`;
    if (name.includes('/') || name.includes('%')) return `may not contain '${name.includes('/') ? '/' : '%'}'`;
    return undefined;
  }
  if (!t.group && t.resource === 'namespaces')
    return LABEL.test(name) && name.length <= 63
      ? undefined
      : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
  if (!t.group && t.resource === 'services')
    return LABEL_1035.test(name) && name.length <= 63
      ? undefined
      : "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
  if (key === 'apiextensions.k8s.io/customresourcedefinitions' && body?.spec) {
    const want = `${body.spec.names?.plural ?? ''}.${body.spec.group ?? ''}`;
    if (name !== want) return `must be spec.names.plural+"."+spec.group (${want})`;
  }
  return SUBDOMAIN.test(name) && name.length <= 253
    ? undefined
    : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
}
