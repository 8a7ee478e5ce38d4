import type { Reporter } from '../drill/runner.js';
import type { Phase } from '../drill/types.js';

/** Plain lines, for CI logs and pipes: no colours, no cursor tricks. */
export function plainReporter(out: NodeJS.WritableStream = process.stderr): Reporter {
  const t = (): string => new Date().toISOString().slice(11, 19);
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

/**
 * listr2 on a TTY: one task per phase, each finishing when the engine says so. The engine knows
 * nothing of listr2; this adapter turns its events into task states.
 */
export async function listrReporter(phases: Phase[]): Promise<{ reporter: Reporter; done: () => Promise<void> }> {
  const { Listr, ProcessOutput } = await import('listr2');
  const waits = new Map<
    Phase,
    { resolve: () => void; reject: (e: Error) => void; output: (s: string) => void; title: (s: string) => void }
  >();
  const pending = new Map<Phase, { status: 'ok' | 'fail' | 'skip'; detail?: string }>();
  let current: Phase | undefined;
  const list = new Listr(
    phases.map((p) => ({
      title: p,
      task: (_ctx: unknown, task: { output: string; title: string; skip: (m?: string) => void }) =>
        new Promise<void>((resolve, reject) => {
          waits.set(p, {
            resolve,
            reject,
            output: (s) => {
              task.output = s;
            },
            title: (s) => {
              task.title = s;
            },
          });
          const early = pending.get(p);
          if (early) finish(p, early.status, early.detail);
        }),
    })),
    {
      concurrent: false,
      exitOnError: false,
      registerSignalListeners: false,
      rendererOptions: { collapseSubtasks: false },
      renderer: 'default',
      output: new ProcessOutput(process.stderr, process.stderr),
    } as never,
  );
  const finish = (p: Phase, status: 'ok' | 'fail' | 'skip', detail?: string): void => {
    const w = waits.get(p);
    if (!w) {
      pending.set(p, { status, detail });
      return;
    }
    if (detail) w.title(`${p}: ${detail}`);
    if (status === 'fail') w.reject(new Error(detail ?? 'failed'));
    else w.resolve();
  };
  const running = list.run().catch(() => undefined);
  return {
    reporter: {
      phase: (p, status, detail) => {
        if (status === 'start') {
          current = p;
          // phases the run did not need (a backup when none is taken) are closed as skipped
          for (const q of phases.slice(0, phases.indexOf(p))) if (!pending.has(q) && !waits.get(q)) finish(q, 'skip');
          return;
        }
        finish(p, status, detail);
      },
      info: (msg) => {
        if (current) waits.get(current)?.output(msg.trim());
      },
    },
    done: async () => {
      for (const p of phases) if (!pending.has(p)) finish(p, 'skip');
      await running;
    },
  };
}
