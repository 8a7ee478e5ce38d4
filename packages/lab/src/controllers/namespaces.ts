import type { ControllerContext } from './context.js';

/**
 * What kube-controller-manager puts in every new namespace: the `default` ServiceAccount (the
 * serviceaccount controller) and the cluster's CA as ConfigMap `kube-root-ca.crt` (the
 * root-ca-cert-publisher, 1.20+). Only for the lab's own API server: a real one has these controllers.
 */
export async function reconcileNamespaces(ctx: ControllerContext, done: Set<string>, caPem: string): Promise<void> {
  for (const ns of ctx.of('namespace').list()) {
    const uid = ns.metadata?.uid ?? '';
    const name = ns.metadata?.name ?? '';
    if (done.has(uid) || ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating') continue;
    await ctx.kube
      .create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } })
      .catch(() => undefined);
    await ctx.kube
      .create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'kube-root-ca.crt',
          namespace: name,
          annotations: {
            'kubernetes.io/description':
              'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
          },
        },
        data: { 'ca.crt': caPem },
      })
      .catch(() => undefined);
    done.add(uid);
  }
}
