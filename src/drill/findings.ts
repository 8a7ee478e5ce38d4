import { formatDuration } from '../scenario/duration.js';
import { detectionFindings } from '../detect/result.js';
import type { RunState } from './state.js';
import type { ActionItem, FailedItem, Finding, Objective, RestoreRecord, RetentionObjective } from './types.js';

const LISTED = 10;
/** The first few, then how many more: a finding names what it is about without burying the reader. */
export function listed(xs: string[], n = LISTED): string {
  return `${xs.slice(0, n).join(', ')}${xs.length > n ? `, and ${xs.length - n} more` : ''}`;
}

const itemName = (i: FailedItem): string => `${i.resource}/${i.namespace ? `${i.namespace}/` : ''}${i.name}`;
const refusedForPolicy = (i: FailedItem): boolean =>
  (i.reasons ?? [i.message]).some((m) => /NetworkPolicy|require-networkpolicy/i.test(m));

/** The guide's lesson: Velero restores NetworkPolicies after Deployments, and a hardened cluster refuses the pods. */
function policyRefusals(restores: RestoreRecord[]): Finding[] {
  const refused = [...new Set(restores.flatMap((r) => r.failedItems.filter(refusedForPolicy).map(itemName)))];
  if (!refused.length) return [];
  return [
    {
      severity: 'P2',
      code: 'RESTORE_ORDER_NETWORKPOLICY',
      key: restores
        .filter((r) => r.failedItems.some(refusedForPolicy))
        .map((r) => r.name)
        .join(', '),
      message: `${refused.length} workload(s) were refused because no NetworkPolicy existed yet: ${listed(refused)}. Velero restores NetworkPolicies after Deployments, and this cluster refuses pods that no NetworkPolicy selects`,
      fix: 'restore NetworkPolicies first, as a separate Restore (recovery.phases), then everything else',
    },
  ];
}

/** A Restore that did not complete: failed outright, or partly (unless only for want of a NetworkPolicy, said above). */
function outcomeFinding(r: RestoreRecord): Finding | undefined {
  if (r.phase === 'Failed' || r.phase === 'FailedValidation')
    return {
      severity: 'P2',
      code: 'RESTORE_FAILED',
      key: r.name,
      message: `Restore ${r.name} ended ${r.phase}${r.failureReason ? `: ${r.failureReason}` : ''}`,
      fix: `velero restore describe ${r.name} --details`,
    };
  const onlyPolicy = r.failedItems.length && r.failedItems.every(refusedForPolicy) && !r.otherErrors?.length;
  if (r.phase === 'Completed' || onlyPolicy) return undefined;
  const what = [
    ...r.failedItems.map((i) => `${itemName(i)}: ${(i.reasons ?? [i.message])[0]}`),
    ...(r.otherErrors ?? []),
  ];
  return {
    severity: 'P2',
    code: 'RESTORE_PARTIAL',
    key: r.name,
    message: `Restore ${r.name} ended ${r.phase} with ${r.errors} error(s)${what.length ? `: ${listed(what, 3)}` : ''}`,
    fix: `velero restore describe ${r.name} --details; fix what refused each item, then drill again`,
  };
}

/** What one Restore says of itself: its outcome, results that could not be read, warnings. */
function restoreRecordFindings(r: RestoreRecord): Finding[] {
  const out: Finding[] = [];
  const outcome = outcomeFinding(r);
  if (outcome) out.push(outcome);
  if (r.results === 'unreadable')
    out.push({
      severity: 'P2',
      code: 'RESTORE_RESULTS_UNREADABLE',
      key: r.name,
      message: `Restore ${r.name} ended ${r.phase}${r.warnings ? ` with ${r.warnings} warning(s)` : ''}, and its results could not be read (${r.resultsError ?? 'no reason given'}): what failed is unknown, so the drill cannot pass`,
      fix: `give kdrill read access to the bucket, or check that Velero answers DownloadRequests (velero restore describe ${r.name})`,
    });
  if (r.warnings > 0)
    out.push({
      severity: 'P3',
      code: 'RESTORE_WARNINGS',
      key: r.name,
      message: `Restore ${r.name} has ${r.warnings} warning(s)${r.warningMessages?.length ? `: ${listed(r.warningMessages, 3)}` : ''}`,
      fix: `read them: velero restore describe ${r.name} --details`,
    });
  return out;
}

/** What the restores say: every Restore that did not complete, refusals for want of a NetworkPolicy, unreadable results, warnings. */
function restoreFindings(restores: RestoreRecord[]): Finding[] {
  return [...policyRefusals(restores), ...restores.flatMap(restoreRecordFindings)];
}

export interface Objectives {
  rto: Objective;
  rpo: Objective;
  retention: RetentionObjective;
}

function scopeGapFindings(st: RunState): Finding[] {
  const gap = st.baseline?.scopeGap ?? [];
  if (!gap.length) return [];
  const b = st.preflight?.backup.name ?? 'the backup';
  return [
    {
      severity: 'P2',
      code: 'BACKUP_SCOPE_GAP',
      key: b,
      message: `${gap.length} object(s) live before the disaster are not in backup ${b}, so no restore can bring them back: ${listed(gap)}`,
      fix: "include them in the backup (the Schedule's namespace and resource filters, a velero.io/exclude-from-backup label), or make sure a backup runs after they are created; then check the application team knows the backup scope",
    },
  ];
}

