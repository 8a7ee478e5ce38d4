import type { DrillResult, VerifyRecord } from '../drill/types.js';
import { formatDuration } from '../scenario/duration.js';
import type { FactId } from './controls.js';

/** One fact about a run: whether it holds, and what in the run shows it (or why it does not hold). */
export interface Fact {
  holds: boolean;
  by: string;
}
export type RunFacts = Record<FactId, Fact>;

type Loose = Record<string, unknown>;
const obj = (v: unknown): Loose | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Loose) : undefined;
const fact = (holds: boolean, by: string): Fact => ({ holds, by });

/**
 * A restore test (issue K: `mode: restore-test`, sandbox namespaces) reads fields this build may not
 * know yet: every one is read defensively, and absent means "did not happen".
 */
export function restoreTestOf(r: DrillResult): { restoreTest: boolean; sandbox?: string } {
  const sb = obj((r as unknown as Loose).sandbox);
  const restoreTest = String(r.mode) === 'restore-test' || sb !== undefined;
  const ns = sb?.namespaces;
  // a list of names, of {sandbox} or {name} objects, or a source → sandbox mapping: whatever it is, only names count
  const candidates: unknown[] = Array.isArray(ns)
    ? ns.map((n) => (typeof n === 'string' ? n : (obj(n)?.sandbox ?? obj(n)?.name)))
    : Object.values(obj(ns) ?? {});
  const names = candidates.filter((n): n is string => typeof n === 'string' && n.length > 0);
  return { restoreTest, sandbox: restoreTest ? names.join(', ') || 'sandbox namespaces' : undefined };
}

const otherCluster = (r: DrillResult): boolean => !!r.recoveryContext && r.recoveryContext !== r.context;

/** Whether the recovery point was picked at random: said by the result, or by the scenario as run. */
export function randomPick(r: DrillResult, scenario?: unknown): boolean {
  const fromResult = obj(r.backup)?.pick ?? (r as unknown as Loose).backupPick;
  const fromScenario = obj(obj(obj(scenario)?.spec)?.backup)?.pick;
  return fromResult === 'random' || fromScenario === 'random';
}

const passed = (r: DrillResult, type: string): VerifyRecord | undefined =>
  r.verify.find((v) => v.type === type && v.passed);

function recoveryTested(r: DrillResult): Fact {
  const { restoreTest } = restoreTestOf(r);
  if (!r.verify.length) return fact(false, 'the run never reached verification');
  if (!r.disaster.length && !restoreTest) return fact(false, 'no disaster was injected and it was no restore test');
  const how = r.runbook ? `runbook ${r.runbook.file}` : r.restores.length ? 'Velero Restores' : 'the recovery command';
  const what = r.disaster.length
    ? `disaster ${r.disaster.map((d) => d.type).join(', ')} injected at ${r.disaster[0]!.at}`
    : 'restore test (no disaster)';
  return fact(true, `${what}; recovered by ${how}; ${r.verify.length} check(s) run`);
}

function recoveryVerified(r: DrillResult): Fact {
  const failed = r.verify.filter((v) => !v.passed);
  if (!r.verify.length) return fact(false, 'no check ran');
  if (failed.length) return fact(false, `failed: ${failed.map((v) => v.type).join(', ')}`);
  return fact(true, `every check passed: ${r.verify.map((v) => v.type).join(', ')}`);
}

function backupRestored(r: DrillResult): Fact {
  if (!r.backup) return fact(false, 'no backup was recorded');
  const b = `backup ${r.backup.name} (started ${r.backup.startTimestamp})`;
  if (r.restores.length) {
    const bad = r.restores.filter((x) => x.phase !== 'Completed' || x.results === 'unreadable');
    if (bad.length) return fact(false, `Restore ${bad.map((x) => `${x.name} ${x.phase}`).join(', ')}`);
    return fact(true, `${b} restored: ${r.restores.map((x) => `${x.name} Completed`).join(', ')}`);
  }
  const steps = r.runbook?.steps ?? [];
  if (steps.length && steps.every((s) => s.status === 'done') && recoveryVerified(r).holds)
    return fact(true, `${b} restored by following ${r.runbook!.file} (${steps.length} steps done), then verified`);
  return fact(false, 'no Restore of the backup completed');
}

