import { ExitCode, isDrillError } from '../errors.js';

/** Prints an error the way an operator at 2 AM needs it: one line, a hint, no stack unless asked. */
export function printError(err: unknown, debug: boolean, out: NodeJS.WritableStream = process.stderr): number {
  if (isDrillError(err)) {
    out.write(`kdrill: ${err.message}\n`);
    if (err.hint) out.write(`  hint: ${err.hint}\n`);
    if (err.runbook) out.write(`  See ${err.runbook}\n`);
    if (debug && err.stack) out.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  out.write(`kdrill: internal error: ${message}\n`);
  out.write('  hint: this is a bug in kdrill; rerun with --debug and report the output.\n');
  if (debug && err instanceof Error && err.stack) out.write(`${err.stack}\n`);
  return ExitCode.Internal;
}