const retentionFindings = (o: Objectives): Finding[] =>
  o.retention.met
    ? []
    : [
        {
          severity: 'P2',
          code: 'RETENTION',
          message: o.retention.detail,
          fix: 'align the backup TTL with the retention objective, and let old backups expire',
        },
      ];

const verifyFindings = (st: RunState): Finding[] =>
  (st.verify?.records ?? [])
    .filter((v) => !v.passed)
    .map((v) => ({
      severity: 'P2',
      code: `VERIFY_${v.type.toUpperCase().replace(/-/g, '_')}`,
      message: `${v.type} failed: ${v.detail}`,
      fix: 'see the retrospective; fix the restore or the runbook, then drill again',
    }));

function objectiveFindings(st: RunState, o: Objectives): Finding[] {
  const out: Finding[] = [];
  if (o.rto.measuredSeconds !== null && !o.rto.met)
    out.push({
      severity: 'P2',
      code: 'RTO_BREACHED',
      message: `recovery took ${o.rto.detail}`,
      fix: 'find the slowest phase in the timeline; restore less at once, pre-pull images, or agree on a realistic RTO',
    });
  if (o.rpo.measuredSeconds !== null && !o.rpo.met)
    out.push({
      severity: 'P2',
      code: 'RPO_BREACHED',
      key: st.preflight?.backup.name,
      message: `the backup used was ${o.rpo.detail}`,
      fix: 'back up more often (the Schedule), or agree on a realistic RPO',
    });
  return out;
}

const revertFindings = (revertFailures: string[]): Finding[] =>
  revertFailures.map((f) => ({
    severity: 'P1',
    code: 'REVERT_FAILED',
    message: `a revert failed, the cluster may still be degraded: ${f}`,
    fix: 'undo it by hand now (see the journal), then rerun the revert',
  }));

function runbookFindings(st: RunState): Finding[] {
  const out: Finding[] = [];
  for (const step of st.runbook?.steps ?? []) {
    const at = `${st.runbook!.file}#${step.anchor}`;
    if (step.status === 'failed')
      out.push({
        severity: 'P2',
        code: 'RUNBOOK_STEP_FAILED',
        key: at,
        message: `runbook step "${step.title}" failed: ${step.reason ?? ''}`,
        fix: `runbook out of date? fix ${at} and drill it again`,
      });
    if (step.status === 'skipped')
      out.push({
        severity: 'P3',
        code: 'RUNBOOK_STEP_SKIPPED',
        key: at,
        message: `runbook step "${step.title}" was skipped: ${step.reason ?? ''}`,
        fix: `runbook out of date? check ${at}`,
      });
  }
  return out;
}

const errorFindings = (error: string | undefined): Finding[] =>
  error ? [{ severity: 'P2', code: 'DRILL_ERROR', message: error, fix: 'see journal.jsonl for the last step' }] : [];

function interruptionFindings(st: RunState): Finding[] {
  if (!st.interruptions.length) return [];
  const down = st.interruptions.reduce((n, i) => n + i.downSeconds, 0);
  return [
    {
      severity: 'P3',
      code: 'RUN_INTERRUPTED',
      message: `kdrill was stopped ${st.interruptions.length} time(s) and resumed; it was not running for ${formatDuration(down)} in all (${st.interruptions.map((i) => `${i.phase ?? 'between phases'}: ${formatDuration(i.downSeconds)}`).join(', ')})`,
      fix: 'nothing to fix in the cluster; run drills where kdrill is not killed, or count that time out of the RTO',
    },
  ];
}

/** Every finding of the run: preflight's, the backup scope, the restores, the checks, the objectives, the reverts, the runbook. */
export function drillFindings(
  st: RunState,
  o: Objectives,
  extra: { revertFailures: string[]; error?: string },
): Finding[] {
  return [
    ...(st.preflight?.findings ?? []),
    ...scopeGapFindings(st),
    ...retentionFindings(o),
    ...restoreFindings(st.restores),
    ...detectionFindings(st.detection),
    ...verifyFindings(st),
    ...objectiveFindings(st, o),
    ...revertFindings(extra.revertFailures),
    ...runbookFindings(st),
    ...errorFindings(extra.error),
    ...interruptionFindings(st),
  ];
}

/** The action items: one per finding that asks for something, each naming the object and the fix. */
export function actionItems(findings: Finding[]): ActionItem[] {
  const seen = new Set<string>();
  const out: ActionItem[] = [];
  for (const f of findings) {
    // P3 is information (Velero's caveats), except a skipped runbook step: the runbook may be out of date
    if (f.severity === 'P3' && !f.code.startsWith('RUNBOOK_STEP')) continue;
    const id = `${f.code}\0${f.key ?? ''}\0${f.fix}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ severity: f.severity, code: f.code, ...(f.key ? { object: f.key } : {}), action: f.fix });
  }
  return out;
}
