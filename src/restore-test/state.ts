import type { JournalEntry } from '../drill/journal.js';
import type { InventoryItem } from '../verify/inventory.js';
import type { SandboxChange } from './isolation-patches.js';
import type { SourceSnapshot } from './source.js';

/** How the backup was chosen, for the evidence: the newest, a named one, or a random one of a window. */
export interface BackupPick {
  how: 'newest' | 'named' | 'random';
  /** Random: how many Completed backups the window held, and its length. */
  candidates?: number;
  windowSeconds?: number;
}

/** What the restore test planned, before anything lands (journaled as one record). */
export interface RestoreTestPlan {
  pick: BackupPick;
  /** The newest usable backup: what the RPO is judged on when the one tested is older (a random pick). */
  rpoBackup?: { name: string; startTimestamp: string };
  modifier: { name: string; rules: unknown[] };
  changes: SandboxChange[];
  expected: InventoryItem[];
  /** Objects live in production that the backup does not hold because they are newer than it. */
  newerThanBackup: string[];
}

export interface IsolationRecord {
  applied: boolean;
  policies: string[];
  allow: string[];
  error?: string;
}

export interface TeardownRecord {
  at: string;
  kept: boolean;
  deleted: string[];
  failures: string[];
}

/** Everything a restore test adds to a run's state, rebuilt from its journal records. */
export interface RestoreTestState {
  mapping: Record<string, string>;
  sandboxContext: string;
  keep: boolean;
  expiresAt: string;
  plan?: RestoreTestPlan;
  sourceBefore?: SourceSnapshot;
  sourceAfter?: SourceSnapshot;
  /** What this run made, in the order it made it: what teardown undoes. */
  created: { namespaces: string[]; configMap?: string };
  isolation?: IsolationRecord;
  /** After the restore: whether what landed is fenced off as planned (CronJobs suspended, no exposed Service, …). */
  isolationHeld?: { ok: boolean; problems: string[] };
  restoreStartedAt?: string;
  teardown?: TeardownRecord;
  precondition?: { code: string; message: string; hint?: string };
}

/** Replays the restore-test records of a journal; undefined when the run is not a restore test. */
export function restoreTestFromJournal(entries: JournalEntry[]): RestoreTestState | undefined {
  let st: RestoreTestState | undefined;
  for (const e of entries) {
    if (e.event === 'restore-test-started') st = { ...(e.state as RestoreTestState), created: { namespaces: [] } };
    if (!st) continue;
    switch (e.event) {
      case 'restore-test-planned':
        st.plan = e.plan as RestoreTestPlan;
        break;
      case 'source-snapshot':
        if (e.when === 'before') st.sourceBefore = e.snapshot as SourceSnapshot;
        else st.sourceAfter = e.snapshot as SourceSnapshot;
        break;
      case 'sandbox-namespace-creating':
        st.created.namespaces.push(e.namespace as string);
        break;
      case 'sandbox-modifier-creating':
        st.created.configMap = e.name as string;
        break;
      case 'sandbox-isolation':
        st.isolation = e.isolation as IsolationRecord;
        break;
      case 'restore-test-restoring':
        st.restoreStartedAt ??= e.at;
        break;
      case 'sandbox-isolation-held':
        st.isolationHeld = e.held as RestoreTestState['isolationHeld'];
        break;
      case 'sandbox-torn-down':
        st.teardown = e.teardown as TeardownRecord;
        break;
      case 'restore-test-precondition':
        st.precondition = e.precondition as RestoreTestState['precondition'];
        break;
    }
  }
  return st;
}