function objectivesMeasured(r: DrillResult): Fact {
  const { rto, rpo } = r.objectives;
  if (rto.measuredSeconds === null || rpo.measuredSeconds === null)
    return fact(false, `${rto.measuredSeconds === null ? 'RTO' : 'RPO'} not measured`);
  return fact(
    true,
    `RTO ${formatDuration(rto.measuredSeconds)} against ${formatDuration(rto.objectiveSeconds)}, RPO ${formatDuration(rpo.measuredSeconds)} against ${formatDuration(rpo.objectiveSeconds)}`,
  );
}

function objectivesMet(r: DrillResult): Fact {
  const m = objectivesMeasured(r);
  if (!m.holds) return m;
  const { rto, rpo } = r.objectives;
  if (!rto.met || !rpo.met) return fact(false, `${!rto.met ? 'RTO' : 'RPO'} breached: ${m.by}`);
  return fact(true, `${m.by}: both met`);
}

function integrityChecked(r: DrillResult): Fact {
  const by = ['sentinel', 'inventory'].map((t) => passed(r, t)).filter((v): v is VerifyRecord => !!v);
  if (!by.length) return fact(false, 'no sentinel or inventory check passed');
  return fact(true, by.map((v) => `${v.type}: ${v.detail}`).join('; '));
}

function completenessChecked(r: DrillResult): Fact {
  const inv = passed(r, 'inventory');
  if (!inv) return fact(false, 'no inventory check passed');
  const s = r.backupScope;
  if (!s) return fact(false, 'what the backup holds was not read');
  if (s.gap.length) return fact(false, `${s.gap.length} live object(s) were not in backup ${s.backup}`);
  return fact(
    true,
    `backup ${s.backup} held every live object of ${s.namespaces.join(', ')}; inventory: ${inv.detail}`,
  );
}

function segregatedRestore(r: DrillResult): Fact {
  const { sandbox } = restoreTestOf(r);
  if (otherCluster(r))
    return fact(true, `restored into cluster ${r.recoveryContext}, not into the source ${r.context}`);
  if (sandbox) return fact(true, `restored into ${sandbox} of ${r.recoveryContext || r.context}, not over the source`);
  return fact(false, `restored over the source, in ${r.context}`);
}

function switchover(r: DrillResult): Fact {
  return otherCluster(r)
    ? fact(true, `recovered into ${r.recoveryContext} after the loss of ${r.context}`)
    : fact(false, `recovered in the same cluster (${r.context})`);
}

function randomRecoveryPoint(r: DrillResult, scenario?: unknown): Fact {
  if (!randomPick(r, scenario)) return fact(false, 'the backup was chosen, not picked at random');
  return fact(true, `backup ${r.backup?.name ?? '?'} picked at random`);
}

function correctiveActions(r: DrillResult): Fact {
  const untracked = r.actionItems.filter((a) => !a.id || !a.owner || !a.due);
  if (untracked.length) return fact(false, `${untracked.length} action item(s) without an owner or due date`);
  const open = r.carriedOver?.length ?? 0;
  const items = r.actionItems.length
    ? `${r.actionItems.length} action item(s), each with an id, owner and due date`
    : 'no action item needed (no P1/P2 finding)';
  return fact(
    true,
    `retrospective.md written from the evidence: ${items}${open ? `; ${open} open from earlier runs` : ''}`,
  );
}

/** Every fact about a run, from its result.json and the scenario as run. */
export function factsOf(r: DrillResult, scenario?: unknown): RunFacts {
  return {
    'recovery-tested': recoveryTested(r),
    'recovery-verified': recoveryVerified(r),
    'backup-restored': backupRestored(r),
    'objectives-measured': objectivesMeasured(r),
    'objectives-met': objectivesMet(r),
    'integrity-checked': integrityChecked(r),
    'completeness-checked': completenessChecked(r),
    'segregated-restore': segregatedRestore(r),
    switchover: switchover(r),
    'random-recovery-point': randomRecoveryPoint(r, scenario),
    'corrective-actions': correctiveActions(r),
  };
}
