import type { ObjectStore } from '../../backupstore/object-store.js';
import { auditBackups } from '../../backupstore/audit.js';
import { AwsObjectStore, DEFAULT_POOL } from '../../backupstore/aws-object-store.js';
import { parseAwsCredentials } from '../../backupstore/bsl.js';
import { DrillError, ExitCode } from '../../errors.js';
import { contextAllowed } from '../allow.js';
import { historyInsideBsl } from '../../history/store.js';
import type { KubeApi } from '../../kube/kube-api.js';
import type { Scenario } from '../../scenario/schema.js';
import { secondsBetween } from '../../time/k8s-time.js';
import { readBackupContents, type BackupContents } from '../../velero/contents.js';
import { veleroRunning } from '../../velero/health.js';
import { listVelero, type Backup } from '../../velero/objects.js';
import { RESTORE_TERMINAL, chooseBackup } from '../../velero/velero.js';
import { snapshotInventory, type InventoryItem } from '../../verify/inventory.js';
import type { DrillContext, PhaseOutcome } from '../context.js';
import { isHardened } from '../plan.js';
import { lintForDrill } from '../../lint/drill.js';
import { detectPreflight } from './detect.js';
import type { BackupInfo, VeleroSeen } from '../state.js';
import type { Finding } from '../types.js';
import { rpoAtStartFinding } from '../rpo-at-start.js';

export const backupInfo = (b: Backup): BackupInfo => ({
  name: b.metadata?.name ?? '',
  phase: b.status?.phase ?? '',
  startTimestamp: b.status?.startTimestamp ?? '',
  completionTimestamp: b.status?.completionTimestamp ?? undefined,
  expiration: b.status?.expiration ?? undefined,
});

/** Every namespace the drill deletes, restores or verifies: they must all exist before anything is touched. */
export function namespacesTouched(s: Scenario): string[] {
  const out = new Set(s.spec.target.namespaces);
  for (const d of s.spec.disaster) {
    if (d.type === 'delete-namespace') d.namespaces.forEach((n) => out.add(n));
    if (d.type === 'delete-workload' || d.type === 'delete-pvc') out.add(d.namespace);
  }
  return [...out];
}

/** Every context the drill touches must be allow-listed: the same check on run and on resume. */
export function contextsAllowed(deps: Pick<DrillContext['deps'], 'kube' | 'recoveryKube' | 'allowed'>): void {
  for (const k of new Set([deps.kube, deps.recoveryKube])) {
    const r = contextAllowed(deps.allowed, k.context, k.server);
    if (r.ok) continue;
    throw new DrillError('CONTEXT_NOT_ALLOWED', r.why, ExitCode.Precondition, {
      hint: `allow it with --allow-context ${k.context}, KDRILL_ALLOW_CONTEXTS, or allowContexts in .kdrill.yaml (now from: ${deps.allowed.sources.join(', ')})`,
    });
  }
}

async function targetsExist(kube: KubeApi, s: Scenario): Promise<void> {
  const missing: string[] = [];
  for (const n of namespacesTouched(s))
    if (!(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: n }))) missing.push(n);
  if (missing.length) {
    throw new DrillError(
      'TARGET_MISSING',
      `target namespace${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist in context "${kube.context}"`,
      ExitCode.Precondition,
      {
        hint: 'a drill of nothing proves nothing: check spec.target.namespaces and the context (kubectl get namespaces)',
      },
    );
  }
}

/** The backup must hold every target namespace; a namespace it does not hold could never come back. */
export function checkCoverage(contents: BackupContents, targets: string[]): void {
  const missing = targets.filter((n) => !contents.namespaces.includes(n));
  if (!missing.length) return;
  throw new DrillError(
    'BACKUP_MISSES_TARGET',
    `backup ${contents.backup} holds nothing of namespace${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (it holds: ${contents.namespaces.join(', ') || 'no namespaced objects'}; read from its ${contents.source})`,
    ExitCode.Precondition,
    {
      hint: "restoring it would bring none of it back: add the namespace to the Schedule's includedNamespaces (velero schedule describe), or pick another backup",
    },
  );
}

/** The backup contents kept in the journal: the target namespaces only. */
export const targetContents = (c: BackupContents, targets: string[]): BackupContents => ({
  ...c,
  items: c.items.filter((i) => i.namespace !== undefined && targets.includes(i.namespace)),
});

async function noStaleRestore(kube: KubeApi, ns: string, scenario: string): Promise<void> {
  const stale = (
    await listVelero(kube, 'Restore', { namespace: ns, labelSelector: `kdrill.dev/scenario=${scenario}` })
  ).filter((r) => !RESTORE_TERMINAL.has(r.status?.phase ?? ''));
  if (stale.length) {
    throw new DrillError(
      'STALE_RESTORE',
      `an unfinished Restore from an earlier run exists: ${stale.map((r) => r.metadata?.name).join(', ')}`,
      ExitCode.Precondition,
      {
        hint: 'let it finish, or delete it (and resume the earlier run with `kdrill resume <dir>` if that is what it was)',
      },
    );
  }
}

