import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const BIN = resolve('bin/kdrill.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would. */
export function kdrill(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

/** One line of message, one hint, no stack trace: what an operator at 2 AM should see. */
export function expectCleanError(r: CliResult, code: number, pattern: RegExp): void {
  if (r.code !== code) throw new Error(`exit ${r.code}, wanted ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  if (!pattern.test(r.stderr)) throw new Error(`stderr does not match ${pattern}: ${r.stderr}`);
  if (/\n\s+at .+:\d+:\d+/.test(r.stderr)) throw new Error(`stack trace in stderr: ${r.stderr}`);
  // progress lines may come first; the error is one "kdrill: …" line followed by its hint
  const lines = r.stderr.trim().split('\n');
  const at = lines.findIndex((l) => l.startsWith('kdrill: '));
  if (at < 0 || !lines.slice(at).some((l) => l.trim().startsWith('hint:')))
    throw new Error(`not "kdrill: …" plus a hint: ${r.stderr}`);
}
