import { ExitCode } from '../errors.js';
import { secondsBetween as between } from '../time/k8s-time.js';
import { formatDuration } from '../scenario/duration.js';
import type { Scenario } from '../scenario/schema.js';
import type { RunState } from './state.js';
import type { DrillResult, Finding, Objective, RetentionObjective } from './types.js';

// to the millisecond: RTO and RPO are compared exactly
const secondsBetween = (a: string | Date, b: string | Date): number => Math.round(between(a, b) * 1000) / 1000;

/**
 * Turns what happened into the evidence: RTO = verify passed − inject start, RPO = inject start −
 * backup start, the retention window, findings (with the guide's P1–P3), the verdict and exit code.
 */
export function buildResult(s: Scenario, st: RunState, o: { context: string; recoveryContext: string; endedAt: Date; revertFailures: string[]; interrupted?: boolean; error?: string }): DrillResult {
  const obj = s.spec.objectives;
  const injectAt = st.injectStartedAt;
  const backup = st.preflight?.backup;
  const rtoMeasured = injectAt && st.verify?.passedAt ? secondsBetween(injectAt, st.verify.passedAt) : null;
  const rto: Objective = {
    objectiveSeconds: obj.rto,
    measuredSeconds: rtoMeasured,
    met: rtoMeasured !== null && rtoMeasured <= obj.rto,
    detail: rtoMeasured === null ? 'not measured: recovery was not verified' : `${formatDuration(rtoMeasured)} against ${formatDuration(obj.rto)}`,
  };
  const rpoMeasured = injectAt && backup?.startTimestamp ? secondsBetween(backup.startTimestamp, injectAt) : null;
  const rpo: Objective = {
    objectiveSeconds: obj.rpo,
    measuredSeconds: rpoMeasured,
    met: rpoMeasured !== null && rpoMeasured <= obj.rpo,
    detail: rpoMeasured === null ? 'not measured' : `${formatDuration(rpoMeasured)} of data at risk against ${formatDuration(obj.rpo)}`,
  };
  const retention = retentionObjective(s, st, o.endedAt);
  const findings: Finding[] = [...(st.preflight?.findings ?? [])];
  if (!retention.met) findings.push({ severity: 'P2', code: 'RETENTION', message: retention.detail, fix: 'align the backup TTL with the retention objective, and let old backups expire' });
  // the guide's lesson: Velero restores NetworkPolicies after Deployments
  const refused = st.restores.flatMap((r) => r.failedItems).filter((i) => /NetworkPolicy|require-networkpolicy/i.test(i.message));
  if (refused.length) {
    findings.push({
      severity: 'P2',
      code: 'RESTORE_ORDER_NETWORKPOLICY',
      message: `${refused.length} workload(s) were refused because no NetworkPolicy existed yet: ${refused.slice(0, 5).map((i) => `${i.resource}/${i.name}`).join(', ')}. Velero restores NetworkPolicies after Deployments, and this cluster refuses pods that no NetworkPolicy selects`,
      fix: 'restore NetworkPolicies first, as a separate Restore (recovery.phases), then everything else',
    });
  }
  for (const r of st.restores) {
    if (r.phase === 'Failed' || r.phase === 'FailedValidation') findings.push({ severity: 'P2', code: 'RESTORE_FAILED', message: `Restore ${r.name} ended ${r.phase}${r.failureReason ? `: ${r.failureReason}` : ''}`, fix: `velero restore describe ${r.name} --details` });
    else if (r.phase === 'PartiallyFailed' && !r.failedItems.every((i) => refused.includes(i))) {
      findings.push({ severity: 'P2', code: 'RESTORE_PARTIAL', message: `Restore ${r.name} ended PartiallyFailed with ${r.errors} error(s): ${r.failedItems.slice(0, 3).map((i) => i.message).join('; ')}`, fix: `velero restore describe ${r.name} --details` });
    }
  }
  for (const v of st.verify?.records ?? []) if (!v.passed) findings.push({ severity: 'P2', code: `VERIFY_${v.type.toUpperCase().replace(/-/g, '_')}`, message: `${v.type} failed: ${v.detail}`, fix: 'see the retrospective; fix the restore or the runbook, then drill again' });
  for (const f of o.revertFailures) findings.push({ severity: 'P1', code: 'REVERT_FAILED', message: `a revert failed, the cluster may still be degraded: ${f}`, fix: 'undo it by hand now (see the journal), then rerun the revert' });
  for (const step of st.runbook?.steps ?? []) {
    if (step.status === 'failed') findings.push({ severity: 'P2', code: 'RUNBOOK_STEP_FAILED', key: `${st.runbook!.file}#${step.anchor}`, message: `runbook step "${step.title}" failed: ${step.reason ?? ''}`, fix: `runbook out of date? fix ${st.runbook!.file}#${step.anchor} and drill it again` });
    if (step.status === 'skipped') findings.push({ severity: 'P3', code: 'RUNBOOK_STEP_SKIPPED', key: `${st.runbook!.file}#${step.anchor}`, message: `runbook step "${step.title}" was skipped: ${step.reason ?? ''}`, fix: `runbook out of date? check ${st.runbook!.file}#${step.anchor}` });
  }
  if (o.error) findings.push({ severity: 'P2', code: 'DRILL_ERROR', message: o.error, fix: 'see journal.jsonl for the last step' });

  const verifyOk = !!st.verify && st.verify.records.every((r) => r.passed);
  // protection the scenario requires is an objective too: a P1 there fails the drill
  const protectionOk = !(s.spec.protection.objectLock.required && findings.some((f) => f.severity === 'P1'));
  const pass = !o.interrupted && !o.error && verifyOk && rto.met && rpo.met && retention.met && protectionOk;
  const exitCode = o.interrupted ? ExitCode.Interrupted : o.revertFailures.length ? ExitCode.CleanupIncomplete : pass ? ExitCode.Ok : ExitCode.ObjectivesBreached;
  return {
    runId: st.runId,
    scenario: s.metadata.name,
    description: s.metadata.description,
    context: o.context,
    recoveryContext: o.recoveryContext,
    verdict: pass ? 'pass' : 'fail',
    exitCode,
    startedAt: st.startedAt,
    endedAt: o.endedAt.toISOString(),
    backup: backup && backup.startTimestamp ? { name: backup.name, phase: backup.phase, startTimestamp: backup.startTimestamp, completionTimestamp: backup.completionTimestamp, expiration: backup.expiration } : undefined,
    objectives: { rto, rpo, retention },
    timeline: st.timeline,
    restores: st.restores,
    verify: st.verify?.records ?? [],
    disaster: st.injected.map((i) => ({ type: i.type, detail: i.detail, at: i.at })),
    findings,
    protection: st.preflight?.protection,
    drill: { ...s.spec.drill },
    notes: st.notes,
    runbook: st.runbook,
  };
}

