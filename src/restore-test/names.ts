import type { Scenario } from '../scenario/schema.js';

/** Labels every sandbox namespace carries: whose it is, what it mirrors, and when it may be removed. */
export const SANDBOX_LABEL = 'kdrill.dev/sandbox';
export const RUN_LABEL = 'kdrill.dev/run-id';
export const SCENARIO_LABEL = 'kdrill.dev/scenario';
export const SOURCE_LABEL = 'kdrill.dev/sandbox-of';
/** Unix seconds: a label value may hold digits, not an ISO time. */
export const EXPIRES_LABEL = 'kdrill.dev/expires';
export const EXPIRES_ANNOTATION = 'kdrill.dev/expires-at';
/** kdrill's own NetworkPolicies in a sandbox: never part of what the backup is compared with. */
export const POLICY_PREFIX = 'kdrill-sandbox-';
/** The class a sandbox's Ingresses get: no controller serves it, so none of them takes traffic. */
export const INERT_INGRESS_CLASS = 'kdrill-sandbox-none';

/** Each source namespace → its sandbox: the scenario's names, else `<ns>-rt-<run id>`. */
export function sandboxNames(s: Scenario, runId: string): Record<string, string> {
  const given = s.spec.sandbox?.namespaces ?? {};
  return Object.fromEntries(s.spec.target.namespaces.map((n) => [n, given[n] ?? `${n}-rt-${runId}`]));
}

/** The ConfigMap (in Velero's namespace) holding this scenario's resource modifier rules. */
export const modifierName = (s: Scenario): string => `kdrill-rt-${s.metadata.name}`.slice(0, 253);

/** The labels of a sandbox namespace. */
export function sandboxLabels(s: Scenario, runId: string, source: string, expiresAt: Date): Record<string, string> {
  return {
    [SANDBOX_LABEL]: 'true',
    [RUN_LABEL]: runId,
    [SCENARIO_LABEL]: s.metadata.name,
    [SOURCE_LABEL]: source,
    [EXPIRES_LABEL]: String(Math.floor(expiresAt.getTime() / 1000)),
  };
}

/** Whether a namespace is a sandbox of this run (and so one kdrill may delete). */
export const ownSandbox = (labels: Record<string, string> | undefined, runId: string): boolean =>
  labels?.[SANDBOX_LABEL] === 'true' && labels[RUN_LABEL] === runId && !!labels[SOURCE_LABEL];
