import type { ObjectStore } from '../../backupstore/object-store.js';
import { DrillError, ExitCode } from '../../errors.js';
import type { KubeApi } from '../../kube/kube-api.js';
import type { RestorePhase } from '../../scenario/schema.js';
import { readRestoreResults } from '../../velero/results.js';
import { V, getVelero, type Restore } from '../../velero/objects.js';
import { RESTORE_TERMINAL, waitForBackupSync } from '../../velero/velero.js';
import { waitForVelero, type Waited } from '../../velero/wait.js';
import { iso, type DrillContext, type PhaseOutcome } from '../context.js';
import { restorePhases } from '../plan.js';
import type { RestoreRecord } from '../types.js';

const WARNINGS_KEPT = 20;

/** The bucket as seen from the recovery cluster, or undefined when kdrill cannot reach it (a DownloadRequest may). */
async function bucketOf(ctx: DrillContext, kube: KubeApi): Promise<{ store: ObjectStore; prefix: string } | undefined> {
  try {
    return await ctx.deps.storeFor(kube, ctx.s.spec.backup.veleroNamespace, ctx.s.spec.backup.storageLocation);
  } catch {
    return undefined;
  }
}

/** One phase's Restore, as `phases[index]` of the scenario asks for it. */
interface PhaseRestore {
  kube: KubeApi;
  index: number;
  phase: RestorePhase;
  name: string;
}

async function createRestore(ctx: DrillContext, r: PhaseRestore): Promise<void> {
  const { kube, index, phase: p, name } = r;
  const { s, state } = ctx;
  const spec = s.spec;
  const ns = spec.backup.veleroNamespace;
  // a restore created before a crash is waited on, not created again
  if (await getVelero(kube, { kind: 'Restore', namespace: ns, name })) return;
  const restore: Restore = {
    ...V('Restore'),
    metadata: {
      name,
      namespace: ns,
      labels: {
        'kdrill.dev/run-id': state.runId,
        'kdrill.dev/scenario': s.metadata.name,
        'kdrill.dev/phase': String(index + 1),
      },
    },
    spec: {
      backupName: state.preflight!.backup.name,
      includedNamespaces: spec.target.namespaces,
      ...(p.include ? { includedResources: p.include } : {}),
      ...(p.exclude ? { excludedResources: p.exclude } : {}),
      ...(p.includeClusterResources !== undefined ? { includeClusterResources: p.includeClusterResources } : {}),
      existingResourcePolicy: spec.recovery.existingResourcePolicy,
      restorePVs: true,
      ...ctx.restoreSpec,
    },
  };
  await kube.create(restore);
}

/** What a finished Restore says of itself, with its results read from the bucket or a DownloadRequest. */
async function recordOf(
  ctx: DrillContext,
  r: Pick<PhaseRestore, 'kube' | 'phase'> & { done: Waited<'Restore'> },
): Promise<RestoreRecord> {
  const { kube, phase: p, done } = r;
  const { deps, s } = ctx;
  const st = done.object.status ?? {};
  const name = done.object.metadata?.name ?? '';
  const phase = String(st.phase);
  const warnings = st.warnings ?? 0;
  const needed = phase !== 'Completed' || warnings > 0;
  const results = needed
    ? await readRestoreResults(
        {
          kube,
          veleroNamespace: s.spec.backup.veleroNamespace,
          store: await bucketOf(ctx, kube),
          download: { clock: deps.clock, signal: deps.signal, fetch: deps.fetchUrl },
        },
        name,
      )
    : undefined;
  const parsed = results?.parsed;
  return {
    name,
    context: kube.context,
    phase,
    includedResources: p.include ?? [],
    excludedResources: p.exclude ?? [],
    startedAt: st.startTimestamp ?? undefined,
    completedAt: st.completionTimestamp ?? iso(done.seenAt),
    errors: st.errors ?? parsed?.failedItems.length ?? 0,
    warnings: Math.max(warnings, parsed?.warnings.length ?? 0),
    failedItems: parsed?.failedItems ?? [],
    otherErrors: parsed?.otherErrors.length ? parsed.otherErrors : undefined,
    warningMessages: parsed?.warnings.length ? parsed.warnings.slice(0, WARNINGS_KEPT) : undefined,
    results: results?.source ?? 'not-needed',
    resultsError: results?.error,
    failureReason: st.failureReason ?? (st.validationErrors?.join('; ') || undefined),
  };
}

