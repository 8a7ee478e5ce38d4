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

/** What the restores say: every Restore that did not complete, refusals for want of a NetworkPolicy, unreadable results, warnings. */
function restoreFindings(restores: RestoreRecord[]): Finding[] {
  const out: Finding[] = [];
  // the guide's lesson: Velero restores NetworkPolicies after Deployments
  const refused = [...new Set(restores.flatMap((r) => r.failedItems.filter(refusedForPolicy).map(itemName)))];
  if (refused.length) {
    out.push({
      severity: 'P2',
      code: 'RESTORE_ORDER_NETWORKPOLICY',
      key: restores
        .filter((r) => r.failedItems.some(refusedForPolicy))
        .map((r) => r.name)
        .join(', '),
      message: `${refused.length} workload(s) were refused because no NetworkPolicy existed yet: ${listed(refused)}. Velero restores NetworkPolicies after Deployments, and this cluster refuses pods that no NetworkPolicy selects`,
      fix: 'restore NetworkPolicies first, as a separate Restore (recovery.phases), then everything else',
    });
  }
  for (const r of restores) {
    if (r.phase === 'Failed' || r.phase === 'FailedValidation') {
      out.push({
        severity: 'P2',
        code: 'RESTORE_FAILED',
        key: r.name,
        message: `Restore ${r.name} ended ${r.phase}${r.failureReason ? `: ${r.failureReason}` : ''}`,
        fix: `velero restore describe ${r.name} --details`,
      });
    } else if (
      r.phase !== 'Completed' &&
      !(r.failedItems.length && r.failedItems.every(refusedForPolicy) && !r.otherErrors?.length)
    ) {
      const what = [
        ...r.failedItems.map((i) => `${itemName(i)}: ${(i.reasons ?? [i.message])[0]}`),
        ...(r.otherErrors ?? []),
      ];
      out.push({
        severity: 'P2',
        code: 'RESTORE_PARTIAL',
        key: r.name,
        message: `Restore ${r.name} ended ${r.phase} with ${r.errors} error(s)${what.length ? `: ${listed(what, 3)}` : ''}`,
        fix: `velero restore describe ${r.name} --details; fix what refused each item, then drill again`,
      });
    }
    if (r.results === 'unreadable') {
      out.push({
        severity: 'P2',
        code: 'RESTORE_RESULTS_UNREADABLE',
        key: r.name,
        message: `Restore ${r.name} ended ${r.phase}${r.warnings ? ` with ${r.warnings} warning(s)` : ''}, and its results could not be read (${r.resultsError ?? 'no reason given'}): what failed is unknown, so the drill cannot pass`,
        fix: `give kdrill read access to the bucket, or check that Velero answers DownloadRequests (velero restore describe ${r.name})`,
      });
    }
    if (r.warnings > 0) {
      out.push({
        severity: 'P3',
        code: 'RESTORE_WARNINGS',
        key: r.name,
        message: `Restore ${r.name} has ${r.warnings} warning(s)${r.warningMessages?.length ? `: ${listed(r.warningMessages, 3)}` : ''}`,
        fix: `read them: velero restore describe ${r.name} --details`,
      });
    }
  }
  return out;
}

export interface Objectives {
  rto: Objective;
  rpo: Objective;
  retention: RetentionObjective;
}

/** Every finding of the run: preflight's, the backup scope, the restores, the checks, the objectives, the reverts, the runbook. */
export function drillFindings(
  st: RunState,
  o: Objectives,
  extra: { revertFailures: string[]; error?: string },
): Finding[] {
  const findings: Finding[] = [...(st.preflight?.findings ?? [])];
  const gap = st.baseline?.scopeGap ?? [];
  if (gap.length) {
    const b = st.preflight?.backup.name ?? 'the backup';
    findings.push({
      severity: 'P2',
      code: 'BACKUP_SCOPE_GAP',
      key: b,
      message: `${gap.length} object(s) live before the disaster are not in backup ${b}, so no restore can bring them back: ${listed(gap)}`,
      fix: "include them in the backup (the Schedule's namespace and resource filters, a velero.io/exclude-from-backup label), or make sure a backup runs after they are created; then check the application team knows the backup scope",
    });
  }
  if (!o.retention.met)
    findings.push({
      severity: 'P2',
      code: 'RETENTION',
      message: o.retention.detail,
      fix: 'align the backup TTL with the retention objective, and let old backups expire',
    });
  findings.push(...restoreFindings(st.restores));
  findings.push(...detectionFindings(st.detection));
  for (const v of st.verify?.records ?? [])
    if (!v.passed)
      findings.push({
        severity: 'P2',
        code: `VERIFY_${v.type.toUpperCase().replace(/-/g, '_')}`,
        message: `${v.type} failed: ${v.detail}`,
        fix: 'see the retrospective; fix the restore or the runbook, then drill again',
      });
  if (o.rto.measuredSeconds !== null && !o.rto.met)
    findings.push({
      severity: 'P2',
      code: 'RTO_BREACHED',
      message: `recovery took ${o.rto.detail}`,
      fix: 'find the slowest phase in the timeline; restore less at once, pre-pull images, or agree on a realistic RTO',
    });
  if (o.rpo.measuredSeconds !== null && !o.rpo.met)
    findings.push({
      severity: 'P2',
      code: 'RPO_BREACHED',
      key: st.preflight?.backup.name,
      message: `the backup used was ${o.rpo.detail}`,
      fix: 'back up more often (the Schedule), or agree on a realistic RPO',
    });
  for (const f of extra.revertFailures)
    findings.push({
      severity: 'P1',
      code: 'REVERT_FAILED',
      message: `a revert failed, the cluster may still be degraded: ${f}`,
      fix: 'undo it by hand now (see the journal), then rerun the revert',
    });
  for (const step of st.runbook?.steps ?? []) {
    if (step.status === 'failed')
      findings.push({
        severity: 'P2',
        code: 'RUNBOOK_STEP_FAILED',
        key: `${st.runbook!.file}#${step.anchor}`,
        message: `runbook step "${step.title}" failed: ${step.reason ?? ''}`,
        fix: `runbook out of date? fix ${st.runbook!.file}#${step.anchor} and drill it again`,
      });
    if (step.status === 'skipped')
      findings.push({
        severity: 'P3',
        code: 'RUNBOOK_STEP_SKIPPED',
        key: `${st.runbook!.file}#${step.anchor}`,
        message: `runbook step "${step.title}" was skipped: ${step.reason ?? ''}`,
        fix: `runbook out of date? check ${st.runbook!.file}#${step.anchor}`,
      });
  }
  if (extra.error)
    findings.push({
      severity: 'P2',
      code: 'DRILL_ERROR',
      message: extra.error,
      fix: 'see journal.jsonl for the last step',
    });
  if (st.interruptions.length) {
    const down = st.interruptions.reduce((n, i) => n + i.downSeconds, 0);
    findings.push({
      severity: 'P3',
      code: 'RUN_INTERRUPTED',
      message: `kdrill was stopped ${st.interruptions.length} time(s) and resumed; it was not running for ${formatDuration(down)} in all (${st.interruptions.map((i) => `${i.phase ?? 'between phases'}: ${formatDuration(i.downSeconds)}`).join(', ')})`,
      fix: 'nothing to fix in the cluster; run drills where kdrill is not killed, or count that time out of the RTO',
    });
  }
  return findings;
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
