import { DrillError, ExitCode } from '../errors.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import { getVelero, listVelero, V, type BackupStorageLocation } from './objects.js';
import { parseGoDuration } from '../time/go-duration.js';

/** Velero validates a BSL every minute unless its spec says otherwise (backupstoragelocation_types.go). */
export const DEFAULT_VALIDATION_MS = 60_000;
/** Slack on top of two validation periods: a busy server validates late, not never. */
export const VALIDATION_MARGIN_MS = 30_000;

export interface VeleroHealth {
  bsl: BackupStorageLocation;
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

async function veleroInstalled(kube: KubeApi): Promise<void> {
  if (await kube.serves(V('BackupStorageLocation'))) return;
  throw new DrillError(
    'VELERO_MISSING',
    `Velero is not installed in context "${kube.context}" (no velero.io CRDs)`,
    ExitCode.Precondition,
    { hint: 'install Velero (velero install --provider aws …), or run the drill with --lab' },
  );
}

/** The Velero server Deployment with a ready replica. */
async function readyServer(kube: KubeApi, ns: string): Promise<VeleroHealth['server']> {
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
  return { name: server.name, readyReplicas: server.readyReplicas };
}

/** The BSL, there and Available. */
async function availableBsl(kube: KubeApi, ns: string, name: string): Promise<BackupStorageLocation> {
  const bsl = await getVelero(kube, { kind: 'BackupStorageLocation', namespace: ns, name });
  if (!bsl) {
    const all = (await listVelero(kube, 'BackupStorageLocation', { namespace: ns })).map((b) => b.metadata?.name);
    throw new DrillError(
      'BSL_NOT_FOUND',
      `BackupStorageLocation ${ns}/${name} not found in context "${kube.context}"${all.length ? ` (there: ${all.join(', ')})` : ''}`,
      ExitCode.Precondition,
      { hint: 'set spec.backup.storageLocation in the scenario' },
    );
  }
  if (bsl.status?.phase !== 'Available') {
    throw new DrillError(
      'BSL_UNAVAILABLE',
      `BackupStorageLocation ${ns}/${name} is ${bsl.status?.phase ?? 'not validated yet'}${bsl.status?.message ? `: ${bsl.status.message}` : ''}`,
      ExitCode.Precondition,
      {
        hint: 'Velero validates it every minute; fix the bucket or credentials it names, then rerun',
      },
    );
  }
  return bsl;
}

/** When Velero last validated the BSL; BSL_STALE when that is longer ago than twice its frequency plus a margin. */
function recentValidation(
  bsl: BackupStorageLocation,
  o: { ns: string; name: string; server: string; frequencyMs: number; now: Date },
): NonNullable<VeleroHealth['lastValidation']> {
  const at = bsl.status?.lastValidationTime;
  const ageMs = at ? o.now.getTime() - Date.parse(at) : Number.POSITIVE_INFINITY;
  const limitMs = 2 * o.frequencyMs + VALIDATION_MARGIN_MS;
  if (at && ageMs <= limitMs) return { at, ageSeconds: Math.round(ageMs / 1000) };
  throw new DrillError(
    'BSL_STALE',
    `BackupStorageLocation ${o.ns}/${o.name} says Available, but Velero ${at ? `last validated it ${Math.round(ageMs / 1000)}s ago (at ${at})` : 'never recorded a validation'}; it validates every ${Math.round(o.frequencyMs / 1000)}s`,
    ExitCode.Precondition,
    {
      hint: `is the Velero server stuck? kubectl -n ${o.ns} logs deploy/${o.server}; the phase is only as fresh as its lastValidationTime`,
    },
  );
}

/**
 * Velero installed *and running*: its CRDs are served, its server Deployment has a ready replica,
 * the BSL exists and is Available, and Velero validated it recently (twice its validation frequency
 * plus a margin). A BSL that still says Available while no server runs has a stale lastValidationTime.
 */
export async function veleroRunning(
  kube: KubeApi,
  o: { namespace: string; bsl: string; now: Date },
): Promise<VeleroHealth> {
  const ns = o.namespace;
  await veleroInstalled(kube);
  const server = await readyServer(kube, ns);
  const bsl = await availableBsl(kube, ns, o.bsl);
  const frequencyMs = parseGoDuration(bsl.spec?.validationFrequency ?? undefined, DEFAULT_VALIDATION_MS);
  const health: VeleroHealth = { bsl, server };
  if (frequencyMs === 0) return { ...health, validationDisabled: true };
  return {
    ...health,
    lastValidation: recentValidation(bsl, { ns, name: o.bsl, server: server.name, frequencyMs, now: o.now }),
  };
}
