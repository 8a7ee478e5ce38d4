import type { SandboxEvidence } from '../restore-test/evidence.js';
import type { CarriedActionItem } from '../actions/types.js';
import type { ControlEvidence } from '../evidence/controls.js';
import type { RunVersions } from '../evidence/versions.js';
import type { AvailabilityRecord, DetectionResult } from '../detect/types.js';

/** The evidence of a drill: what result.json holds. */
export type Phase =
  'preflight' | 'baseline' | 'backup' | 'sandbox' | 'inject' | 'detect' | 'recover' | 'verify' | 'cleanup' | 'report';

export interface TimelineEntry {
  phase: Phase;
  startedAt: string;
  endedAt?: string;
  ok?: boolean;
  detail?: string;
  /** kdrill's own CPU time in this phase. */
  cpuSeconds?: number;
  /** The phase did not end on its own: kdrill was stopped (a signal) or killed during it. */
  interrupted?: boolean;
}

export interface Objective {
  objectiveSeconds: number;
  measuredSeconds: number | null;
  met: boolean;
  detail?: string;
  /** Of the measured time, how long kdrill itself was not running (killed, then resumed). */
  kdrillDowntimeSeconds?: number;
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
  /** One per line of the error: an admission webhook may refuse an item for several reasons at once. */
  reasons?: string[];
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
  /** Errors in the results that name no item. */
  otherErrors?: string[];
  /** The restore's warnings, one line each (the first 20; `warnings` counts them all). */
  warningMessages?: string[];
  /** Where the results came from; `unreadable` means neither the bucket nor a DownloadRequest gave them. */
  results?: 'bucket' | 'download-request' | 'unreadable' | 'not-needed';
  resultsError?: string;
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

/** A stretch of time kdrill was not running: killed (or stopped) during a phase, then resumed. */
export interface Interruption {
  phase?: Phase;
  killedAt: string;
  resumedAt: string;
  downSeconds: number;
  /** How it ended: a signal kdrill saw (and recorded), or a death it could not record. */
  how: 'signal' | 'killed';
}

/** What the backup held for the target namespaces, and what it did not. */
export interface BackupScope {
  backup: string;
  source: 'resource-list' | 'tarball' | 'download-request';
  namespaces: string[];
  items: number;
  /** Objects live at the baseline that the backup does not hold (created after it, or filtered out). */
  gap: string[];
}

/** Something to fix, derived from a finding: which object, and how. */
export interface ActionItem {
  severity: Severity;
  code: string;
  object?: string;
  action: string;
  /** Tracked across runs (src/actions/track.ts): `<run id>-<n>`, kept while the item stays open. */
  id?: string;
  /** The drill leader unless `--action-owner` says otherwise. */
  owner?: string;
  /** YYYY-MM-DD (UTC). */
  due?: string;
  /** The run that first raised it (an earlier one when this run raised an open item again), and when it started. */
  raisedIn?: string;
  raisedAt?: string;
}

export type RunMode = 'run' | 'guide' | 'guide --yes' | 'restore-test';

export interface DrillResult {
  runId: string;
  scenario: string;
  /** run: kdrill's restores; guide: a person followed the runbook; guide --yes: the runbook ran unattended; restore-test: no disaster, a sandbox. */
  mode: RunMode;
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
  actionItems: ActionItem[];
  backupScope?: BackupScope;
  interruptions: Interruption[];
  protection?: unknown;
  drill: {
    goals: string[];
    leader: string;
    observers: string[];
    discovery: string;
    cause: string;
    environment?: string;
  };
  notes: string[];
  /** Did anyone notice? The heartbeat before the disaster and each expected alert (scenario detect:). */
  detection?: DetectionResult;
  /** Each sampled endpoint's downtime from the disaster to the end of verification. */
  availability?: AvailabilityRecord[];
  /** kdrill's own CPU time during this run (from run start to report), against its wall time. */
  resources?: { cpuSeconds: number; wallSeconds: number };
  /** Exit 5 only: what is still undone (disaster steps in force, Restores unfinished, no verification). */
  stillMissing?: string[];
  /** A restore test: the sandbox, its isolation, its teardown, and production before and after. */
  sandbox?: SandboxEvidence;
  /** Open action items of earlier runs of this scenario that this run did not raise again (from the history). */
  carriedOver?: CarriedActionItem[];
  /** Which controls (DORA, ISO/IEC 27001, SOC 2, NIST SP 800-53) this run evidences, and by what. */
  controls?: ControlEvidence[];
  /** kdrill's version, and each cluster's Kubernetes and Velero versions, read at the end of the run. */
  versions?: RunVersions;
  /** The scenario's `requiredEvery`: how often it must run. */
  requiredEverySeconds?: number;
  /** A guided recovery: each runbook step, its commands and outcome. */
  runbook?: {
    file: string;
    steps: {
      title: string;
      anchor: string;
      startedAt: string;
      endedAt: string;
      status: string;
      reason?: string;
      commands: { exitCode: number; outputDigest: string }[];
    }[];
  };
}
