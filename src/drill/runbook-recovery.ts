import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DrillError, ExitCode } from '../errors.js';
import { execaRunner } from '../exec/execa-runner.js';
import { onPath } from '../guide/check.js';
import type { Runbook } from '../guide/runbook.js';
import { runStepsNonInteractive } from '../guide/run-steps.js';
import { runGuidedSession, stepsFromJournal, type GuideUi } from '../guide/session.js';
import type { Scenario } from '../scenario/schema.js';
import type { Clock } from '../time/clock.js';
import type { Reporter, RunDeps } from './context.js';
import type { Journal } from './journal.js';
import type { RunState } from './state.js';

export interface GuideRunbook {
  file: string;
  runbook: Runbook;
  /** The operator's terminal; without it every step runs unattended (guide --yes). */
  ui?: GuideUi;
}

/** What recovering by a runbook needs of the run it belongs to. */
export interface RunbookRun {
  runbook: GuideRunbook;
  s: Scenario;
  state: RunState;
  dir: string;
  journal: Journal;
  reporter: Reporter;
  clock: Clock;
  self: string[];
  kubeconfig?: string;
  signal: AbortSignal;
}

type Recovered = Awaited<ReturnType<NonNullable<RunDeps['recoverWith']>>>;

async function kdrillShim(dir: string, self: string[]): Promise<string> {
  const bin = join(dir, '.bin');
  await mkdir(bin, { recursive: true });
  const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
  await writeFile(join(bin, 'kdrill'), `#!/bin/sh\nexec ${self.map(quote).join(' ')} "$@"\n`, { mode: 0o755 });
  return bin;
}

/** An operator follows the runbook step by step in their terminal. */
async function guided(r: RunbookRun, ui: GuideUi, env: Record<string, string>): Promise<Recovered> {
  const { runbook, clock, journal, state } = r;
  const g = await runGuidedSession(
    {
      runbook: runbook.runbook,
      file: runbook.file,
      ui,
      exec: execaRunner,
      clock,
      journal,
      env,
      available: onPath,
      disasterAt: new Date(state.injectStartedAt ?? clock.now()),
      rtoSeconds: r.s.spec.objectives.rto,
    },
    stepsFromJournal(journal.read(), runbook.runbook),
  );
  state.runbook = { file: runbook.file, steps: g.steps };
  if (g.aborted)
    throw new DrillError('GUIDE_ABORTED', 'the operator aborted the guided session', ExitCode.Interrupted, {
      hint: `continue it with: kdrill guide --resume ${r.dir}`,
    });
  return {
    ok: g.steps.every((x) => x.status === 'done'),
    detail: `${g.steps.filter((x) => x.status === 'done').length}/${g.steps.length} steps done`,
  };
}

/** Every runnable block of the runbook in order, unattended (guide --yes). */
async function unattended(r: RunbookRun, env: Record<string, string>): Promise<Recovered> {
  const res = await runStepsNonInteractive(r.runbook.runbook, {
    exec: execaRunner,
    clock: r.clock,
    journal: r.journal,
    env,
    signal: r.signal,
    available: onPath,
    onStep: (x) =>
      r.reporter.info(`  ${x.status === 'done' ? 'ok  ' : 'FAIL'} ${x.title}${x.reason ? `: ${x.reason}` : ''}`),
  });
  r.state.runbook = { file: r.runbook.file, steps: res.steps };
  return {
    ok: res.ok,
    detail: res.ok ? `${res.steps.length} steps done` : `step "${res.steps[res.steps.length - 1]?.title}" failed`,
  };
}

/** Recovery by following a runbook instead of kdrill's own restores. */
export function recoverByRunbook(r: RunbookRun): () => Promise<Recovered> {
  return async () => {
    // runbooks call `kdrill …`: the same kdrill, first on PATH
    const shim = await kdrillShim(r.dir, r.self);
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      PATH: `${shim}:${process.env.PATH ?? ''}`,
      ...(r.kubeconfig ? { KUBECONFIG: r.kubeconfig } : {}),
    };
    return r.runbook.ui ? guided(r, r.runbook.ui, env) : unattended(r, env);
  };
}
