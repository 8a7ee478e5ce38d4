import { ExitCode } from '../errors.js';
import { secondsBetween as between } from '../time/k8s-time.js';
import { formatDuration } from '../scenario/duration.js';
import type { Scenario } from '../scenario/schema.js';
import type { RunState } from './state.js';
import { actionItems, drillFindings, type Objectives } from './findings.js';
import { stillMissing } from './missing.js';
import { restoreTestFindings, sandboxEvidence, sandboxLeftBehind } from '../restore-test/evidence.js';
import type { DrillResult, Finding, Objective, RetentionObjective } from './types.js';

// to the millisecond: RTO and RPO are compared exactly
const secondsBetween = (a: string | Date, b: string | Date): number => Math.round(between(a, b) * 1000) / 1000;

/** Of the measured RTO, the seconds kdrill itself was not running (it was killed, then resumed). */
function downtimeWithin(st: RunState, from: string, to: string): number {
  const a = Date.parse(from);
  const b = Date.parse(to);
  const s = st.interruptions.reduce(
    (n, i) => n + Math.max(0, Math.min(b, Date.parse(i.resumedAt)) - Math.max(a, Date.parse(i.killedAt))),
    0,
  );
  return Math.round(s) / 1000;
}

/** How a run ended, beyond its state: where it ran, when it ended, and what stopped it or could not be undone. */
export interface RunEnd {
  context: string;
  recoveryContext: string;
  endedAt: Date;
  revertFailures: string[];
  interrupted?: boolean;
  error?: string;
}

/** When the clock of RTO and RPO starts: the disaster; a restore test has none, so its first Restore. */
const startOf = (st: RunState): string | undefined => st.injectStartedAt ?? st.restoreTest?.restoreStartedAt;

/** RTO = verify passed − inject start; of it, how long kdrill itself was not running. */
function rtoObjective(s: Scenario, st: RunState): Objective {
  const objective = s.spec.objectives.rto;
  const injectAt = startOf(st);
  const passedAt = st.verify?.passedAt;
  const measured = injectAt && passedAt ? secondsBetween(injectAt, passedAt) : null;
  const down = injectAt && passedAt ? downtimeWithin(st, injectAt, passedAt) : 0;
  return {
    objectiveSeconds: objective,
    measuredSeconds: measured,
    met: measured !== null && measured <= objective,
    detail:
      measured === null
        ? 'not measured: recovery was not verified'
        : `${formatDuration(measured)} against ${formatDuration(objective)}${down ? ` (of which kdrill was not running for ${formatDuration(down)})` : ''}`,
    ...(down ? { kdrillDowntimeSeconds: down } : {}),
  };
}

/** RPO = inject start − backup start; a restore test of an older backup (a random pick) is judged on the newest. */
function rpoObjective(s: Scenario, st: RunState): Objective {
  const objective = s.spec.objectives.rpo;
  const injectAt = startOf(st);
  const backupAt = st.restoreTest?.plan?.rpoBackup?.startTimestamp ?? st.preflight?.backup.startTimestamp;
  const measured = injectAt && backupAt ? secondsBetween(backupAt, injectAt) : null;
  return {
    objectiveSeconds: objective,
    measuredSeconds: measured,
    met: measured !== null && measured <= objective,
    detail:
      measured === null
        ? 'not measured'
        : `${formatDuration(measured)} of data at risk against ${formatDuration(objective)}`,
  };
}

/**
 * A PASS needs every check passed, every objective met, and no P1 or P2 finding. A disaster that was
 * injected and not verified as recovered leaves the cluster degraded: exit 5, resumable.
 */
function verdictOf(
  st: RunState,
  o: RunEnd,
  judged: { objectives: Objectives; findings: Finding[] },
): { pass: boolean; exitCode: ExitCode } {
  const { rto, rpo, retention } = judged.objectives;
  const verifyOk = !!st.verify && st.verify.records.length > 0 && st.verify.records.every((r) => r.passed);
  const serious = judged.findings.some((f) => f.severity !== 'P3');
  const pass = !o.interrupted && !o.error && verifyOk && rto.met && rpo.met && retention.met && !serious;
  const unrecovered = !!st.injectStartedAt && !st.verify;
  const exitCode = o.interrupted
    ? ExitCode.Interrupted
    : st.restoreTest?.precondition
      ? ExitCode.Precondition
      : o.revertFailures.length || unrecovered || sandboxLeftBehind(st)
        ? ExitCode.CleanupIncomplete
        : pass
          ? ExitCode.Ok
          : ExitCode.ObjectivesBreached;
  return { pass, exitCode };
}

