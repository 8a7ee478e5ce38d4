import type { ObjectStore } from '../backupstore/object-store.js';
import type { CommandRunner } from '../exec/command.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { Scenario } from '../scenario/schema.js';
import type { Clock } from '../time/clock.js';
import type { UrlFetcher } from '../velero/download.js';
import type { HistoryLocation } from '../history/store.js';
import type { AllowList } from './allow.js';
import type { Journal } from './journal.js';
import type { LabMonitoring } from './lab-port.js';
import type { RunState } from './state.js';
import type { Phase } from './types.js';

export interface Reporter {
  phase(phase: Phase, status: 'start' | 'ok' | 'fail' | 'skip', detail?: string): void;
  info(msg: string): void;
}

/** The ports a drill runs on: clusters, the bucket, commands, time, the operator's terminal. */
export interface RunDeps {
  kube: KubeApi;
  recoveryKube: KubeApi;
  /** The S3 behind a BSL, and its prefix. */
  storeFor(kube: KubeApi, namespace: string, bsl: string): Promise<{ store: ObjectStore; prefix: string }>;
  exec: CommandRunner;
  clock: Clock;
  reporter: Reporter;
  signal: AbortSignal;
  journal: Journal;
  allowed: AllowList;
  /** How a DownloadRequest's pre-signed URL is fetched (tests give their own). */
  fetchUrl?: UrlFetcher;
  /** Where the run will be recorded: it must never sit inside the BSL's prefix, where Velero would trip over it. */
  history?: HistoryLocation;
  /** Recovery by something other than kdrill's Velero restores: a runbook (kdrill guide). */
  recoverWith?: () => Promise<{ ok: boolean; detail: string }>;
  /** The lab's Prometheus and Alertmanager (`lab: { monitoring: true }`), for `detect.source.lab`. */
  monitoring?: LabMonitoring;
}

/** What every phase gets: the ports, the scenario, and the run's state so far (journaled as it grows). */
export interface DrillContext {
  deps: RunDeps;
  s: Scenario;
  state: RunState;
  /** Added to every Restore's spec: a restore test's namespaceMapping and resourceModifier. */
  restoreSpec?: Record<string, unknown>;
}

/** What a phase says of itself: whether it did what it had to, in one line. A failed phase is shown ✖ everywhere. */
export interface PhaseOutcome {
  ok: boolean;
  detail: string;
}

export const iso = (d: Date): string => d.toISOString();
