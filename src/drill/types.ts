/** The evidence of a drill: what result.json holds. */
export type Phase = 'preflight' | 'baseline' | 'backup' | 'inject' | 'recover' | 'verify' | 'cleanup' | 'report';

export interface TimelineEntry {
  phase: Phase;
  startedAt: string;
  endedAt?: string;
  ok?: boolean;
  detail?: string;
  /** kdrill's own CPU time in this phase. */
  cpuSeconds?: number;
}

export interface Objective {
  objectiveSeconds: number;
  measuredSeconds: number | null;
  met: boolean;
  detail?: string;
}

export interface RetentionObjective {
  objectiveSeconds: number;
  backupTtlSeconds: number | null;
  oldestBackupAgeSeconds: number | null;
  newestBackupAgeSeconds: number | null;
  met: boolean;
  detail: string;
}

export interface FailedItem {
  resource: string;
  namespace?: string;
  name: string;
  message: string;
}

export interface RestoreRecord {
  name: string;
  context: string;
  phase: string;
  includedResources: string[];
  excludedResources: string[];
  startedAt?: string;
  completedAt?: string;
  errors: number;
  warnings: number;
  failedItems: FailedItem[];
  failureReason?: string;
}

export interface VerifyRecord {
  type: string;
  passed: boolean;
  detail: string;
  at: string;
}

export type Severity = 'P1' | 'P2' | 'P3';

export interface Finding {
  severity: Severity;
  code: string;
  message: string;
  key?: string;
  fix: string;
}

export interface DrillResult {
  runId: string;
  scenario: string;
  description?: string;
  context: string;
  recoveryContext: string;
  verdict: 'pass' | 'fail';
  exitCode: number;
  startedAt: string;
  endedAt: string;
  backup?: { name: string; startTimestamp: string; completionTimestamp?: string; expiration?: string; phase: string };
  objectives: { rto: Objective; rpo: Objective; retention: RetentionObjective };
  timeline: TimelineEntry[];
  restores: RestoreRecord[];
  verify: VerifyRecord[];
  disaster: { type: string; detail: string; at: string }[];
  findings: Finding[];
  protection?: unknown;
  drill: { goals: string[]; leader: string; observers: string[]; discovery: string; cause: string; environment?: string };
  notes: string[];
  /** kdrill's own CPU time during this run (from run start to report), against its wall time. */
  resources?: { cpuSeconds: number; wallSeconds: number };
  /** A guided recovery: each runbook step, its commands and outcome. */
  runbook?: { file: string; steps: { title: string; anchor: string; startedAt: string; endedAt: string; status: string; reason?: string; commands: { exitCode: number; outputDigest: string }[] }[] };
}
