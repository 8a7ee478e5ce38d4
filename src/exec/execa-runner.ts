import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { CommandResult, CommandRunner } from './command.js';

// zx's and the shell's conventions for exit codes that are not the program's own
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGKILL: 137, SIGTERM: 143 };

export const execaRunner: CommandRunner = {
  async run(argv, o = {}) {
    const [file, ...args] = argv;
    const sub = execa(file!, args, { reject: false, timeout: o.timeoutMs, cancelSignal: o.signal, env: o.env, stdin: 'ignore', all: false });
    if (o.onOutput) {
      sub.stdout?.on('data', (d: Buffer) => o.onOutput!(d.toString()));
      sub.stderr?.on('data', (d: Buffer) => o.onOutput!(d.toString()));
    }
    return toResult(await sub);
  },
  async runZx(script, o = {}) {
    const require = createRequire(import.meta.url);
    const zxCli = join(dirname(require.resolve('zx/package.json')), 'build', 'cli.js');
    const r = await execa(process.execPath, [zxCli, script], { reject: false, timeout: o.timeoutMs, cancelSignal: o.signal, env: o.env, stdin: 'ignore' });
    return toResult(r);
  },
};

function toResult(r: { exitCode?: number; signal?: string; stdout?: unknown; stderr?: unknown; timedOut?: boolean; failed?: boolean; code?: string }): CommandResult {
  const exitCode = r.exitCode ?? (r.signal ? (SIGNAL_EXIT[r.signal] ?? 128) : r.code === 'ENOENT' ? 127 : 1);
  const text = (v: unknown): string => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : '');
  const stderr = text(r.stderr) || (r.code === 'ENOENT' ? 'command not found' : '');
  return { exitCode, stdout: text(r.stdout), stderr, timedOut: !!r.timedOut };
}
