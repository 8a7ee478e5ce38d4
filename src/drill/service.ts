import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { AwsObjectStore } from '../backupstore/aws-object-store.js';
import { settingsFromCluster } from '../backupstore/bsl.js';
import { DrillError, ExitCode, isDrillError } from '../errors.js';
import { execaRunner } from '../exec/execa-runner.js';
import { connectKube } from '../kube/client-node.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { LabLauncher, LabMonitoring } from './lab-port.js';
import { requireScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { systemClock, type Clock } from '../time/clock.js';
import { writeReports } from '../report/write.js';
import type { PublishOptions } from '../history/publish.js';
import { parseHistoryLocation } from '../history/store.js';
import { onPath } from '../guide/check.js';
import { runStepsNonInteractive } from '../guide/run-steps.js';
import { runGuidedSession, stepsFromJournal, type GuideUi } from '../guide/session.js';
import type { Runbook } from '../guide/runbook.js';
import { allowedContexts } from './allow.js';
import { Journal } from './journal.js';
import { buildResult } from './result.js';
import type { Reporter } from './context.js';
import { handleInterrupts } from './interrupts.js';
import { runDrill, type DrillRun } from './runner.js';
import { newState, stateFromJournal, type RunState } from './state.js';
import type { DrillResult, RunMode } from './types.js';

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
}

interface RunInfo {
  scenarioFile: string;
  kubeconfig?: string;
  context?: string;
  recoveryContext?: string;
  labDir?: string;
  keepLab: boolean;
  publish?: PublishOptions;
  /** The lab's Prometheus and Alertmanager, when it runs them. */
  monitoring?: LabMonitoring;
}

export interface GuideRunbook {
  file: string;
  runbook: Runbook;
  /** The operator's terminal; without it every step runs unattended (guide --yes). */
  ui?: GuideUi;
}

const stamp = (d: Date): string =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