function retentionObjective(s: Scenario, st: RunState, now: Date): RetentionObjective {
  const objective = s.spec.objectives.retention;
  const all = st.preflight?.allBackups ?? [];
  const newest = st.preflight?.backup;
  const ttl = newest?.expiration && newest.startTimestamp ? secondsBetween(newest.startTimestamp, newest.expiration) : null;
  const ages = all.map((b) => secondsBetween(b.startTimestamp, now)).filter((x) => Number.isFinite(x));
  const oldest = ages.length ? Math.max(...ages) : null;
  const newestAge = ages.length ? Math.min(...ages) : null;
  const problems: string[] = [];
  // the window is covered when backups live at least as long as the retention objective
  if (ttl !== null && ttl < objective) problems.push(`backups expire after ${formatDuration(ttl)}, before the ${formatDuration(objective)} retention window`);
  // "remember to forget": nothing older than the window (a day of grace for the nightly run)
  if (oldest !== null && oldest > objective + 86400) problems.push(`the oldest backup is ${formatDuration(oldest)} old, kept longer than the ${formatDuration(objective)} retention (GDPR: remember to forget)`);
  return {
    objectiveSeconds: objective,
    backupTtlSeconds: ttl,
    oldestBackupAgeSeconds: oldest,
    newestBackupAgeSeconds: newestAge,
    met: problems.length === 0,
    detail: problems.length ? problems.join('; ') : `TTL ${ttl === null ? 'unknown' : formatDuration(ttl)} covers ${formatDuration(objective)}; oldest backup ${oldest === null ? 'n/a' : formatDuration(oldest)} old`,
  };
}
