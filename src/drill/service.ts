import { randomBytes } from 'node:crypto';
import { copyFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DrillError, ExitCode } from '../errors.js';
import type { PublishOptions } from '../history/publish.js';
import type { GuideUi } from '../guide/session.js';
import { requireScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { systemClock, type Clock } from '../time/clock.js';
import type { Reporter } from './context.js';
import { execute, type Executed, type RunInfo } from './execute.js';
import { Journal, type JournalEntry } from './journal.js';
import type { LabLauncher, LabMonitoring } from './lab-port.js';
import type { GuideRunbook } from './runbook-recovery.js';
import { newState, stateFromJournal, type RunState } from './state.js';
import type { RunMode } from './types.js';
import { makeDir } from '../fs/make-dir.js';

export type { GuideRunbook } from './runbook-recovery.js';

export interface RunOptions {
  file: string;
  kubeconfig?: string;
  context?: string;
  allowContexts: string[];
  lab: boolean;
  keepLab: boolean;
  /** Starts and stops the ephemeral lab of `--lab` (and of a resumed `--lab` run). */
  labLauncher?: LabLauncher;
  out?: string;
  reporter: Reporter;
  /** argv that starts this CLI again, for the background lab. */
  self: string[];
  /** Recover by following this runbook instead of kdrill's own restores: unattended, or with an operator. */
  runbook?: GuideRunbook;
  /** History, metrics file, Pushgateway. The history defaults to `history/` beside the report dir. */
  publish?: PublishOptions;
  clock?: Clock;
  /** A restore test leaves its sandbox for inspection (it still expires). */
  keep?: boolean;
  /** Who owns the run's action items (default: the scenario's drill leader). */
  actionOwner?: string;
}

export interface ResumeOptions {
  allowContexts: string[];
  reporter: Reporter;
  clock?: Clock;
  ui?: GuideUi;
  self?: string[];
  labLauncher?: LabLauncher;
  force?: boolean;
}

const stamp = (d: Date): string =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

/** Starts the ephemeral lab of `--lab`, and points the run at it. */
async function startLab(o: RunOptions, s: Scenario, info: RunInfo & { labDir: string }): Promise<void> {
  const labDir = info.labDir;
  o.reporter.info(
    `starting an ephemeral lab in ${labDir}${s.spec.lab?.hardened ? ' (hardened)' : ''}${s.spec.lab?.clusters === 2 ? ' with a recovery cluster' : ''}`,
  );
  const extra = [
    '--clusters',
    String(s.spec.lab?.clusters ?? 1),
    '--start-delay',
    '100',
    ...(s.spec.lab?.objectLock === false ? ['--no-object-lock'] : []),
    ...(s.spec.lab?.monitoring ? ['--monitoring'] : []),
  ];
  if (!o.labLauncher)
    throw new DrillError('LAB_UNAVAILABLE', 'this build has no lab', ExitCode.Usage, {
      hint: 'run without --lab, against a cluster',
    });
  const st = await o.labLauncher.up({ dir: labDir, hardened: s.spec.lab?.hardened, self: o.self, extraArgs: extra });
  info.kubeconfig = st.kubeconfig;
  info.context = 'kdrill-lab';
  info.monitoring = st.monitoring;
}

/** How the run is journaled and reported: guided (by hand or unattended), a restore test, or a drill. */
function runMode(o: RunOptions, s: Scenario): RunMode {
  if (o.runbook) return o.runbook.ui ? 'guide' : 'guide --yes';
  return s.spec.mode === 'restore-test' ? 'restore-test' : 'run';
}

/** `kdrill run`: sets up (or starts a lab), runs the drill, writes the reports; resolves to the exit code. */
export async function runScenario(o: RunOptions): Promise<Executed> {
  const clock = o.clock ?? systemClock;
  const s = await requireScenario(o.file);
  if (o.runbook && s.spec.mode === 'restore-test')
    throw new DrillError(
      'GUIDE_RESTORE_TEST',
      `${o.file} is a restore test: it has no disaster to recover from by hand`,
      ExitCode.Usage,
      { hint: `run it with: kdrill run ${o.file}` },
    );
  const started = clock.now();
  const runId = randomBytes(4).toString('hex');
  const dir = resolve(o.out ?? join('drill-reports', `${s.metadata.name}-${stamp(started)}`));
  await makeDir(dir, 'the report directory');
  await copyFile(o.file, join(dir, 'scenario.yaml'));
  const journal = new Journal(dir);
  const info: RunInfo = {
    scenarioFile: join(dir, 'scenario.yaml'),
    kubeconfig: o.kubeconfig,
    context: o.context ?? s.spec.target.context,
    recoveryContext: s.spec.recovery.context,
    keepLab: o.keepLab,
    keepSandbox: o.keep,
    publish: { ...o.publish, history: o.publish?.history ?? join(dirname(dir), 'history') },
    actionOwner: o.actionOwner,
  };
  if (o.lab) await startLab(o, s, Object.assign(info, { labDir: join(dir, 'lab') }));
  const mode = runMode(o, s);
  journal.append(
    'run-started',
    { runId, scenario: s.metadata.name, mode, ...info, runbook: o.runbook?.file, interactive: !!o.runbook?.ui },
    started,
  );
  return execute({
    s,
    state: newState(runId, started, mode),
    info,
    dir,
    journal,
    allow: o.allowContexts,
    reporter: o.reporter,
    clock,
    runbook: o.runbook,
    self: o.self,
    lab: o.labLauncher,
  });
}

/** The journal of a run, repaired after a crash; a chain an edit broke stops resume unless forced. */
function openJournal(dir: string, o: ResumeOptions): Journal {
  const journal = new Journal(dir);
  const check = journal.check();
  if (check.chainBrokenAt !== undefined && !o.force) {
    throw new DrillError(
      'JOURNAL_CHAIN_BROKEN',
      `${journal.file} was changed after it was written: record ${check.chainBrokenAt} does not follow from the one before it`,
      ExitCode.Usage,
      {
        hint: 'resuming from an edited journal could repeat a disaster; if you know what changed and why, resume with --force',
      },
    );
  }
  if (check.torn)
    o.reporter.info(
      `the journal's last line was cut by a crash (line ${check.torn.line}, ${check.torn.bytes} bytes): dropped; everything before it stands`,
    );
  journal.repair();
  return journal;
}

/** What the journal says of the run: there is one, and it has something left to do. */
function resumableState(journal: Journal, dir: string): RunState {
  const state = stateFromJournal(journal);
  if (!state)
    throw new DrillError('RESUME_NO_JOURNAL', `${dir} has no journal.jsonl with a started run`, ExitCode.Usage, {
      hint: 'pass the report directory of a run (drill-reports/<scenario>-<time>/)',
    });
  // a verified recovery is never repeated; a broken one is what resume is for. Killed after verifying
  // but before its reports: resume only writes them (every phase is journaled as done, nothing is touched)
  const pendingReverts = state.injected.some((i) => i.revert && !state.reverted.includes(i.index));
  if (state.verify && state.ended && !pendingReverts)
    throw new DrillError(
      'RESUME_FINISHED',
      `the run in ${dir} already verified its recovery and ended (${state.ended.verdict}, exit ${state.ended.exitCode})`,
      ExitCode.Usage,
      { hint: 'start a new one with `kdrill run`' },
    );
  if (state.ended?.verdict === 'precondition-failed')
    throw new DrillError(
      'RESUME_FINISHED',
      `the run in ${dir} stopped before anything was touched (exit ${state.ended.exitCode})`,
      ExitCode.Usage,
      { hint: 'fix what it said and start a new one with `kdrill run`' },
    );
  return state;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The run as `run-started` journaled it. */
function startOf(start: JournalEntry): RunInfo & { runbook?: string; interactive: boolean } {
  return {
    scenarioFile: String(start.scenarioFile),
    kubeconfig: text(start.kubeconfig),
    context: text(start.context),
    recoveryContext: text(start.recoveryContext),
    labDir: text(start.labDir),
    // the lab's Prometheus and Alertmanager: a resumed detect phase reads the same ones
    monitoring: start.monitoring as LabMonitoring | undefined,
    keepLab: start.keepLab === true,
    keepSandbox: start.keepSandbox === true,
    // written by runScenario from its PublishOptions
    publish: start.publish as PublishOptions | undefined,
    actionOwner: text(start.actionOwner),
    runbook: text(start.runbook),
    interactive: start.interactive === true,
  };
}

/** The runbook of a guided run, read again: it must still check. */
async function reloadRunbook(file: string, ui: GuideUi | undefined): Promise<GuideRunbook> {
  const { checkRunbook } = await import('../guide/check.js');
  const r = await checkRunbook(file);
  if (!r.runbook)
    throw new DrillError(
      'RUNBOOK_INVALID',
      `the runbook of this run (${file}) no longer checks: ${r.problems[0]?.message ?? ''}`,
      ExitCode.Usage,
      { hint: `kdrill guide ${file} --check` },
    );
  // the session resumes from the journal: the drill must not think recovery already ended
  return { file, runbook: r.runbook, ui };
}

/** Journals the resume and says what stopped the run, and how long ago: that time is kdrill's downtime. */
function announceResume(x: { journal: Journal; state: RunState; s: Scenario; dir: string; o: ResumeOptions }): void {
  const now = (x.o.clock ?? systemClock).now();
  const last = x.journal.read().at(-1)!;
  const open = [...x.state.timeline].reverse().find((t) => !t.endedAt);
  x.journal.append('resumed', {}, now);
  const down = Math.round((now.getTime() - Date.parse(last.at)) / 1000);
  x.o.reporter.info(
    `resuming run ${x.state.runId} of ${x.s.metadata.name} from ${x.dir}: it was ${last.event === 'interrupted' ? `interrupted (${String(last.signal)})` : 'killed'}${open ? ` during ${open.phase}` : ''} at ${last.at}, ${down}s ago; that time is recorded as kdrill's downtime`,
  );
}

/** `kdrill resume <dir>`: continues a run from its journal. A Restore already created is waited on. */
export async function resumeRun(dirArg: string, o: ResumeOptions): Promise<Executed> {
  const dir = resolve(dirArg);
  const journal = openJournal(dir, o);
  const state = resumableState(journal, dir);
  const start = startOf(journal.read().find((e) => e.event === 'run-started')!);
  const { runbook: rbFile, interactive, ...info } = start;
  const s = await requireScenario(info.scenarioFile);
  if (info.labDir && !(await o.labLauncher?.running(info.labDir))) {
    throw new DrillError(
      'RESUME_LAB_GONE',
      `the lab of this run (${info.labDir}) is no longer running`,
      ExitCode.Precondition,
      { hint: 'a --lab run can be resumed while its lab lives; start a new drill' },
    );
  }
  announceResume({ journal, state, s, dir, o });
  const runbook = rbFile ? await reloadRunbook(rbFile, interactive ? o.ui : undefined) : undefined;
  return execute({
    s,
    state: stateFromJournal(journal)!,
    info,
    dir,
    journal,
    allow: o.allowContexts,
    reporter: o.reporter,
    clock: o.clock ?? systemClock,
    runbook,
    self: o.self ?? [],
    lab: o.labLauncher,
  });
}
