import type { Revert } from '../disaster/types.js';
import type { StepRecord } from '../guide/run-steps.js';
import type { BackupContents } from '../velero/contents.js';
import type { InventoryItem } from '../verify/inventory.js';
import type { AlertRecord, AvailabilityRecord, DetectionResult, HeartbeatRecord } from '../detect/types.js';
import { DETECT_REPLAY } from './phases/detect-state.js';
import type { Journal, JournalEntry } from './journal.js';
import type { RestoreTestState } from '../restore-test/state.js';
import { restoreTestFromJournal } from '../restore-test/state.js';
import type { Finding, Interruption, Phase, RestoreRecord, RunMode, TimelineEntry, VerifyRecord } from './types.js';

/** Velero as preflight found it in one cluster. */
export interface VeleroSeen {
  context: string;
  server: string;
  readyReplicas: number;
  lastValidation?: string;
  validationDisabled?: boolean;
}

/** Everything a run has done so far, rebuilt from journal.jsonl (for resume) or filled as it goes. */
export interface RunState {
  runId: string;
  startedAt: string;
  mode: RunMode;
  timeline: TimelineEntry[];
  preflight?: {
    backup: BackupInfo;
    allBackups: BackupInfo[];
    findings: Finding[];
    protection?: unknown;
    velero?: VeleroSeen[];
    /** What the chosen backup holds in the target namespaces (for a fresh backup: filled by the backup phase). */
    contents?: BackupContents;
    /** A recovery cluster allowed to hold the targets already: what was there before the restore. */
    recoveryBefore?: InventoryItem[];
    /** With detect: the heartbeat alert, as it was before the disaster. */
    heartbeat?: HeartbeatRecord;
  };
  baseline?: {
    inventory: InventoryItem[];
    workloads: string[];
    sentinelExpected?: string;
    /** Inventory keys live at the baseline that the backup does not hold. */
    scopeGap?: string[];
  };
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
  interruptions: Interruption[];
  /** A restore test (spec.mode: restore-test): its sandbox, isolation, and production before and after. */
  restoreTest?: RestoreTestState;
  /** The detect phase so far: the alerts firing before the disaster (label keys, per expected alert), each alert seen. */
  detect?: { before: string[][]; alerts: (AlertRecord | undefined)[] };
  detection?: DetectionResult;
  availability?: AvailabilityRecord[];
}

export interface BackupInfo {
  name: string;
  phase: string;
  startTimestamp: string;
  completionTimestamp?: string;
  expiration?: string;
}

export function newState(runId: string, at: Date, mode: RunMode = 'run'): RunState {
  return {
    runId,
    startedAt: at.toISOString(),
    mode,
    timeline: [],
    injected: [],
    injectDone: false,
    restoresCreated: [],
    restores: [],
    recoverDone: false,
    reverted: [],
    notes: [],
    interruptions: [],
  };
}

/** The phase that had started and not ended when the journal stopped at `upTo` (exclusive). */
function openPhase(entries: JournalEntry[], upTo: number): Phase | undefined {
  const open: Phase[] = [];
  for (const e of entries.slice(0, upTo)) {
    if (e.event === 'phase-started') open.push(e.phase as Phase);
    if (e.event === 'phase-ended') open.splice(open.lastIndexOf(e.phase as Phase), 1);
  }
  return open[open.length - 1];
}

/**
 * Each time kdrill stopped before the run ended and was resumed: from the `interrupted` record when
 * it saw a signal (it then only reverted and wrote its reports), else from whatever it wrote last
 * before it died, to the `resumed` record that took over.
 */
export function interruptionsOf(entries: JournalEntry[]): Interruption[] {
  const out: Interruption[] = [];
  let since = 0; // where the current stretch of running began
  entries.forEach((e, i) => {
    if (e.event !== 'resumed' || i === 0) return;
    const stretch = entries.slice(since, i);
    const signal = stretch.findLast((x) => x.event === 'interrupted');
    const stop = signal ?? entries[i - 1]!;
    out.push({
      phase: (signal?.phase as Phase | undefined) ?? openPhase(entries, i),
      killedAt: stop.at,
      resumedAt: e.at,
      downSeconds: Math.max(0, Math.round(Date.parse(e.at) - Date.parse(stop.at)) / 1000),
      how: signal ? 'signal' : 'killed',
    });
    since = i;
  });
  return out;
}

