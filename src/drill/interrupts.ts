import { DrillError, ExitCode } from '../errors.js';
import type { Clock } from '../time/clock.js';
import type { Reporter } from './context.js';
import type { Journal } from './journal.js';

/**
 * Ctrl-C (and SIGTERM) during a drill: the first stops the drill at once (every wait and request
 * checks the signal), then the reverts on the cleanup stack run and the reports are written (exit
 * 130); a second says the reverts are still running; a third abandons them: the journal records
 * `reverts-abandoned`, kdrill stops, and `kdrill resume` runs them.
 */
export function handleInterrupts(o: {
  abort: AbortController;
  journal: Journal;
  clock: Clock;
  reporter: Reporter;
  dir: string;
  openPhase: () => string | undefined;
}): { dispose(): void } {
  let count = 0;
  const on = (sig: string): void => {
    count++;
    if (count === 1) {
      o.reporter.info(`${sig}: stopping; the reverts run and the journal is kept (kdrill resume ${o.dir})`);
      const phase = o.openPhase();
      o.journal.append('interrupted', { signal: sig, ...(phase ? { phase } : {}) }, o.clock.now());
      o.abort.abort(new DrillError('INTERRUPTED', `interrupted by ${sig}`, ExitCode.Interrupted));
    } else if (count === 2) {
      o.reporter.info(
        `${sig} again: the reverts are still running (they undo the disaster). Press Ctrl-C once more to abandon them; kdrill resume ${o.dir} runs them later`,
      );
    } else {
      o.journal.append('reverts-abandoned', { signal: sig }, o.clock.now());
      process.stderr.write(
        `kdrill: reverts abandoned; the cluster may still be degraded\n  hint: run them with: kdrill resume ${o.dir}\n`,
      );
      // the operator asked to stop now, with reverts in flight: nothing more may run
      process.exit(ExitCode.Interrupted);
    }
  };
  const sigint = (): void => on('SIGINT');
  const sigterm = (): void => on('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);
  return {
    dispose: () => {
      process.off('SIGINT', sigint);
      process.off('SIGTERM', sigterm);
    },
  };
}
