import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import type { SandboxSpec } from '../scenario/restore-test.js';
import { POLICY_PREFIX, RUN_LABEL, SANDBOX_LABEL } from './names.js';

const NP = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' };

const policy = (ns: string, name: string, runId: string, spec: Record<string, unknown>): KubeObject => ({
  ...NP,
  metadata: {
    name: `${POLICY_PREFIX}${name}`,
    namespace: ns,
    labels: { [RUN_LABEL]: runId, 'app.kubernetes.io/managed-by': 'kdrill' },
  },
  spec,
});

/** The API server's addresses and port, as its `default/kubernetes` Endpoints give them; empty when unreadable. */
export async function apiServerPeers(kube: KubeApi): Promise<{ ips: string[]; ports: number[] }> {
  const ep = await kube
    .get({ apiVersion: 'v1', kind: 'Endpoints', namespace: 'default', name: 'kubernetes' })
    .catch(() => undefined);
  const subsets = (ep?.subsets ?? []) as { addresses?: { ip: string }[]; ports?: { port: number }[] }[];
  return {
    ips: [...new Set(subsets.flatMap((x) => (x.addresses ?? []).map((a) => a.ip)))],
    ports: [...new Set(subsets.flatMap((x) => (x.ports ?? []).map((p) => p.port)))],
  };
}

/**
 * The NetworkPolicies of one sandbox namespace, the deny-all first: with no rule, it selects every pod
 * and lets nothing in or out. What the scenario asks for is allowed on top, each a policy of its own:
 * DNS egress to kube-dns, the API server both ways (its service proxy is how the http check gets in),
 * and traffic between the sandbox namespaces of this run.
 */
export function sandboxPolicies(
  ns: string,
  runId: string,
  allow: SandboxSpec['allow'],
  api: { ips: string[]; ports: number[] },
): KubeObject[] {
  const out = [policy(ns, 'deny-all', runId, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })];
  if (allow.includes('dns'))
    out.push(
      policy(ns, 'allow-dns', runId, {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      }),
    );
  if (allow.includes('api-server') && api.ips.length) {
    const peers = api.ips.map((ip) => ({ ipBlock: { cidr: ip.includes(':') ? `${ip}/128` : `${ip}/32` } }));
    out.push(
      policy(ns, 'allow-api-server', runId, {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: peers }],
        egress: [{ to: peers, ports: api.ports.map((port) => ({ protocol: 'TCP', port })) }],
      }),
    );
  }
  if (allow.includes('sandbox')) {
    const sandboxes = [{ namespaceSelector: { matchLabels: { [RUN_LABEL]: runId, [SANDBOX_LABEL]: 'true' } } }];
    out.push(
      policy(ns, 'allow-sandbox', runId, {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: sandboxes }],
        egress: [{ to: sandboxes }],
      }),
    );
  }
  return out;
}

/** The deny-all as the server holds it: selecting every pod, both directions, no rule. */
export function deniesAll(p: KubeObject | undefined): boolean {
  const spec = p?.spec ?? {};
  const types = (spec.policyTypes ?? []) as string[];
  const sel = (spec.podSelector ?? {}) as { matchLabels?: object; matchExpressions?: unknown[] };
  return (
    !!p &&
    !Object.keys(sel.matchLabels ?? {}).length &&
    !sel.matchExpressions?.length &&
    types.includes('Ingress') &&
    types.includes('Egress') &&
    !(spec.ingress?.length ?? 0) &&
    !(spec.egress?.length ?? 0)
  );
}

/** Creates the policies and reads each back; throws (with the reason) when the sandbox is not fenced off. */
export async function applyIsolation(kube: KubeApi, policies: KubeObject[]): Promise<string[]> {
  const made: string[] = [];
  for (const p of policies) {
    const ref = { ...NP, namespace: p.metadata!.namespace!, name: p.metadata!.name! };
    if (!(await kube.get(ref))) await kube.create(p);
    made.push(`${ref.namespace}/${ref.name}`);
  }
  for (const p of policies.filter((x) => x.metadata?.name === `${POLICY_PREFIX}deny-all`)) {
    const back = await kube.get({ ...NP, namespace: p.metadata!.namespace!, name: p.metadata!.name! });
    if (!deniesAll(back))
      throw new Error(
        `NetworkPolicy ${p.metadata!.namespace}/${p.metadata!.name} does not read back as a deny-all (a webhook changed it?)`,
      );
  }
  return made;
}
