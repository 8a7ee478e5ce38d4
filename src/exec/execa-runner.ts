import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { MAX_TIMER_MS, setLongTimeout } from '../time/long-timeout.js';
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

export const execaRunner: CommandRunner = {
  async run(argv, o = {}) {
    const [file, ...args] = argv;
    const sub = execa(file!, args, {
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
  },
  async runZx(script, o = {}) {
    const require = createRequire(import.meta.url);
    const zxCli = join(dirname(require.resolve('zx/package.json')), 'build', 'cli.js');
    const sub = execa(process.execPath, [zxCli, script], {
      reject: false,
      timeout: execaTimeout(o.timeoutMs),
      cancelSignal: o.signal,
      env: o.env,
      stdin: 'ignore',
    });
    const long = bounded(sub, o.timeoutMs);
    const r = toResult(await sub);
    return (await long).timedOut ? { ...r, timedOut: true } : r;
  },
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