async function velero(ctx: DrillContext): Promise<PhaseOutcome> {
  const { deps, s, state } = ctx;
  const { clock, journal, signal, reporter } = deps;
  const rk = deps.recoveryKube;
  const ns = s.spec.backup.veleroNamespace;
  const backupName = state.preflight!.backup.name;
  if (rk !== deps.kube) {
    reporter.info(`  waiting for backup ${backupName} to sync into context ${rk.context}`);
    await waitForBackupSync(rk, { namespace: ns, name: backupName, timeoutMs: 300_000, clock, signal });
  }
  for (const [i, p] of restorePhases(s).entries()) {
    const name = `${s.metadata.name}-${state.runId}-${i + 1}`;
    if (state.restores.some((r) => r.name === name)) continue;
    if (!state.restoresCreated.some((r) => r.name === name)) {
      journal.append('restore-creating', { phase: i + 1, name }, clock.now());
      state.restoresCreated.push({ phase: i + 1, name });
    }
    await createRestore(ctx, { kube: rk, index: i, phase: p, name });
    reporter.info(
      `  restore ${name}${p.include ? ` (include ${p.include.join(', ')})` : ''}${p.exclude ? ` (exclude ${p.exclude.join(', ')})` : ''}`,
    );
    const done = await waitForVelero(rk, {
      kind: 'Restore',
      namespace: ns,
      name,
      terminal: RESTORE_TERMINAL,
      timeoutMs: s.spec.recovery.timeout * 1000,
      clock,
      signal,
    });
    const record = await recordOf(ctx, { kube: rk, phase: p, done });
    state.restores.push(record);
    journal.append('restore-ended', { record }, clock.now());
    const more = record.failedItems.length > 3 ? ` and ${record.failedItems.length - 3} more` : '';
    reporter.info(
      `  ${name}: ${record.phase}${
        record.failedItems.length
          ? `, ${record.failedItems.length} item(s) failed: ${record.failedItems
              .slice(0, 3)
              .map((f) => `${f.resource}/${f.name}`)
              .join(', ')}${more}`
          : ''
      }${record.warnings ? `, ${record.warnings} warning(s)` : ''}${record.results === 'unreadable' ? '; its results could not be read' : ''}`,
    );
    if (record.phase === 'Failed' || record.phase === 'FailedValidation') break;
  }
  const bad = state.restores.filter((r) => r.phase !== 'Completed' || r.results === 'unreadable');
  return { ok: bad.length === 0, detail: state.restores.map((r) => `${r.name} ${r.phase}`).join(', ') || 'no restore' };
}

/**
 * Recover: by default, one Velero Restore per phase (NetworkPolicies first), each waited on by watch
 * until terminal, with its failed items and warnings read back; in a recovery cluster, after the
 * backup synced there. A guided session or a command recovers instead when the scenario says so.
 * The phase fails unless every Restore Completed with results kdrill could read.
 */
export async function recover(ctx: DrillContext): Promise<PhaseOutcome> {
  const { deps, s, state } = ctx;
  let outcome: PhaseOutcome;
  if (deps.recoverWith) {
    const r = await deps.recoverWith();
    if (!r.ok) state.notes.push(`the runbook stopped: ${r.detail}`);
    outcome = { ok: r.ok, detail: r.detail };
  } else if (s.spec.recovery.mode === 'command') {
    const r = await deps.exec.run(s.spec.recovery.command ?? [], {
      timeoutMs: s.spec.recovery.timeout * 1000,
      signal: deps.signal,
    });
    if (r.exitCode !== 0)
      state.notes.push(`the recovery command exited ${r.exitCode}: ${r.stderr.trim().slice(0, 200)}`);
    outcome = { ok: r.exitCode === 0, detail: `${(s.spec.recovery.command ?? []).join(' ')} exited ${r.exitCode}` };
  } else if (s.spec.recovery.mode === 'runbook') {
    throw new DrillError(
      'RUNBOOK_MODE',
      'recovery mode "runbook" is run by `kdrill guide`, not `kdrill run`',
      ExitCode.Usage,
      { hint: `kdrill guide ${s.spec.recovery.runbook ?? 'runbooks/<file>.md'} --scenario <this file>` },
    );
  } else outcome = await velero(ctx);
  state.recoverDone = true;
  deps.journal.append('recover-done', { ok: outcome.ok }, deps.clock.now());
  return outcome;
}
