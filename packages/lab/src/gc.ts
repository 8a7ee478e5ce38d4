import { hostname } from 'node:os';
import { isKubeApiError, LAB_NODE_LABEL, processAlive, systemClock } from './core.js';
import type { Clock, KubeApi, KubeObject, ServedResource } from './core.js';
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
 * first (it refuses Pods while nothing answers it), then every object with the lab's label, its nodes,
 * its namespaces (waited for until gone), the CRDs last, the exemption labels it put on namespaces, and
 * its Lease. Returns what it removed, in order.
 */
export async function labGc(kube: KubeApi, clock: Clock = systemClock, timeoutMs = 90_000): Promise<string[]> {
  const removed: string[] = [];
  if (await kube.delete({ ...VWC, name: WEBHOOK_CONFIG_NAME }))
    removed.push(`ValidatingWebhookConfiguration ${WEBHOOK_CONFIG_NAME}`);
  const served = (await kube.resources()).filter((r) => r.verbs.includes('delete'));
  // namespaced objects outside the lab's namespaces, then cluster-scoped ones, then namespaces; CRDs after those are gone
  const order = (r: ServedResource): number => (r.kind === 'Namespace' ? 2 : r.namespaced ? 0 : 1);
  const crds = served.filter((r) => r.kind === 'CustomResourceDefinition');
  const rest = served.filter((r) => r.kind !== 'CustomResourceDefinition').sort((a, b) => order(a) - order(b));
  const labNodes = await labNodeNames(kube);
  const namespaces: string[] = [];
  const volumes: string[] = [];
  for (const r of rest) {
    if (r.kind === 'Namespace') await forceDeletePods(kube, { nodes: labNodes });
    const names = await deleteLabelled(kube, r, removed);
    if (r.kind === 'Namespace') namespaces.push(...names);
    if (r.kind === 'PersistentVolume') volumes.push(...names);
  }
  await untilGone(kube, namespaces, clock, timeoutMs);
  // pv-protection holds a volume until its claim is gone, which the namespaces took along
  await untilGone(kube, volumes, clock, timeoutMs / 3, 'PersistentVolume');
  for (const r of crds) await deleteLabelled(kube, r, removed);
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

/** Deletes every object of this type that carries the lab's label (nodes: either lab label); returns their names. */
async function deleteLabelled(kube: KubeApi, r: ServedResource, removed: string[]): Promise<string[]> {
  const names: string[] = [];
  for (const sel of r.kind === 'Node' ? [`${LAB_LABEL}=true`, `${LAB_NODE_LABEL}=true`] : [`${LAB_LABEL}=true`]) {
    let items: KubeObject[];
    try {
      items = (await kube.list({ apiVersion: r.apiVersion, kind: r.kind }, { labelSelector: sel })).items;
    } catch {
      continue;
    }
    for (const o of items) {
      // already going (an earlier gc asked, a finalizer holds it): asked again, it is not "removed" again
      if (o.metadata?.deletionTimestamp) continue;
      const ref = {
        apiVersion: r.apiVersion,
        kind: r.kind,
        name: o.metadata?.name ?? '',
        namespace: o.metadata?.namespace,
      };
      if (await kube.delete(ref, { propagationPolicy: 'Background' }).catch(() => false)) {
        removed.push(`${r.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`);
        names.push(ref.name);
      }
    }
  }
  return names;
}

async function labNodeNames(kube: KubeApi): Promise<Set<string>> {
  const names = new Set<string>();
  for (const sel of [`${LAB_LABEL}=true`, `${LAB_NODE_LABEL}=true`])
    for (const n of (
      await kube.list({ apiVersion: 'v1', kind: 'Node' }, { labelSelector: sel }).catch(() => ({ items: [] }))
    ).items)
      names.add(n.metadata?.name ?? '');
  return names;
}

/**
 * The lab was the kubelet of its nodes' pods: with it gone, nothing confirms their graceful deletion, and
 * they (with their claims, held by pvc-protection) keep a deleted namespace Terminating until the pod GC
 * of kube-controller-manager notices the nodes are gone. What `kubectl delete pod --force --grace-period=0`
 * does for a node that died, kdrill does for the nodes it simulated.
 */
async function forceDeletePods(kube: KubeApi, where: { nodes?: Set<string>; namespace?: string }): Promise<void> {
  const pods = await kube
    .list({ apiVersion: 'v1', kind: 'Pod' }, where.namespace ? { namespace: where.namespace } : {})
    .catch(() => ({ items: [] as KubeObject[] }));
  for (const p of pods.items) {
    const node = String(p.spec?.nodeName ?? '');
    if (where.nodes && !where.nodes.has(node)) continue;
    if (!where.nodes && !p.metadata?.deletionTimestamp) continue;
    await kube
      .delete(
        { apiVersion: 'v1', kind: 'Pod', namespace: p.metadata?.namespace, name: p.metadata?.name ?? '' },
        { gracePeriodSeconds: 0 },
      )
      .catch(() => false);
  }
}

/**
 * Waits until the lab's namespaces are gone, so that their CRDs go after them: a CRD removed while the
 * namespace controller lists a namespace's content fails its discovery ("unable to retrieve the complete
 * list of server APIs"), and it backs off for minutes. Pods still Terminating in them are forced meanwhile.
 */
async function untilGone(
  kube: KubeApi,
  names: string[],
  clock: Clock,
  timeoutMs: number,
  kind: 'Namespace' | 'PersistentVolume' = 'Namespace',
): Promise<void> {
  const deadline = clock.now().getTime() + timeoutMs;
  let left = names;
  while (left.length && clock.now().getTime() < deadline) {
    const still: string[] = [];
    for (const name of left)
      if (await kube.get({ apiVersion: 'v1', kind, name }).catch(() => undefined)) still.push(name);
    left = still;
    if (!left.length) return;
    if (kind === 'Namespace') for (const ns of left) await forceDeletePods(kube, { namespace: ns });
    await clock.sleep(500);
  }
}
