import type { Finding } from '../drill/types.js';
import type { KubeApi } from '../kube/kube-api.js';
import {
  blockingBudgets,
  ephemeralData,
  longGrace,
  placement,
  singleReplicas,
  tokenSecrets,
  unselected,
} from './checks.js';
import { lintNamespaces, readLintInput } from './collect.js';

export interface LintReport {
  context: string;
  namespaces: string[];
  findings: Finding[];
  /** Kinds kdrill may not read here (RBAC): their checks did not run. */
  notChecked: string[];
}

/**
 * `kdrill lint`: the guide's maintenance and restore traps in the namespaces given (default: all but
 * the cluster's own), each finding naming the object and a fix. Read-only.
 */
export async function lint(
  kube: KubeApi,
  o: { namespaces: string[]; hardened: boolean; veleroNamespace: string },
): Promise<LintReport> {
  const namespaces = await lintNamespaces(kube, o.namespaces, o.veleroNamespace);
  const i = await readLintInput(kube, namespaces, o.veleroNamespace);
  const findings = [
    ...singleReplicas(i),
    ...placement(i),
    ...blockingBudgets(i),
    ...longGrace(i),
    ...unselected(i, o.hardened),
    ...tokenSecrets(i),
    ...ephemeralData(i),
  ];
  const notChecked = [...i.unreadable, ...(i.tokenSecrets ? [] : ['Secret'])];
  return { context: kube.context, namespaces, findings, notChecked: [...new Set(notChecked)] };
}