/** Recovery into another cluster must land in empty namespaces, or the restore skips what is there. */
async function recoveryTargetFree(ctx: DrillContext): Promise<InventoryItem[] | undefined> {
  const { kube, recoveryKube } = ctx.deps;
  if (recoveryKube === kube) return undefined;
  const there: string[] = [];
  for (const n of ctx.s.spec.target.namespaces)
    if (await recoveryKube.get({ apiVersion: 'v1', kind: 'Namespace', name: n })) there.push(n);
  if (!there.length) return undefined;
  if (!ctx.s.spec.recovery.allowExisting) {
    throw new DrillError(
      'RECOVERY_TARGET_NOT_EMPTY',
      `the recovery cluster "${recoveryKube.context}" already has namespace${there.length > 1 ? 's' : ''} ${there.join(', ')}: Velero would skip what exists there, and the drill would measure that instead of the restore`,
      ExitCode.Precondition,
      {
        hint: `delete ${there.length > 1 ? 'them' : 'it'} there first (kubectl --context ${recoveryKube.context} delete namespace ${there.join(' ')}), or set recovery.allowExisting: true`,
      },
    );
  }
  // preflight discovered the recovery cluster a moment ago, and nothing is touched yet
  return snapshotInventory(recoveryKube, there, undefined, { reuseDiscovery: true });
}

/** The off-site copy a scenario names, with credentials from its own Secret. */
async function replicaStore(
  kube: KubeApi,
  r: NonNullable<Scenario['spec']['protection']['replica']>,
): Promise<{ store: ObjectStore; prefix: string }> {
  let credentials;
  if (r.credentialsSecret) {
    const sec = await kube.get({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: r.credentialsSecret.namespace,
      name: r.credentialsSecret.name,
    });
    const raw = (sec?.data as Record<string, string> | undefined)?.[r.credentialsSecret.key];
    credentials = raw ? parseAwsCredentials(Buffer.from(raw, 'base64').toString('utf8')) : undefined;
    if (!credentials)
      throw new DrillError(
        'REPLICA_CREDENTIALS',
        `the replica credentials Secret ${r.credentialsSecret.namespace}/${r.credentialsSecret.name} (key ${r.credentialsSecret.key}) has no AWS credentials`,
        ExitCode.Precondition,
        { hint: 'the key should hold an AWS credentials file' },
      );
  }
  const prefix = r.prefix ? `${r.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
  return {
    store: new AwsObjectStore({
      endpoint: r.endpoint,
      region: r.region,
      bucket: r.bucket,
      prefix,
      forcePathStyle: !!r.endpoint,
      credentials,
    }),
    prefix,
  };
}

/** Velero running in every cluster involved, as each one was seen. */
async function veleroSeen(ctx: DrillContext): Promise<VeleroSeen[]> {
  const { kube, recoveryKube, clock } = ctx.deps;
  const velero: VeleroSeen[] = [];
  for (const k of recoveryKube === kube ? [kube] : [kube, recoveryKube]) {
    const h = await veleroRunning(k, {
      namespace: ctx.s.spec.backup.veleroNamespace,
      bsl: ctx.s.spec.backup.storageLocation,
      now: clock.now(),
    });
    velero.push({
      context: k.context,
      server: h.server.name,
      readyReplicas: h.server.readyReplicas,
      lastValidation: h.lastValidation?.at,
      validationDisabled: h.validationDisabled,
    });
  }
  return velero;
}

const validationOff = (v: VeleroSeen): Finding => ({
  severity: 'P3',
  code: 'BSL_VALIDATION_DISABLED',
  message: `the BSL's validationFrequency is 0 in context "${v.context}": Velero never re-checks the bucket, so its Available phase may be old`,
  fix: 'set spec.validationFrequency (default 1m) so a broken bucket shows up before a disaster',
});

type Bucket = Awaited<ReturnType<DrillContext['deps']['storeFor']>>;

/** The history must not sit inside the BSL, where Velero would trip over it. */
function historyOutsideBsl(deps: DrillContext['deps'], bucket: Bucket): void {
  if (!deps.history || !historyInsideBsl(deps.history, { bucket: bucket.store.settings.bucket, prefix: bucket.prefix }))
    return;
  throw new DrillError(
    'HISTORY_IN_BSL',
    `the history s3://${bucket.store.settings.bucket}/${deps.history.kind === 's3' ? deps.history.prefix : ''} is inside the BackupStorageLocation's ${bucket.prefix ? `prefix ${bucket.prefix}` : 'bucket root'}: Velero would see it as an invalid top-level directory and mark the BSL Unavailable`,
    ExitCode.Precondition,
    {
      hint: 'record the history in another bucket (e.g. s3://drill-history/kdrill), or outside the BSL prefix',
    },
  );
}

interface Chosen {
  chosen: BackupInfo;
  all: BackupInfo[];
  contents?: BackupContents;
}

