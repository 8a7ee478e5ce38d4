import { isKubeApiError } from '../kube/errors.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import { uncoveredWorkloads } from '../verify/netpol-coverage.js';

/** What `kdrill lint` reads of the namespaces it checks, once. `unreadable` lists the kinds RBAC kept from it. */
export interface LintInput {
  context: string;
  namespaces: string[];
  workloads: KubeObject[];
  pods: KubeObject[];
  pdbs: KubeObject[];
  /** Service-account token Secrets (only their metadata and type are read); undefined when Secrets are not readable. */
  tokenSecrets?: KubeObject[];
  serviceAccounts: KubeObject[];
  nodes: KubeObject[];
  /** Velero's Schedules, for which volumes a file-system backup picks. */
  schedules: KubeObject[];
  veleroArgs: string[];
  /** Workloads no NetworkPolicy selects (netpol-coverage.ts). */
  uncovered: string[];
  unreadable: string[];
}

const SYSTEM = ['kube-system', 'kube-public', 'kube-node-lease'];
const PDB_V1 = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' };

async function tryList(
  kube: KubeApi,
  apiVersion: string,
  kind: string,
  ns: string | undefined,
  unreadable: string[],
  fieldSelector?: string,
): Promise<KubeObject[] | undefined> {
  if (!(await kube.serves({ apiVersion, kind }))) return [];
  try {
    return (
      await kube.list(
        { apiVersion, kind },
        { ...(ns ? { namespace: ns } : {}), ...(fieldSelector ? { fieldSelector } : {}) },
      )
    ).items;
  } catch (e) {
    if (isKubeApiError(e, 403)) {
      unreadable.push(kind);
      return undefined;
    }
    throw e;
  }
}

/** The namespaces to lint: those given, or every one but the cluster's, Velero's and restore-test sandboxes. */
export async function lintNamespaces(kube: KubeApi, given: string[], veleroNamespace: string): Promise<string[]> {
  if (given.length) return given;
  return (await kube.list({ apiVersion: 'v1', kind: 'Namespace' })).items
    .filter((n) => n.metadata?.labels?.['kdrill.dev/sandbox'] !== 'true')
    .map((n) => n.metadata?.name ?? '')
    .filter((n) => !SYSTEM.includes(n) && n !== veleroNamespace)
    .sort();
}

export async function readLintInput(kube: KubeApi, namespaces: string[], veleroNamespace: string): Promise<LintInput> {
  const unreadable: string[] = [];
  const each = async (apiVersion: string, kind: string, fieldSelector?: string): Promise<KubeObject[] | undefined> => {
    const out: KubeObject[] = [];
    for (const ns of namespaces) {
      const items = await tryList(kube, apiVersion, kind, ns, unreadable, fieldSelector);
      if (!items) return undefined;
      out.push(...items);
    }
    return out;
  };
  const workloads = [
    ...((await each('apps/v1', 'Deployment')) ?? []),
    ...((await each('apps/v1', 'StatefulSet')) ?? []),
    ...((await each('apps/v1', 'DaemonSet')) ?? []),
  ];
  const velero = (await tryList(kube, 'apps/v1', 'Deployment', veleroNamespace, []))?.find(
    (d) => d.metadata?.name === 'velero',
  );
  return {
    context: kube.context,
    namespaces,
    workloads,
    pods: (await each('v1', 'Pod')) ?? [],
    pdbs: (await each((await kube.serves(PDB_V1)) ? 'policy/v1' : 'policy/v1beta1', 'PodDisruptionBudget')) ?? [],
    tokenSecrets: await each('v1', 'Secret', 'type=kubernetes.io/service-account-token'),
    serviceAccounts: (await each('v1', 'ServiceAccount')) ?? [],
    nodes: (await tryList(kube, 'v1', 'Node', undefined, unreadable)) ?? [],
    schedules: (await tryList(kube, 'velero.io/v1', 'Schedule', veleroNamespace, [])) ?? [],
    veleroArgs: ((velero?.spec?.template?.spec?.containers ?? []) as { args?: string[] }[]).flatMap(
      (c) => c.args ?? [],
    ),
    uncovered: (await uncoveredWorkloads(kube, namespaces).catch(() => ({ uncovered: [] as string[] }))).uncovered,
    unreadable: [...new Set(unreadable)],
  };
}
