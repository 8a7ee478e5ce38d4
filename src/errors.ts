/** Exit codes, one meaning each (DESIGN §7). A const object, not an enum: erasableSyntaxOnly. */
export const ExitCode = {
  Ok: 0,
  Internal: 1,
  Usage: 2,
  ObjectivesBreached: 3,
  Precondition: 4,
  CleanupIncomplete: 5,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const BRAND = Symbol.for('kdrill.DrillError');

/**
 * An error the user can act on: one line of what happened, a hint, and the exit code it maps to.
 * Anything that is not a DrillError is a bug and exits 1.
 */
export class DrillError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint?: string;
  readonly runbook?: string;

  constructor(
    code: string,
    message: string,
    exitCode: ExitCode,
    opts: { hint?: string; runbook?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'DrillError';
    this.code = code;
    this.exitCode = exitCode;
    this.hint = opts.hint;
    this.runbook = opts.runbook;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** Survives two copies of the module (bundle chunks, tests importing src and dist). */
export function isDrillError(e: unknown): e is DrillError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

export function usageError(message: string, hint?: string): DrillError {
  return new DrillError('USAGE', message, ExitCode.Usage, { hint });
}

export function preconditionError(code: string, message: string, hint?: string, cause?: unknown): DrillError {
  return new DrillError(code, message, ExitCode.Precondition, { hint, cause });
}
