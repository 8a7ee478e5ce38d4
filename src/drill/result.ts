import { ExitCode } from '../errors.js';
import { secondsBetween as between } from '../time/k8s-time.js';
import { formatDuration } from '../scenario/duration.js';
import type { Scenario } from '../scenario/schema.js';
import type { RunState } from './state.js';
import { actionItems, drillFindings } from './findings.js';
import { stillMissing } from './missing.js';
import type { DrillResult, Objective, RetentionObjective } from './types.js';

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

/**
 * Turns what happened into the evidence: RTO = verify passed − inject start, RPO = inject start −
 * backup start, the retention window, every finding (with the guide's P1–P3) and the action items,
 * the verdict and the exit code. A PASS needs every check passed, every objective met, and no P1 or
 * P2 finding: each of those names something that was tested and did not hold.
 */
export function buildResult(
  s: Scenario,
  st: RunState,
  o: {
    context: string;
    recoveryContext: string;
    endedAt: Date;
    revertFailures: string[];
    interrupted?: boolean;
    error?: string;
  },
): DrillResult {
  const obj = s.spec.objectives;
  const injectAt = st.injectStartedAt;
  const backup = st.preflight?.backup;
  const rtoMeasured = injectAt && st.verify?.passedAt ? secondsBetween(injectAt, st.verify.passedAt) : null;
  const down = injectAt && st.verify?.passedAt ? downtimeWithin(st, injectAt, st.verify.passedAt) : 0;
  const rto: Objective = {
    objectiveSeconds: obj.rto,
    measuredSeconds: rtoMeasured,
    met: rtoMeasured !== null && rtoMeasured <= obj.rto,
    detail:
      rtoMeasured === null
        ? 'not measured: recovery was not verified'
        : `${formatDuration(rtoMeasured)} against ${formatDuration(obj.rto)}${down ? ` (of which kdrill was not running for ${formatDuration(down)})` : ''}`,
    ...(down ? { kdrillDowntimeSeconds: down } : {}),
  };
  const rpoMeasured = injectAt && backup?.startTimestamp ? secondsBetween(backup.startTimestamp, injectAt) : null;
  const rpo: Objective = {
    objectiveSeconds: obj.rpo,
    measuredSeconds: rpoMeasured,
    met: rpoMeasured !== null && rpoMeasured <= obj.rpo,
    detail:
      rpoMeasured === null
        ? 'not measured'
        : `${formatDuration(rpoMeasured)} of data at risk against ${formatDuration(obj.rpo)}`,
  };
  const retention = retentionObjective(s, st, o.endedAt);
  const findings = drillFindings(st, { rto, rpo, retention }, o);
  const verifyOk = !!st.verify && st.verify.records.length > 0 && st.verify.records.every((r) => r.passed);
  const serious = findings.some((f) => f.severity !== 'P3');
  const pass = !o.interrupted && !o.error && verifyOk && rto.met && rpo.met && retention.met && !serious;
  // a disaster that was injected and not verified as recovered leaves the cluster degraded: exit 5, resumable
  const unrecovered = !!st.injectStartedAt && !st.verify;
  const exitCode = o.interrupted
    ? ExitCode.Interrupted
    : o.revertFailures.length || unrecovered
      ? ExitCode.CleanupIncomplete
      : pass
        ? ExitCode.Ok
        : ExitCode.ObjectivesBreached;
  const contents = st.preflight?.contents;
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
    backup:
      backup && backup.startTimestamp
        ? {
            name: backup.name,
            phase: backup.phase,
            startTimestamp: backup.startTimestamp,
            completionTimestamp: backup.completionTimestamp,
            expiration: backup.expiration,
          }
        : undefined,
    objectives: { rto, rpo, retention },
    timeline: st.timeline,
    restores: st.restores,
    verify: st.verify?.records ?? [],
    disaster: st.injected.map((i) => ({ type: i.type, detail: i.detail, at: i.at })),
    findings,
    actionItems: actionItems(findings),
    backupScope: contents
      ? {
          backup: contents.backup,
          source: contents.source,
          namespaces: contents.namespaces.filter((n) => s.spec.target.namespaces.includes(n)),
          items: contents.items.length,
          gap: st.baseline?.scopeGap ?? [],
        }
      : undefined,
    interruptions: st.interruptions,
    protection: st.preflight?.protection,
    drill: { ...s.spec.drill },
    notes: st.notes,
    ...(st.detection ? { detection: { ...st.detection, heartbeat: st.preflight?.heartbeat } } : {}),
    ...(st.availability?.length ? { availability: st.availability } : {}),
    runbook: st.runbook,
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
