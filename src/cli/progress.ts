import type { Reporter } from '../drill/runner.js';
import type { Phase } from '../drill/types.js';
import { systemClock, type Clock } from '../time/clock.js';

/** Plain lines, for CI logs and pipes: no colours, no cursor tricks; stamped with the drill's clock. */
export function plainReporter(out: NodeJS.WritableStream = process.stderr, clock: Clock = systemClock): Reporter {
  const t = (): string => clock.now().toISOString().slice(11, 19);
  return {
    phase: (p, status, detail) => {
      if (status === 'start') out.write(`${t()} ▶ ${p}\n`);
      else
        out.write(
          `${t()} ${status === 'ok' ? '✔' : status === 'skip' ? '–' : '✖'} ${p}${detail ? `: ${detail}` : ''}\n`,
        );
    },
    info: (msg) => out.write(`${t()}   ${msg.trim()}\n`),
  };
}

export const silentReporter: Reporter = { phase: () => undefined, info: () => undefined };

type Status = 'ok' | 'fail' | 'skip';

interface TaskHandle {
  output: string;
  title: string;
}

/**
 * One promise per phase, for listr2 to show as a task, settled when the engine reports the phase's
 * end. An end reported before listr2 started the task is kept until it does.
 */
function phaseTasks() {
  const waits = new Map<Phase, { resolve: () => void; reject: (e: Error) => void; task: TaskHandle }>();
  const pending = new Map<Phase, { status: Status; detail?: string }>();
  const finish = (p: Phase, status: Status, detail?: string): void => {
    const w = waits.get(p);
    if (!w) {
      pending.set(p, { status, detail });
      return;
    }
    if (detail) w.task.title = `${p}: ${detail}`;
    if (status === 'fail') w.reject(new Error(detail ?? 'failed'));
    else w.resolve();
  };
  const task = (p: Phase) => (_ctx: unknown, t: TaskHandle) =>
    new Promise<void>((resolve, reject) => {
      waits.set(p, { resolve, reject, task: t });
      const early = pending.get(p);
      if (early) finish(p, early.status, early.detail);
    });
  const output = (p: Phase, s: string): void => {
    const w = waits.get(p);
    if (w) w.task.output = s;
  };
  const settled = (p: Phase): boolean => pending.has(p) || waits.has(p);
  return { finish, task, output, settled, reported: (p: Phase) => pending.has(p) };
}

/**
 * listr2 on a TTY: one task per phase, each finishing when the engine says so. The engine knows
 * nothing of listr2; this adapter turns its events into task states.
 */
export async function listrReporter(phases: Phase[]): Promise<{ reporter: Reporter; done: () => Promise<void> }> {
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
  const t = phaseTasks();
  let current: Phase | undefined;
  // progress on stderr: stdout is for the verdict (and for -o json/yaml). listr2 picks its renderer by
  // stdout, so with stdout piped the fallback renderer draws, and it needs the same logger.
  const logger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) });
  const list = new Listr(
    phases.map((p) => ({ title: p, task: t.task(p) })),
    {
      concurrent: false,
      exitOnError: false,
      registerSignalListeners: false,
      renderer: 'default',
      rendererOptions: { collapseSubtasks: false, logger },
      fallbackRenderer: 'simple',
      fallbackRendererOptions: { logger },
    },
  );
  const running = list.run().catch(() => undefined);
  return {
    reporter: {
      phase: (p, status, detail) => {
        if (status !== 'start') return t.finish(p, status, detail);
        current = p;
        // phases the run did not need (a backup when none is taken) are closed as skipped
        for (const q of phases.slice(0, phases.indexOf(p))) if (!t.settled(q)) t.finish(q, 'skip');
      },
      info: (msg) => {
        if (current) t.output(current, msg.trim());
      },
    },
    done: async () => {
      for (const p of phases) if (!t.reported(p)) t.finish(p, 'skip');
      await running;
    },
  };
}
