import { stringify } from 'yaml';

export const LAB_CONTEXT = 'kdrill-lab';

/**
 * A kubeconfig for a lab API server: plain HTTP on loopback and no credentials (kubectl will not send a
 * bearer token over plain HTTP, so the lab relies on binding to 127.0.0.1, as kind's defaults do).
 */
export function labKubeconfig(server: string, context = LAB_CONTEXT): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node refuses http:// servers unless TLS checks are off; on loopback HTTP there is no TLS to check
    clusters: [{ name: context, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: context, user: {} }],
    contexts: [{ name: context, context: { cluster: context, user: context, namespace: 'default' } }],
    'current-context': context,
    preferences: {},
  });
}
