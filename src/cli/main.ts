import yargs from 'yargs';
import type { Argv } from 'yargs';
import { ExitCode, usageError } from '../errors.js';
import { registerAudit } from './commands/audit.js';
import { registerCluster } from './commands/cluster.js';
import { registerDrill } from './commands/drill.js';
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
  return y;
}

// Only when run directly (tsx src/cli/main.ts), not when imported by bin/ or tests.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = await main(process.argv.slice(2));
}
