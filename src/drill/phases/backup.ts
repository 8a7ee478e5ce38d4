import { DrillError, ExitCode } from '../../errors.js';
import { readBackupContents } from '../../velero/contents.js';
import { V, getVelero, type Backup } from '../../velero/objects.js';
import { BACKUP_TERMINAL } from '../../velero/velero.js';
import { waitForVelero } from '../../velero/wait.js';
import type { DrillContext, PhaseOutcome } from '../context.js';
import type { BackupInfo } from '../state.js';
import { scopeGap } from './baseline.js';
import { backupInfo, checkCoverage, targetContents } from './preflight.js';

/** The drill's Backup of the targets; one created before a crash is waited on, not created again. */
async function createBackup(ctx: DrillContext, name: string): Promise<void> {
  const { kube } = ctx.deps;
  const spec = ctx.s.spec;
  const namespace = spec.backup.veleroNamespace;
  if (await getVelero(kube, { kind: 'Backup', namespace, name })) return;
  const backup: Backup = {
    ...V('Backup'),
    metadata: {
      name,
      namespace,
      labels: { 'kdrill.dev/run-id': ctx.state.runId, 'kdrill.dev/scenario': ctx.s.metadata.name },
    },
    spec: {
      includedNamespaces: spec.target.namespaces,
      storageLocation: spec.backup.storageLocation,
      ttl: '720h0m0s',
    },
  };
  await kube.create(backup);
}

/** Waits for the Backup to end; it must end Completed (or PartiallyFailed when allowed), else BACKUP_FAILED. */
async function completed(ctx: DrillContext, name: string): Promise<BackupInfo> {
  const { kube, clock, signal } = ctx.deps;
  const spec = ctx.s.spec;
  const r = await waitForVelero(kube, {
    kind: 'Backup',
    namespace: spec.backup.veleroNamespace,
    name,
    terminal: BACKUP_TERMINAL,
    timeoutMs: spec.backup.timeout * 1000,
    clock,
    signal,
  });
  const info = backupInfo(r.object);
  if (info.phase === 'Completed' || (info.phase === 'PartiallyFailed' && spec.backup.allowPartiallyFailed)) return info;
  const st = r.object.status;
  const why = st?.failureReason ?? st?.validationErrors?.join('; ') ?? (st?.errors ? `${st.errors} item error(s)` : '');
  throw new DrillError(
    'BACKUP_FAILED',
    `the drill's backup ${name} ended ${info.phase}${why ? `: ${why}` : ''}`,
    ExitCode.Precondition,
    { hint: `nothing was injected; see velero backup describe ${name} --details and velero backup logs ${name}` },
  );
}

/**
 * Backup (`backup.take: true`): a fresh Backup of the targets, waited for until terminal. It must end
 * Completed (or PartiallyFailed when the scenario allows it) and, read back from the bucket, hold
 * every target namespace; what it does not hold of the baseline is the scope gap. Exit 4 otherwise:
 * nothing has been injected yet.
 */
export async function takeBackup(ctx: DrillContext): Promise<PhaseOutcome> {
  const { deps, s, state } = ctx;
  const { kube, clock, journal, signal } = deps;
  const spec = s.spec;
  const ns = spec.backup.veleroNamespace;
  const name = state.takenBackup ?? `${s.metadata.name}-${state.runId}`;
  if (!state.takenBackup) {
    journal.append('backup-created', { name }, clock.now());
    state.takenBackup = name;
  }
  await createBackup(ctx, name);
  const info = await completed(ctx, name);
  const bucket = await deps.storeFor(kube, ns, spec.backup.storageLocation);
  const contents = await readBackupContents(
    { kube, veleroNamespace: ns, store: bucket, download: { clock, signal, fetch: deps.fetchUrl } },
    name,
  );
  checkCoverage(contents, spec.target.namespaces);
  const mine = targetContents(contents, spec.target.namespaces);
  const gap = state.baseline ? scopeGap(state.baseline.inventory, mine) : [];
  state.preflight!.backup = info;
  state.preflight!.contents = mine;
  if (state.baseline) state.baseline.scopeGap = gap;
  journal.append('backup-done', { backup: info, contents: mine, scopeGap: gap }, clock.now());
  return {
    ok: gap.length === 0,
    detail: `${name} ${info.phase}, holds ${mine.items.length} object(s)${gap.length ? `; ${gap.length} live object(s) not in it` : ''}`,
  };
}