/** `kdrill run`: sets up (or starts a lab), runs the drill, writes the reports; resolves to the exit code. */
export async function runScenario(o: RunOptions): Promise<{ exitCode: number; result?: DrillResult; dir: string }> {
  const clock = o.clock ?? systemClock;
  const s = await requireScenario(o.file);
  const started = clock.now();
  const runId = randomBytes(4).toString('hex');
  const dir = resolve(o.out ?? join('drill-reports', `${s.metadata.name}-${stamp(started)}`));
  await mkdir(dir, { recursive: true });
  await copyFile(o.file, join(dir, 'scenario.yaml'));
  const journal = new Journal(dir);
  const info: RunInfo = {
    scenarioFile: join(dir, 'scenario.yaml'),
    kubeconfig: o.kubeconfig,
    context: o.context ?? s.spec.target.context,
    recoveryContext: s.spec.recovery.context,
    keepLab: o.keepLab,
    publish: { ...o.publish, history: o.publish?.history ?? join(dirname(dir), 'history') },
  };
  if (o.lab) {
    info.labDir = join(dir, 'lab');
    o.reporter.info(
      `starting an ephemeral lab in ${info.labDir}${s.spec.lab?.hardened ? ' (hardened)' : ''}${s.spec.lab?.clusters === 2 ? ' with a recovery cluster' : ''}`,
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
    const st = await o.labLauncher.up({
      dir: info.labDir,
      hardened: s.spec.lab?.hardened,
      self: o.self,
      extraArgs: extra,
    });
    info.kubeconfig = st.kubeconfig;
    info.context = 'kdrill-lab';
    info.monitoring = st.monitoring;
  }
  const mode: RunMode = o.runbook ? (o.runbook.ui ? 'guide' : 'guide --yes') : 'run';
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

/** `kdrill resume <dir>`: continues a run from its journal. A Restore already created is waited on. */
export async function resumeRun(
  dirArg: string,
  o: {
    allowContexts: string[];
    reporter: Reporter;
    clock?: Clock;
    ui?: GuideUi;
    self?: string[];
    labLauncher?: LabLauncher;
    force?: boolean;
  },
): Promise<{ exitCode: number; result?: DrillResult; dir: string }> {
  const dir = resolve(dirArg);
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
  const start = journal.read().find((e) => e.event === 'run-started')!;
  const info = start as unknown as RunInfo;
  const s = await requireScenario(info.scenarioFile);
  if (info.labDir && !(await o.labLauncher?.running(info.labDir))) {
    throw new DrillError(
      'RESUME_LAB_GONE',
      `the lab of this run (${info.labDir}) is no longer running`,
      ExitCode.Precondition,
      { hint: 'a --lab run can be resumed while its lab lives; start a new drill' },
    );
  }
  const now = (o.clock ?? systemClock).now();
  const last = journal.read().at(-1)!;
  const open = [...state.timeline].reverse().find((t) => !t.endedAt);
  journal.append('resumed', {}, now);
  const down = Math.round((now.getTime() - Date.parse(last.at)) / 1000);
  o.reporter.info(
    `resuming run ${state.runId} of ${s.metadata.name} from ${dir}: it was ${last.event === 'interrupted' ? `interrupted (${String(last.signal)})` : 'killed'}${open ? ` during ${open.phase}` : ''} at ${last.at}, ${down}s ago; that time is recorded as kdrill's downtime`,
  );
  const resumedState = stateFromJournal(journal)!;
  let runbook: GuideRunbook | undefined;
  const rbFile = (start as { runbook?: string }).runbook;
  if (rbFile) {
    const { checkRunbook } = await import('../guide/check.js');
    const r = await checkRunbook(rbFile);
    if (!r.runbook)
      throw new DrillError(
        'RUNBOOK_INVALID',
        `the runbook of this run (${rbFile}) no longer checks: ${r.problems[0]?.message ?? ''}`,
        ExitCode.Usage,
        { hint: `kdrill guide ${rbFile} --check` },
      );
    runbook = {
      file: rbFile,
      runbook: r.runbook,
      ui: (start as { interactive?: boolean }).interactive ? o.ui : undefined,
    };
    // the session resumes from the journal: the drill must not think recovery already ended
  }
  return execute({
    s,
    state: resumedState,
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

/** One run (new or resumed) of a scenario, with everything it needs. */
interface Execution {
  s: Scenario;
  state: RunState;
  info: RunInfo;
  dir: string;
  journal: Journal;
  allow: string[];
  reporter: Reporter;
  clock: Clock;
  runbook?: GuideRunbook;
  self: string[];
  lab?: LabLauncher;
}

async function execute(x: Execution): Promise<{ exitCode: number; result?: DrillResult; dir: string }> {
  const { s, state, info, dir, journal, allow, reporter, clock, runbook } = x;
  const selfArgv = x.self;
  const stopLab = async (): Promise<void> => {
    if (info.labDir && !info.keepLab) await x.lab?.down(info.labDir);
  };
  const kube: KubeApi = connectKube({ kubeconfig: info.kubeconfig, context: info.context });
  const recoveryKube: KubeApi =
    info.recoveryContext && info.recoveryContext !== kube.context
      ? connectKube({ kubeconfig: info.kubeconfig, context: info.recoveryContext })
      : kube;
  const abort = new AbortController();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const interrupts = handleInterrupts({
    abort,
    journal,
    clock,
    reporter,
    dir,
    openPhase: () => [...state.timeline].reverse().find((t) => !t.endedAt)?.phase,
  });
  const deps = {
    kube,
    recoveryKube,
    storeFor: async (k: KubeApi, ns: string, bsl: string) => {
      const { settings } = await settingsFromCluster(k, ns, bsl);
      return { store: new AwsObjectStore(settings), prefix: settings.prefix };
    },
    exec: execaRunner,
    clock,
    reporter,
    signal: abort.signal,
    journal,
    allowed: allowedContexts(allow),
    history: typeof info.publish?.history === 'string' ? parseHistoryLocation(info.publish.history) : undefined,
    monitoring: info.monitoring,
    recoverWith: runbook
      ? async () => {
          // runbooks call `kdrill …`: the same kdrill, first on PATH
          const shim = await kdrillShim(dir, selfArgv);
          const env: Record<string, string> = {
            ...(process.env as Record<string, string>),
            PATH: `${shim}:${process.env.PATH ?? ''}`,
            ...(info.kubeconfig ? { KUBECONFIG: info.kubeconfig } : {}),
          };
          if (runbook.ui) {
            const g = await runGuidedSession(
              {
                runbook: runbook.runbook,
                file: runbook.file,
                ui: runbook.ui,
                exec: execaRunner,
                clock,
                journal,
                env,
                available: onPath,
                disasterAt: new Date(state.injectStartedAt ?? clock.now()),
                rtoSeconds: s.spec.objectives.rto,
              },
              stepsFromJournal(journal.read(), runbook.runbook),
            );
            state.runbook = { file: runbook.file, steps: g.steps };
            if (g.aborted)
              throw new DrillError('GUIDE_ABORTED', 'the operator aborted the guided session', ExitCode.Interrupted, {
                hint: `continue it with: kdrill guide --resume ${dir}`,
              });
            return {
              ok: g.steps.every((x) => x.status === 'done'),
              detail: `${g.steps.filter((x) => x.status === 'done').length}/${g.steps.length} steps done`,
            };
          }
          const r = await runStepsNonInteractive(runbook.runbook, {
            exec: execaRunner,
            clock,
            journal,
            env,
            signal: abort.signal,
            available: onPath,
            onStep: (x) =>
              reporter.info(`  ${x.status === 'done' ? 'ok  ' : 'FAIL'} ${x.title}${x.reason ? `: ${x.reason}` : ''}`),
          });
          state.runbook = { file: runbook.file, steps: r.steps };
          return {
            ok: r.ok,
            detail: r.ok ? `${r.steps.length} steps done` : `step "${r.steps[r.steps.length - 1]?.title}" failed`,
          };
        }
      : undefined,
  };
  let run: DrillRun;
  try {
    run = await runDrill(deps, s, state);
  } catch (e) {
    interrupts.dispose();
    if (isDrillError(e) && e.exitCode === ExitCode.Precondition && !state.injectStartedAt) {
      // nothing was touched: say why, keep the journal, write no verdict
      journal.append(
        'run-ended',
        { verdict: 'precondition-failed', exitCode: ExitCode.Precondition, code: e.code, error: e.message },
        clock.now(),
      );
      await stopLab();
    }
    throw e;
  }
  const { interrupted, revertFailures, error } = run;
  // what discovery had to skip was not inventoried: say so in the evidence
  for (const k of new Set([kube, recoveryKube]))
    for (const w of k.discoveryWarnings?.() ?? []) state.notes.push(`${k.context}: ${w}`);
  const result = buildResult(s, state, {
    context: kube.context,
    recoveryContext: recoveryKube.context,
    endedAt: clock.now(),
    revertFailures,
    interrupted,
    error,
  });
  const cpu = process.cpuUsage(cpu0);
  result.resources = { cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (performance.now() - wall0) / 1000 };
  reporter.phase('report', 'start');
  const files = await writeReports(dir, result);
  reporter.phase('report', 'ok', files.map((f) => f.split('/').pop()).join(', '));
  if (!interrupted) {
    journal.append('run-ended', { verdict: result.verdict, exitCode: result.exitCode }, clock.now());
    if (result.exitCode === ExitCode.CleanupIncomplete) {
      reporter.info(
        [
          'the cluster may still be degraded. Still missing:',
          ...(result.stillMissing ?? []).map((m) => `  - ${m}`),
          `Continue it (waits on existing Restores, creates the missing ones, re-runs failed reverts): kdrill resume ${dir}`,
        ].join('\n'),
      );
    }
    // an unfinished recovery keeps its lab for that
    if (!(result.exitCode === ExitCode.CleanupIncomplete && !state.verify)) await stopLab();
    if (info.publish) {
      const { publishRun } = await import('../history/publish.js');
      const done = await publishRun(result, info.publish, (m) => reporter.info(`warning: ${m}`));
      if (done.length) reporter.info(`recorded: ${done.join('; ')}`);
    }
  }
  interrupts.dispose();
  return { exitCode: result.exitCode, result, dir };
}

async function kdrillShim(dir: string, self: string[]): Promise<string> {
  const bin = join(dir, '.bin');
  await mkdir(bin, { recursive: true });
  const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
  await writeFile(join(bin, 'kdrill'), `#!/bin/sh\nexec ${self.map(quote).join(' ')} "$@"\n`, { mode: 0o755 });
  return bin;
}
