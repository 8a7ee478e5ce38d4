import { DrillError, ExitCode } from '../errors.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import { parseGoDuration } from '../time/go-duration.js';
import { V } from './velero.js';

/** Velero validates a BSL every minute unless its spec says otherwise (backupstoragelocation_types.go). */
export const DEFAULT_VALIDATION_MS = 60_000;
/** Slack on top of two validation periods: a busy server validates late, not never. */
export const VALIDATION_MARGIN_MS = 30_000;

export interface VeleroHealth {
  bsl: KubeObject;
  server: { name: string; readyReplicas: number };
  /** When the BSL was last validated, and how old that was at the check. */
  lastValidation?: { at: string; ageSeconds: number };
  /** Set when the BSL's validation is switched off (validationFrequency 0): its phase may be stale. */
  validationDisabled?: boolean;
}

const notRunning = (kube: KubeApi, ns: string, what: string): DrillError =>
  new DrillError(
    'VELERO_NOT_RUNNING',
    `Velero is not running in context "${kube.context}": ${what}`,
    ExitCode.Precondition,
    {
      hint: `a Restore nobody processes would leave the disaster in place; check: kubectl -n ${ns} get deployment velero; kubectl -n ${ns} logs deploy/velero`,
    },
  );

/** The Velero server Deployment: `velero install` names it velero (component=velero); the Helm chart labels it app.kubernetes.io/name=velero. */
export function isVeleroServer(d: KubeObject): boolean {
  const l = d.metadata?.labels ?? {};
  return d.metadata?.name === 'velero' || l.component === 'velero' || l['app.kubernetes.io/name'] === 'velero';
}

/**
 * Velero installed *and running*: its CRDs are served, its server Deployment has a ready replica,
 * the BSL exists and is Available, and Velero validated it recently (twice its validation frequency
 * plus a margin). A BSL that still says Available while no server runs has a stale lastValidationTime.
 */
export async function veleroRunning(kube: KubeApi, ns: string, bslName: string, now: Date): Promise<VeleroHealth> {
  if (!(await kube.serves(V('BackupStorageLocation')))) {
    throw new DrillError(
      'VELERO_MISSING',
      `Velero is not installed in context "${kube.context}" (no velero.io CRDs)`,
      ExitCode.Precondition,
      { hint: 'install Velero (velero install --provider aws …), or run the drill with --lab' },
    );
  }
  const servers = (await kube.list({ apiVersion: 'apps/v1', kind: 'Deployment' }, { namespace: ns })).items.filter(
    isVeleroServer,
  );
  if (servers.length === 0) throw notRunning(kube, ns, `no Velero server Deployment in namespace ${ns}`);
  const ready = servers.map((d) => ({
    name: d.metadata?.name ?? '',
    readyReplicas: Number(d.status?.readyReplicas ?? 0),
    replicas: Number(d.spec?.replicas ?? 1),
  }));
  const server = ready.find((d) => d.readyReplicas > 0);
  if (!server)
    throw notRunning(
      kube,
      ns,
      ready
        .map((d) => `Deployment ${ns}/${d.name} has ${d.readyReplicas} ready of ${d.replicas} replica(s)`)
        .join('; '),
    );
  const bsl = await kube.get({ ...V('BackupStorageLocation'), namespace: ns, name: bslName });
  if (!bsl) {
    const all = (await kube.list(V('BackupStorageLocation'), { namespace: ns })).items.map((b) => b.metadata?.name);
    throw new DrillError(
      'BSL_NOT_FOUND',
      `BackupStorageLocation ${ns}/${bslName} not found in context "${kube.context}"${all.length ? ` (there: ${all.join(', ')})` : ''}`,
      ExitCode.Precondition,
      { hint: 'set spec.backup.storageLocation in the scenario' },
    );
  }
  if (bsl.status?.phase !== 'Available') {
    throw new DrillError(
      'BSL_UNAVAILABLE',
      `BackupStorageLocation ${ns}/${bslName} is ${bsl.status?.phase ?? 'not validated yet'}${bsl.status?.message ? `: ${bsl.status.message}` : ''}`,
      ExitCode.Precondition,
      {
        hint: 'Velero validates it every minute; fix the bucket or credentials it names, then rerun',
      },
    );
  }
  const frequencyMs = parseGoDuration(bsl.spec?.validationFrequency as string | undefined, DEFAULT_VALIDATION_MS);
  const health: VeleroHealth = { bsl, server: { name: server.name, readyReplicas: server.readyReplicas } };
  if (frequencyMs === 0) return { ...health, validationDisabled: true };
  const at = bsl.status?.lastValidationTime as string | undefined;
  const ageMs = at ? now.getTime() - Date.parse(at) : Number.POSITIVE_INFINITY;
  const limitMs = 2 * frequencyMs + VALIDATION_MARGIN_MS;
  if (!(ageMs <= limitMs)) {
    throw new DrillError(
      'BSL_STALE',
      `BackupStorageLocation ${ns}/${bslName} says Available, but Velero ${at ? `last validated it ${Math.round(ageMs / 1000)}s ago (at ${at})` : 'never recorded a validation'}; it validates every ${Math.round(frequencyMs / 1000)}s`,
      ExitCode.Precondition,
      {
        hint: `is the Velero server stuck? kubectl -n ${ns} logs deploy/${server.name}; the phase is only as fresh as its lastValidationTime`,
      },
    );
  }
  return { ...health, lastValidation: { at: at!, ageSeconds: Math.round(ageMs / 1000) } };
}