type Replay = (s: RunState, e: JournalEntry, prev: JournalEntry | undefined) => void;

const phaseEnded: Replay = (s, e) => {
  const t = [...s.timeline].reverse().find((x) => x.phase === e.phase && !x.endedAt);
  if (t)
    Object.assign(t, {
      endedAt: e.at,
      ok: e.ok as boolean,
      detail: e.detail as string | undefined,
      ...(e.interrupted ? { interrupted: true } : {}),
    });
};

// a phase kdrill died in never ended: it ends where the journal stopped, marked as such
const resumed: Replay = (s, e, prev) => {
  for (const t of s.timeline)
    if (!t.endedAt)
      Object.assign(t, { endedAt: prev?.at ?? e.at, ok: false, interrupted: true, detail: 'kdrill was killed here' });
};

const backupDone: Replay = (s, e) => {
  if (s.preflight) {
    s.preflight.backup = e.backup as BackupInfo;
    if (e.contents) s.preflight.contents = e.contents as BackupContents;
  }
  if (s.baseline && e.scopeGap) s.baseline.scopeGap = e.scopeGap as string[];
};

const reinjecting: Replay = (s, e) => {
  s.injected = s.injected.filter((x) => x.index !== e.index);
  s.reverted = s.reverted.filter((x) => x !== e.index);
  s.notes.push(
    `disaster step ${(e.index as number) + 1} (${String(e.type)}) was undone when kdrill was interrupted; it was injected again on resume`,
  );
};

/** What each journal event does to the state; events not named here change nothing. */
const REPLAY: Record<string, Replay> = {
  'phase-started': (s, e) => void s.timeline.push({ phase: e.phase as TimelineEntry['phase'], startedAt: e.at }),
  'phase-ended': phaseEnded,
  resumed,
  'preflight-done': (s, e) => void (s.preflight = e.preflight as RunState['preflight']),
  'baseline-done': (s, e) => void (s.baseline = e.baseline as RunState['baseline']),
  'backup-created': (s, e) => void (s.takenBackup = e.name as string),
  'backup-done': backupDone,
  'inject-started': (s, e) => void (s.injectStartedAt ??= e.at),
  'inject-step-reinjecting': reinjecting,
  'inject-step-done': (s, e) =>
    void s.injected.push({
      index: e.index as number,
      type: e.type as string,
      detail: e.detail as string,
      at: e.at,
      revert: e.revert as Revert | undefined,
    }),
  'inject-done': (s) => void (s.injectDone = true),
  'restore-creating': (s, e) => void s.restoresCreated.push({ phase: e.phase as number, name: e.name as string }),
  'restore-ended': (s, e) => void s.restores.push(e.record as RestoreRecord),
  'recover-done': (s) => void (s.recoverDone = true),
  'verify-done': (s, e) =>
    void (s.verify = { records: e.records as VerifyRecord[], passedAt: e.passedAt as string | undefined }),
  'revert-done': (s, e) => void s.reverted.push(e.index as number),
  note: (s, e) => void s.notes.push(e.text as string),
  'run-ended': (s, e) => void (s.ended = { verdict: e.verdict as string, exitCode: e.exitCode as number }),
  ...DETECT_REPLAY,
};

/** Replays the journal into a state; the last word of each event wins. */
export function stateFromJournal(j: Journal): RunState | undefined {
  const entries = j.read();
  const start = entries.find((e) => e.event === 'run-started');
  if (!start) return undefined;
  const s = newState(String(start.runId), new Date(start.at), (start.mode as RunMode | undefined) ?? 'run');
  entries.forEach((e, i) => {
    if (Object.hasOwn(REPLAY, e.event)) REPLAY[e.event]!(s, e, entries[i - 1]);
  });
  s.interruptions = interruptionsOf(entries);
  s.restoreTest = restoreTestFromJournal(entries);
  return s;
}
