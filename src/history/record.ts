import type { TrackedActionItem } from '../actions/types.js';
import type { DrillResult, RunMode, Severity } from '../drill/types.js';
import { evidenceFields } from '../evidence/history-fields.js';
import { detectionRecord } from '../report/detection-metrics.js';

export type { RunMode };
export const RUN_MODES: readonly RunMode[] = ['run', 'guide', 'guide --yes', 'restore-test'];

/** One drill in the history: small, stable, and free of anything secret. */
export interface HistoryRecord {
  v: 1;
  scenario: string;
  /** Absent in records written before modes were recorded: those were all `run`. */
  mode?: RunMode;
  runId: string;
  startedAt: string;
  verdict: 'pass' | 'fail';
  exitCode: number;
  rtoSeconds: number | null;
  rpoSeconds: number | null;
  objectives: { rto: boolean; rpo: boolean; retention: boolean };
  verify: { passed: number; failed: number };
  findings: number;
  findingsBySeverity: Partial<Record<Severity, number>>;
  /** Whether the Object Lock summary of the backups said the lock is enforced. */
  lockEnforced?: boolean;
  /** What the auditor's period report reads (src/evidence/history-fields.ts); absent in older records. */
  objectiveSeconds?: { rto: number; rpo: number };
  backup?: string;
  /** A restore test into a sandbox, not a drill. */
  restoreTest?: boolean;
  /** The lock canary's delete was refused: the lock was proven, not only configured. */
  lockProven?: boolean;
  /** The controls this run evidenced in full (ids of src/evidence/controls.ts). */
  controls?: string[];
  requiredEverySeconds?: number;
  actionItems?: TrackedActionItem[];
  /** With detect: the first expected alert's time to detect (null: none fired). */
  ttdSeconds?: number | null;
  /** Each sampled endpoint's downtime. */
  downtime?: { target: string; seconds: number }[];
}

export function recordOf(r: DrillResult): HistoryRecord {
  const bySeverity: Partial<Record<Severity, number>> = {};
  for (const f of r.findings) bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
  return {
    v: 1,
    scenario: r.scenario,
    mode: r.mode,
    runId: r.runId,
    startedAt: r.startedAt,
    verdict: r.verdict,
    exitCode: r.exitCode,
    rtoSeconds: r.objectives.rto.measuredSeconds,
    rpoSeconds: r.objectives.rpo.measuredSeconds,
    objectives: { rto: r.objectives.rto.met, rpo: r.objectives.rpo.met, retention: r.objectives.retention.met },
    verify: { passed: r.verify.filter((v) => v.passed).length, failed: r.verify.filter((v) => !v.passed).length },
    findings: r.findings.length,
    findingsBySeverity: bySeverity,
    lockEnforced: lockEnforced(r),
    ...evidenceFields(r),
    ...detectionRecord(r),
  };
}

// the audit findings that mean a backup could be deleted or rewritten by whoever holds the keys
const LOCK_NOT_ENFORCED = new Set(['BUCKET_NO_OBJECT_LOCK', 'LOCK_NOT_ENFORCED', 'OBJECT_UNLOCKED', 'KOPIA_UNLOCKED']);

function lockEnforced(r: DrillResult): boolean | undefined {
  if (r.protection === undefined) return undefined;
  return !r.findings.some((f) => LOCK_NOT_ENFORCED.has(f.code));
}

/** Parses a stored record, or says why not; a history must survive one bad line. */
export function parseRecord(text: string): HistoryRecord | undefined {
  try {
    const o = JSON.parse(text) as Partial<HistoryRecord>;
    if (o.v !== 1 || typeof o.scenario !== 'string' || typeof o.runId !== 'string' || typeof o.startedAt !== 'string')
      return undefined;
    if (o.mode !== undefined && !RUN_MODES.includes(o.mode)) return undefined;
    // a record a person or another tool wrote may have any shape: only a true one counts
    const num = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
    if (o.rtoSeconds !== null && !num(o.rtoSeconds)) return undefined;
    if (o.rpoSeconds !== null && o.rpoSeconds !== undefined && !num(o.rpoSeconds)) return undefined;
    if (o.verdict !== 'pass' && o.verdict !== 'fail') return undefined;
    if (!num(o.exitCode) || (o.findings !== undefined && !num(o.findings))) return undefined;
    if (Number.isNaN(Date.parse(o.startedAt))) return undefined;
    return o as HistoryRecord;
  } catch {
    return undefined;
  }
}