/** The backup to restore, fresh enough (else a finding), holding every target namespace. */
async function existingBackup(ctx: DrillContext, bucket: Bucket, findings: Finding[]): Promise<Chosen> {
  const { kube, clock } = ctx.deps;
  const spec = ctx.s.spec;
  const veleroNamespace = spec.backup.veleroNamespace;
  const c = await chooseBackup(kube, veleroNamespace, {
    name: spec.backup.name,
    schedule: spec.backup.schedule,
    allowPartiallyFailed: spec.backup.allowPartiallyFailed,
  });
  const chosen = backupInfo(c.backup);
  const age = secondsBetween(chosen.startTimestamp, clock.now());
  const late = rpoAtStartFinding(chosen.name, age, spec.objectives.rpo);
  if (late) findings.push(late);
  const contents = await readBackupContents(
    { kube, veleroNamespace, store: bucket, download: { clock, signal: ctx.deps.signal, fetch: ctx.deps.fetchUrl } },
    chosen.name,
  );
  checkCoverage(contents, spec.target.namespaces);
  return { chosen, all: c.all.map(backupInfo), contents: targetContents(contents, spec.target.namespaces) };
}

/** A backup the drill takes itself (`take: true`): the ones there only count for retention. */
async function backupToTake(ctx: DrillContext): Promise<Chosen> {
  const there = await chooseBackup(ctx.deps.kube, ctx.s.spec.backup.veleroNamespace, {
    allowPartiallyFailed: true,
  }).then(
    (c) => c.all,
    (): Backup[] => [],
  );
  return { chosen: { name: '(taken during the drill)', phase: 'New', startTimestamp: '' }, all: there.map(backupInfo) };
}

/** The same audit as `kdrill audit`, for the backup this drill restores. */
async function protectionAudit(ctx: DrillContext, bucket: Bucket, chosen: BackupInfo) {
  const spec = ctx.s.spec;
  return auditBackups({
    store: bucket.store,
    prefix: bucket.prefix,
    backups: spec.backup.take ? [] : [chosen],
    policy: spec.protection.objectLock,
    marginSeconds: 86400,
    canary: {
      enabled: spec.protection.objectLock.canary,
      key: `kdrill-canary-${ctx.state.runId}`,
      retentionSeconds: 600,
    },
    replica: spec.protection.replica ? await replicaStore(ctx.deps.kube, spec.protection.replica) : undefined,
    concurrency: DEFAULT_POOL,
    clock: ctx.deps.clock,
  });
}

/**
 * Preflight: everything that must hold before anything is touched, each an exit-4 precondition with
 * a code and a hint: the contexts are allow-listed; Velero runs (server ready, BSL validated lately)
 * in every cluster involved; the targets exist; the backup is chosen, fresh enough, and holds every
 * target namespace; no earlier Restore is still running; a recovery cluster does not already hold
 * the targets; and the backup protection audit ran.
 */
export async function preflight(ctx: DrillContext): Promise<PhaseOutcome> {
  const { deps, s, state } = ctx;
  const { kube, recoveryKube } = deps;
  const spec = s.spec;
  const veleroNs = spec.backup.veleroNamespace;
  contextsAllowed(deps);
  // discovery once, before anything is touched: every read up to the disaster reuses it
  for (const k of new Set([kube, recoveryKube])) await k.resources();
  const velero = await veleroSeen(ctx);
  await targetsExist(kube, s);
  const findings: Finding[] = velero.filter((x) => x.validationDisabled).map(validationOff);
  const heartbeat = await detectPreflight(ctx, findings);
  const bucket = await deps.storeFor(kube, veleroNs, spec.backup.storageLocation);
  historyOutsideBsl(deps, bucket);
  const { chosen, all, contents } = spec.backup.take
    ? await backupToTake(ctx)
    : await existingBackup(ctx, bucket, findings);
  await noStaleRestore(kube, veleroNs, s.metadata.name);
  if (recoveryKube !== kube) await noStaleRestore(recoveryKube, veleroNs, s.metadata.name);
  const recoveryBefore = await recoveryTargetFree(ctx);
  const report = await protectionAudit(ctx, bucket, chosen);
  findings.push(...report.findings);
  findings.push(
    ...(await lintForDrill(kube, {
      namespaces: spec.target.namespaces,
      hardened: isHardened(s),
      veleroNamespace: veleroNs,
    })),
  );
  state.preflight = { backup: chosen, allBackups: all, findings, protection: report, velero, contents, recoveryBefore };
  if (heartbeat) state.preflight.heartbeat = heartbeat;
  const p12 = findings.filter((f) => f.severity !== 'P3').length;
  if (p12) deps.reporter.info(`${p12} P1/P2 finding(s) before the drill: it continues, and the verdict will say so`);
  return {
    ok: p12 === 0,
    detail: `Velero running in ${velero.map((v) => v.context).join(', ')}; backup ${chosen.name}${contents ? ` holds ${contents.items.length} object(s) of ${spec.target.namespaces.join(', ')}` : ''}; ${findings.length} finding(s)${p12 ? `, ${p12} P1/P2` : ''}`,
  };
}
