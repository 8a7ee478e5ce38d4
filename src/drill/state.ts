import type { Revert } from '../disaster/types.js';
import type { StepRecord } from '../guide/run-steps.js';
import type { InventoryItem } from '../verify/inventory.js';
import type { Journal } from './journal.js';
import type { Finding, RestoreRecord, TimelineEntry, VerifyRecord } from './types.js';

/** Everything a run has done so far, rebuilt from journal.jsonl (for resume) or filled as it goes. */
export interface RunState {
  runId: string;
  startedAt: string;
  timeline: TimelineEntry[];
  preflight?: { backup: BackupInfo; allBackups: BackupInfo[]; findings: Finding[]; protection?: unknown };
  baseline?: { inventory: InventoryItem[]; workloads: string[]; sentinelExpected?: string };
  takenBackup?: string;
  injectStartedAt?: string;
  injected: { index: number; type: string; detail: string; at: string; revert?: Revert }[];
  injectDone: boolean;
  restoresCreated: { phase: number; name: string }[];
  restores: RestoreRecord[];
  recoverDone: boolean;
  verify?: { records: VerifyRecord[]; passedAt?: string };
  reverted: number[];
  ended?: { verdict: string; exitCode: number };
  notes: string[];
  runbook?: { file: string; steps: StepRecord[] };
}

export interface BackupInfo {
  name: string;
  phase: string;
  startTimestamp: string;
  completionTimestamp?: string;
  expiration?: string;
}

export function newState(runId: string, at: Date): RunState {
  return { runId, startedAt: at.toISOString(), timeline: [], injected: [], injectDone: false, restoresCreated: [], restores: [], recoverDone: false, reverted: [], notes: [] };
}

/** Replays the journal into a state; the last word of each event wins. */
export function stateFromJournal(j: Journal): RunState | undefined {
  const entries = j.read();
  const start = entries.find((e) => e.event === 'run-started');
  if (!start) return undefined;
  const s = newState(String(start.runId), new Date(start.at));
  for (const e of entries) {
    switch (e.event) {
      case 'phase-started':
        s.timeline.push({ phase: e.phase as TimelineEntry['phase'], startedAt: e.at });
        break;
      case 'phase-ended': {
        const t = [...s.timeline].reverse().find((x) => x.phase === e.phase && !x.endedAt);
        if (t) Object.assign(t, { endedAt: e.at, ok: e.ok as boolean, detail: e.detail as string | undefined });
        break;
      }
      case 'preflight-done':
        s.preflight = e.preflight as RunState['preflight'];
        break;
      case 'baseline-done':
        s.baseline = e.baseline as RunState['baseline'];
        break;
      case 'backup-created':
        s.takenBackup = e.name as string;
        break;
      case 'backup-done':
        if (s.preflight) s.preflight.backup = e.backup as BackupInfo;
        break;
      case 'inject-started':
        s.injectStartedAt ??= e.at;
        break;
      case 'inject-step-done':
        s.injected.push({ index: e.index as number, type: e.type as string, detail: e.detail as string, at: e.at, revert: e.revert as Revert | undefined });
        break;
      case 'inject-done':
        s.injectDone = true;
        break;
      case 'restore-creating':
        s.restoresCreated.push({ phase: e.phase as number, name: e.name as string });
        break;
      case 'restore-ended':
        s.restores.push(e.record as RestoreRecord);
        break;
      case 'recover-done':
        s.recoverDone = true;
        break;
      case 'verify-done':
        s.verify = { records: e.records as VerifyRecord[], passedAt: e.passedAt as string | undefined };
        break;
      case 'revert-done':
        s.reverted.push(e.index as number);
        break;
      case 'note':
        s.notes.push(e.text as string);
        break;
      case 'run-ended':
        s.ended = { verdict: e.verdict as string, exitCode: e.exitCode as number };
        break;
    }
  }
  return s;
}
