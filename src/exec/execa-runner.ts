import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { MAX_TIMER_MS, setLongTimeout } from '../time/long-timeout.js';
import { DrillError, ExitCode } from '../errors.js';
import type { CommandResult, CommandRunner } from './command.js';

// zx's and the shell's conventions for exit codes that are not the program's own
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGKILL: 137, SIGTERM: 143 };

/**
 * A deadline for a child process, of any length: execa's own `timeout` is one Node timer, which fires at
 * once beyond about 24.8 days; a longer one is kept here, in chunks, and kills the child when it ends.
 */
async function bounded<T extends { kill(signal?: NodeJS.Signals): boolean }>(
  sub: T & PromiseLike<unknown>,
  timeoutMs: number | undefined,
): Promise<{ timedOut: boolean }> {
  if (timeoutMs === undefined || timeoutMs <= MAX_TIMER_MS) return { timedOut: false };
  let timedOut = false;
  const t = setLongTimeout(() => {
    timedOut = true;
    sub.kill('SIGTERM');
  }, timeoutMs);
  await Promise.resolve(sub).then(
    () => t.clear(),
    () => t.clear(),
  );
  return { timedOut };
}

const execaTimeout = (ms: number | undefined): number | undefined =>
  ms !== undefined && ms <= MAX_TIMER_MS ? ms : undefined;

/**
 * zx's CLI, which a scenario's `script:` step runs as a program: from the zx package kdrill depends
 * on (a checkout, an npm install, or the image, whose final stage copies node_modules/zx for this).
 */
function zxCli(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('zx/package.json')), 'build', 'cli.js');
  } catch (e) {
    throw new DrillError(
      'ZX_MISSING',
      `a script: step needs zx, which is not installed beside kdrill`,
      ExitCode.Precondition,
      {
        hint: "install kdrill with its dependencies (npm install), or use an image built from kdrill's Dockerfile",
        cause: e,
      },
    );
  }
}

async function runBounded(
  file: string,
  args: string[],
  o: { timeoutMs?: number; signal?: AbortSignal; env?: Record<string, string>; onOutput?: (chunk: string) => void },
): Promise<CommandResult> {
  const sub = execa(file, args, {
    reject: false,
    timeout: execaTimeout(o.timeoutMs),
    cancelSignal: o.signal,
    env: o.env,
    stdin: 'ignore',
    all: false,
  });
  if (o.onOutput) {
    sub.stdout?.on('data', (d: Buffer) => o.onOutput!(d.toString()));
    sub.stderr?.on('data', (d: Buffer) => o.onOutput!(d.toString()));
  }
  const long = bounded(sub, o.timeoutMs);
  const r = toResult(await sub);
  return (await long).timedOut ? { ...r, timedOut: true } : r;
}

export const execaRunner: CommandRunner = {
  run: (argv, o = {}) => runBounded(argv[0]!, argv.slice(1), o),
  runZx: async (script, o = {}) => runBounded(process.execPath, [zxCli(), script], o),
};

function toResult(r: {
  exitCode?: number;
  signal?: string;
  stdout?: unknown;
  stderr?: unknown;
  timedOut?: boolean;
  failed?: boolean;
  code?: string;
}): CommandResult {
  const exitCode = r.exitCode ?? (r.signal ? (SIGNAL_EXIT[r.signal] ?? 128) : r.code === 'ENOENT' ? 127 : 1);
  const text = (v: unknown): string => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : '');
  const stderr = text(r.stderr) || (r.code === 'ENOENT' ? 'command not found' : '');
  return { exitCode, stdout: text(r.stdout), stderr, timedOut: !!r.timedOut };
}
