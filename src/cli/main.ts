import yargs from 'yargs';
import type { Argv } from 'yargs';
import { ExitCode, usageError } from '../errors.js';
import { parseGoDuration } from '../time/go-duration.js';
import { registerActions } from './commands/actions.js';
import { registerAudit } from './commands/audit.js';
import { registerCluster } from './commands/cluster.js';
import { registerDrill } from './commands/drill.js';
import { registerEvidence } from './commands/evidence.js';
import { registerGuide } from './commands/guide.js';
import { registerHistory } from './commands/history.js';
import { registerLab } from './commands/lab.js';
import { registerSchedule } from './commands/schedule.js';
import { registerVelero } from './commands/velero.js';
import { printError } from './print-error.js';
import { VERSION } from './version.js';

/**
 * Runs the CLI and resolves to the exit code. It never calls process.exit(): reverts and
 * cursor restores in `finally` blocks must get to run.
 */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const setExit = (code: number): void => {
    exitCode = code;
  };
  const parser = build(yargs(argv), setExit);
  try {
    await parser.parseAsync();
  } catch (err) {
    const debug = argv.includes('--debug');
    exitCode = printError(err, debug);
  }
  return exitCode;
}

function build(y: Argv, setExit: (code: number) => void): Argv {
  y.scriptName('kdrill')
    .usage(
      'kdrill: Kubernetes disaster-recovery drills, measured.\n\n' +
        'Inject a disaster into a test cluster, restore it with Velero, prove the application came back,\n' +
        'and measure RTO and RPO against their objectives.\n\n' +
        'Usage: $0 <command> [options]',
    )
    .version(VERSION)
    // yargs would call process.exit() after --help and --version; cleanup and exit codes are ours
    .exitProcess(false)
    .option('debug', { type: 'boolean', default: false, describe: 'Print stack traces for errors' })
    .option('request-timeout', {
      type: 'string',
      describe:
        "How long one request to the Kubernetes API or S3 may go unanswered before kdrill gives up on it (kubectl's flag; e.g. 30s, 2m; default 30s)",
    })
    // one setting for this process and everything it starts (the lab, a runbook's kdrill commands)
    .middleware((a) => {
      const v = a.requestTimeout;
      if (v === undefined) return;
      // kubectl reads it as a Go duration (30s, 1m30s) or a number of seconds
      const seconds = /^\d+(\.\d+)?$/.test(v)
        ? Number(v)
        : /^(\d+(\.\d+)?(h|m|s|ms))+$/.test(v)
          ? parseGoDuration(v, 0) / 1000
          : undefined;
      if (seconds === undefined || !(seconds > 0) || seconds > 86400)
        throw usageError(
          `--request-timeout ${v} is not a duration between 1s and 24h`,
          'e.g. --request-timeout 30s, or 2m for a slow API server',
        );
      process.env.KDRILL_REQUEST_TIMEOUT = String(seconds);
    }, true)
    // No .env('KDRILL'): with .strict() any unrelated KDRILL_* variable would become an unknown flag.
    .strict()
    .demandCommand(1, 'Name a command; see the list above.')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue(
      'Exit codes: 0 ok, 1 internal error, 2 usage or invalid scenario, 3 objectives breached,\n' +
        '4 precondition failed (nothing touched), 5 cleanup incomplete, 130 interrupted.',
    )
    // yargs would print and exit 1 on its own; we want exit 2 and one line with a hint.
    .fail((msg: string | undefined, err: Error | undefined) => {
      if (err) throw err;
      throw usageError(msg ?? 'invalid command line', 'run `kdrill --help` to see the commands and options');
    });
  registerDrill(y, setExit);
  registerHistory(y, setExit);
  registerSchedule(y);
  registerAudit(y, setExit);
  registerGuide(y, setExit);
  registerLab(y, setExit);
  registerCluster(y);
  registerVelero(y, setExit);
  registerEvidence(y, setExit);
  registerActions(y);
  return y;
}

// Only when run directly (tsx src/cli/main.ts), not when imported by bin/ or tests.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = await main(process.argv.slice(2));
}
