import { storeReuse } from '../backupstore/store-cache.js';
import { AwsObjectStore } from '../backupstore/aws-object-store.js';
import { settingsFromCluster } from '../backupstore/bsl.js';
import { ExitCode, isDrillError } from '../errors.js';
import { execaRunner } from '../exec/execa-runner.js';
import type { PublishOptions } from '../history/publish.js';
import { parseHistoryLocation } from '../history/store.js';
import { connectKube } from '../kube/client-node.js';
import type { KubeApi } from '../kube/kube-api.js';
import { completeEvidence } from '../evidence/run-hook.js';
import { writeReports } from '../report/write.js';
import type { Scenario } from '../scenario/schema.js';
import type { Clock } from '../time/clock.js';
import { allowedContexts } from './allow.js';
import type { Reporter, RunDeps } from './context.js';
import { handleInterrupts } from './interrupts.js';
import type { Journal } from './journal.js';
import type { LabLauncher, LabMonitoring } from './lab-port.js';
import { buildResult } from './result.js';
import { recoverByRunbook, type GuideRunbook } from './runbook-recovery.js';
import { runDrill, type DrillRun } from './runner.js';
import { runRestoreTest } from '../restore-test/run.js';
import type { RunState } from './state.js';
import type { DrillResult } from './types.js';

/** Where and how a run runs: what `run-started` journals, so that resume can run it again. */
export interface RunInfo {
  scenarioFile: string;
  kubeconfig?: string;
  context?: string;
  recoveryContext?: string;
  labDir?: string;
  keepLab: boolean;
  publish?: PublishOptions;
  /** A restore test's --keep: its sandbox stays (until it expires). */
  keepSandbox?: boolean;
  /** Who owns the run's action items (default: the scenario's drill leader). */
  actionOwner?: string;
  /** The lab's Prometheus and Alertmanager, when it runs them. */
  monitoring?: LabMonitoring;
}

/** One run (new or resumed) of a scenario, with everything it needs. */
export interface Execution {
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

export interface Executed {
  exitCode: number;
  result?: DrillResult;
  dir: string;
}

function clusters(info: RunInfo): { kube: KubeApi; recoveryKube: KubeApi } {
  const kube = connectKube({ kubeconfig: info.kubeconfig, context: info.context });
  const recoveryKube =
    info.recoveryContext && info.recoveryContext !== kube.context
      ? connectKube({ kubeconfig: info.kubeconfig, context: info.recoveryContext })
      : kube;
  return { kube, recoveryKube };
}

function runDeps(x: Execution, signal: AbortSignal): RunDeps {
  const { info, runbook } = x;
  const store = storeReuse((s) => new AwsObjectStore(s));
  return {
    ...clusters(info),
    storeFor: async (k: KubeApi, ns: string, bsl: string) => {
      const { settings } = await settingsFromCluster(k, ns, bsl);
      return { store: store(settings), prefix: settings.prefix };
    },
    exec: execaRunner,
    clock: x.clock,
    reporter: x.reporter,
    signal,
    journal: x.journal,
    allowed: allowedContexts(x.allow),
    history: typeof info.publish?.history === 'string' ? parseHistoryLocation(info.publish.history) : undefined,
    monitoring: info.monitoring,
    recoverWith: runbook ? recoverByRunbook({ ...x, runbook, kubeconfig: info.kubeconfig, signal }) : undefined,
  };
}

const stopLab = async (x: Execution): Promise<void> => {
  if (x.info.labDir && !x.info.keepLab) await x.lab?.down(x.info.labDir);
};

/** The drill (or restore test) itself; a precondition that stopped it before the disaster is journaled as the run's end. */
async function drill(x: Execution, deps: RunDeps): Promise<DrillRun> {
  try {
    return x.s.spec.mode === 'restore-test'
      ? await runRestoreTest(deps, x.s, x.state, { keep: !!x.info.keepSandbox })
      : await runDrill(deps, x.s, x.state);
  } catch (e) {
    if (isDrillError(e) && e.exitCode === ExitCode.Precondition && !x.state.injectStartedAt) {
      // nothing was touched: say why, keep the journal, write no verdict
      x.journal.append(
        'run-ended',
        { verdict: 'precondition-failed', exitCode: ExitCode.Precondition, code: e.code, error: e.message },
        x.clock.now(),
      );
      await stopLab(x);
    }
    throw e;
  }
}

/** A run that was not interrupted ends: journaled, the lab stopped unless recovery is unfinished, published. */
async function ended(x: Execution, result: DrillResult): Promise<void> {
  const { journal, reporter, info } = x;
  journal.append('run-ended', { verdict: result.verdict, exitCode: result.exitCode }, x.clock.now());
  if (result.exitCode === ExitCode.CleanupIncomplete) {
    reporter.info(
      [
        'the cluster may still be degraded. Still missing:',
        ...(result.stillMissing ?? []).map((m) => `  - ${m}`),
        `Continue it (waits on existing Restores, creates the missing ones, re-runs failed reverts): kdrill resume ${x.dir}`,
      ].join('\n'),
    );
  }
  // an unfinished recovery keeps its lab for that
  if (!(result.exitCode === ExitCode.CleanupIncomplete && !x.state.verify)) await stopLab(x);
  if (info.publish) {
    const { publishRun } = await import('../history/publish.js');
    const done = await publishRun(result, info.publish, (m) => reporter.info(`warning: ${m}`), x.clock);
    if (done.length) reporter.info(`recorded: ${done.join('; ')}`);
  }
}

/** Runs the drill, writes its reports, and ends the run; resolves to the exit code. */
export async function execute(x: Execution): Promise<Executed> {
  const { state, journal, clock, reporter, dir } = x;
  const abort = new AbortController();
  const deps = runDeps(x, abort.signal);
  const cpu0 = process.cpuUsage();
  const wall0 = clock.now().getTime();
  const interrupts = handleInterrupts({
    abort,
    journal,
    clock,
    reporter,
    dir,
    openPhase: () => [...state.timeline].reverse().find((t) => !t.endedAt)?.phase,
  });
  let run: DrillRun;
  try {
    run = await drill(x, deps);
  } catch (e) {
    interrupts.dispose();
    throw e;
  }
  // what discovery had to skip was not inventoried: say so in the evidence
  for (const k of new Set([deps.kube, deps.recoveryKube]))
    for (const w of k.discoveryWarnings?.() ?? []) state.notes.push(`${k.context}: ${w}`);
  const result = buildResult(x.s, state, {
    context: deps.kube.context,
    recoveryContext: deps.recoveryKube.context,
    endedAt: clock.now(),
    ...run,
  });
  const cpu = process.cpuUsage(cpu0);
  result.resources = { cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (clock.now().getTime() - wall0) / 1000 };
  reporter.phase('report', 'start');
  await completeEvidence(result, {
    scenario: x.s,
    kubes: [deps.kube, deps.recoveryKube],
    history: x.info.publish,
    owner: x.info.actionOwner,
    clock,
    info: (m) => reporter.info(m),
  });
  const files = await writeReports(dir, result);
  reporter.phase('report', 'ok', files.map((f) => f.split('/').pop()).join(', '));
  if (!run.interrupted) await ended(x, result);
  interrupts.dispose();
  return { exitCode: result.exitCode, result, dir };
}
