import { hostname } from 'node:os';
import { isKubeApiError, LAB_NODE_LABEL, processAlive, systemClock } from './core.js';
import type { KubeApi, KubeObject, ServedResource } from './core.js';
import { EXEMPT_LABEL, WEBHOOK_CONFIG_NAME } from './admission/webhook.js';
import { LEASE } from './claim.js';

/** The label on everything a lab creates on a cluster, so that `lab gc` finds it without the lab. */
export const LAB_LABEL = 'kdrill.dev/lab';
export const labLabels = { [LAB_LABEL]: 'true' } as const;

const VWC = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' } as const;

/** Puts the lab's label on objects it made through other means (Velero's CRDs and namespace). */
export async function markAsLab(
  kube: KubeApi,
  refs: { apiVersion: string; kind: string; name: string; namespace?: string }[],
): Promise<void> {
  for (const r of refs) {
    try {
      await kube.patch(r, { metadata: { labels: labLabels } });
    } catch (e) {
      if (!isKubeApiError(e, 404)) throw e;
    }
  }
}

/** Whether a lab's admission webhook is registered on this cluster while no lab holds it: every guarded Pod create is refused then. */
export async function staleWebhook(kube: KubeApi, now = systemClock.now()): Promise<boolean> {
  if (!(await kube.get({ ...VWC, name: WEBHOOK_CONFIG_NAME }).catch(() => undefined))) return false;
  const lease = await kube.get(LEASE).catch(() => undefined);
  if (!lease) return true;
  // a holder on this machine whose process is gone holds nothing, however fresh its last renewal
  const [host, pid] = String(lease.spec?.holderIdentity ?? '').split(':');
  if (host === hostname() && pid && !processAlive(Number(pid))) return true;
  const renewed = Date.parse(String(lease.spec?.renewTime ?? ''));
  return !(now.getTime() - renewed < Number(lease.spec?.leaseDurationSeconds ?? 15) * 1000);
}

/**
 * Removes everything a lab left on a cluster, even when its process is gone: its admission webhook
 * first (it refuses Pods while nothing answers it), then every object with the lab's label (namespaces
 * take their contents along), its nodes, the exemption labels it put on namespaces, and its Lease.
 * Returns what it removed, in order.
 */
export async function labGc(kube: KubeApi): Promise<string[]> {
  const removed: string[] = [];
  if (await kube.delete({ ...VWC, name: WEBHOOK_CONFIG_NAME }))
    removed.push(`ValidatingWebhookConfiguration ${WEBHOOK_CONFIG_NAME}`);
  const served = (await kube.resources()).filter((r) => r.verbs.includes('delete'));
  // namespaced objects outside the lab's namespaces, then cluster-scoped ones, namespaces last but one, nodes, and what they stood on
  const order = (r: ServedResource): number =>
    r.kind === 'Namespace' ? 2 : r.kind === 'CustomResourceDefinition' ? 3 : r.namespaced ? 0 : 1;
  for (const r of [...served].sort((a, b) => order(a) - order(b))) {
    for (const sel of r.kind === 'Node' ? [`${LAB_LABEL}=true`, `${LAB_NODE_LABEL}=true`] : [`${LAB_LABEL}=true`]) {
      let items: KubeObject[];
      try {
        items = (await kube.list({ apiVersion: r.apiVersion, kind: r.kind }, { labelSelector: sel })).items;
      } catch {
        continue;
      }
      for (const o of items) {
        const ref = {
          apiVersion: r.apiVersion,
          kind: r.kind,
          name: o.metadata?.name ?? '',
          namespace: o.metadata?.namespace,
        };
        if (await kube.delete(ref, { propagationPolicy: 'Background' }).catch(() => false))
          removed.push(`${r.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`);
      }
    }
  }
  for (const ns of (await kube.list({ apiVersion: 'v1', kind: 'Namespace' }, { labelSelector: EXEMPT_LABEL })).items) {
    await kube.patch(
      { apiVersion: 'v1', kind: 'Namespace', name: ns.metadata?.name ?? '' },
      { metadata: { labels: { [EXEMPT_LABEL]: null } } },
    );
    removed.push(`label ${EXEMPT_LABEL} of namespace ${ns.metadata?.name}`);
  }
  if (await kube.delete(LEASE)) removed.push(`Lease ${LEASE.namespace}/${LEASE.name}`);
  return removed;
}