function backupOf(st: RunState): DrillResult['backup'] {
  const b = st.preflight?.backup;
  if (!b?.startTimestamp) return undefined;
  return {
    name: b.name,
    phase: b.phase,
    startTimestamp: b.startTimestamp,
    completionTimestamp: b.completionTimestamp,
    expiration: b.expiration,
  };
}

function backupScopeOf(s: Scenario, st: RunState): DrillResult['backupScope'] {
  const contents = st.preflight?.contents;
  if (!contents) return undefined;
  return {
    backup: contents.backup,
    source: contents.source,
    namespaces: contents.namespaces.filter((n) => s.spec.target.namespaces.includes(n)),
    items: contents.items.length,
    gap: st.baseline?.scopeGap ?? [],
  };
}

/**
 * Turns what happened into the evidence: RTO = verify passed − inject start, RPO = inject start −
 * backup start, the retention window, every finding (with the guide's P1–P3) and the action items,
 * the verdict and the exit code. A PASS needs every check passed, every objective met, and no P1 or
 * P2 finding: each of those names something that was tested and did not hold.
 */
export function buildResult(s: Scenario, st: RunState, o: RunEnd): DrillResult {
  const objectives = {
    rto: rtoObjective(s, st),
    rpo: rpoObjective(s, st),
    retention: retentionObjective(s, st, o.endedAt),
  };
  const findings = [...drillFindings(st, objectives, o), ...restoreTestFindings(st)];
  const { pass, exitCode } = verdictOf(st, o, { objectives, findings });
  return {
    runId: st.runId,
    scenario: s.metadata.name,
    mode: st.mode,
    description: s.metadata.description,
    context: o.context,
    recoveryContext: o.recoveryContext,
    verdict: pass ? 'pass' : 'fail',
    exitCode,
    startedAt: st.startedAt,
    endedAt: o.endedAt.toISOString(),
    backup: backupOf(st),
    objectives,
    timeline: st.timeline,
    restores: st.restores,
    verify: st.verify?.records ?? [],
    disaster: st.injected.map((i) => ({ type: i.type, detail: i.detail, at: i.at })),
    findings,
    actionItems: actionItems(findings),
    backupScope: backupScopeOf(s, st),
    interruptions: st.interruptions,
    protection: st.preflight?.protection,
    drill: { ...s.spec.drill },
    notes: st.notes,
    ...(st.detection ? { detection: { ...st.detection, heartbeat: st.preflight?.heartbeat } } : {}),
    ...(st.availability?.length ? { availability: st.availability } : {}),
    runbook: st.runbook,
    ...(st.restoreTest ? { sandbox: sandboxEvidence(st) } : {}),
    ...(exitCode === ExitCode.CleanupIncomplete ? { stillMissing: stillMissing(st, o) } : {}),
  };
}

function retentionObjective(s: Scenario, st: RunState, now: Date): RetentionObjective {
  const objective = s.spec.objectives.retention;
  const all = st.preflight?.allBackups ?? [];
  const newest = st.preflight?.backup;
  const ttl =
    newest?.expiration && newest.startTimestamp ? secondsBetween(newest.startTimestamp, newest.expiration) : null;
  const ages = all.map((b) => secondsBetween(b.startTimestamp, now)).filter((x) => Number.isFinite(x));
  const oldest = ages.length ? Math.max(...ages) : null;
  const newestAge = ages.length ? Math.min(...ages) : null;
  const problems: string[] = [];
  // the window is covered when backups live at least as long as the retention objective
  if (ttl !== null && ttl < objective)
    problems.push(
      `backups expire after ${formatDuration(ttl)}, before the ${formatDuration(objective)} retention window`,
    );
  // "remember to forget": nothing older than the window (a day of grace for the nightly run)
  if (oldest !== null && oldest > objective + 86400)
    problems.push(
      `the oldest backup is ${formatDuration(oldest)} old, kept longer than the ${formatDuration(objective)} retention (GDPR: remember to forget)`,
    );
  return {
    objectiveSeconds: objective,
    backupTtlSeconds: ttl,
    oldestBackupAgeSeconds: oldest,
    newestBackupAgeSeconds: newestAge,
    met: problems.length === 0,
    detail: problems.length
      ? problems.join('; ')
      : `TTL ${ttl === null ? 'unknown' : formatDuration(ttl)} covers ${formatDuration(objective)}; oldest backup ${oldest === null ? 'n/a' : formatDuration(oldest)} old`,
  };
}
