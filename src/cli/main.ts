import yargs from 'yargs';
import type { Argv, Options } from 'yargs';
import { ExitCode, usageError } from '../errors.js';
import { fromYargs, requestTimeoutArg } from './coerce.js';
import type { CliContext } from './command.js';
import { registerActions } from './commands/actions.js';
import { registerAudit } from './commands/audit.js';
import { registerCluster } from './commands/cluster.js';
import { registerDrill } from './commands/drill.js';
import { registerGc } from './commands/gc.js';
import { registerEvidence } from './commands/evidence.js';
import { registerGuide } from './commands/guide.js';
import { registerHistory } from './commands/history.js';
import { registerLab } from './commands/lab.js';
import { registerLint } from './commands/lint.js';
import { registerSchedule } from './commands/schedule.js';
import { registerScope } from './commands/scope.js';
import { registerVelero } from './commands/velero.js';
import { printError } from './print-error.js';
import { VERSION } from './version.js';

const GLOBAL_OPTIONS = {
  debug: { type: 'boolean', default: false, describe: 'Print stack traces for errors' },
  'request-timeout': {
    type: 'string',
    describe:
      "How long one request to the Kubernetes API or S3 may go unanswered before kdrill gives up on it (kubectl's flag; e.g. 30s, 2m; default 30s)",
    coerce: requestTimeoutArg,
  },
} as const satisfies Record<string, Options>;

/**
 * Runs the CLI and resolves to the exit code. It never calls process.exit(): reverts and
 * cursor restores in `finally` blocks must get to run. `scriptName` is how the user called it
 * (`kubectl kdrill` through the kubectl plugin).
 */
export async function main(argv: string[], o: { scriptName?: string } = {}): Promise<number> {
  // kdrill supports Node 20.19 on purpose; the AWS SDK's notice that its 2027 releases will want
  // Node 22 is noise at 2 AM. The SDK's documented switch, for this process and what it starts.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let exitCode: number = ExitCode.Ok;
  const ctx: CliContext = { setExit: (code) => (exitCode = code) };
  try {
    await build(yargs(argv), ctx, o.scriptName ?? 'kdrill').parseAsync();
  } catch (err) {
    exitCode = printError(err, argv.includes('--debug'));
  }
  return exitCode;
}

function build(y: Argv, ctx: CliContext, scriptName: string): Argv {
  y.scriptName(scriptName)
    .usage(
      'kdrill: Kubernetes disaster-recovery drills, measured.\n\n' +
        'Inject a disaster into a test cluster, restore it with Velero, prove the application came back,\n' +
        'and measure RTO and RPO against their objectives.\n\n' +
        'Usage: $0 <command> [options]',
    )
    .version(VERSION)
    // yargs would call process.exit() after --help and --version; cleanup and exit codes are ours
    .exitProcess(false)
    .options(GLOBAL_OPTIONS)
    // one setting for this process and everything it starts (the lab, a runbook's kdrill commands)
    .middleware((a) => {
      if (a.requestTimeout !== undefined) process.env.KDRILL_REQUEST_TIMEOUT = String(a.requestTimeout);
    })
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
      if (err) throw fromYargs(err);
      throw usageError(msg ?? 'invalid command line', `run \`${scriptName} --help\` to see the commands and options`);
    });
  for (const register of [
    registerDrill,
    registerHistory,
    registerSchedule,
    registerAudit,
    registerGuide,
    registerLab,
    registerCluster,
    registerVelero,
    registerGc,
    registerScope,
    registerLint,
    registerEvidence,
    registerActions,
  ])
    register(y, ctx);
  return y;
}

// Only when run directly (tsx src/cli/main.ts), not when imported by bin/ or tests.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = await main(process.argv.slice(2));
}
