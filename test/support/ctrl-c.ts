import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { BIN } from './cli.js';
import { eventually } from './eventually.js';

/**
 * Runs `kdrill <args>` and presses Ctrl-C (SIGINT) once its second Restore (everything after the
 * NetworkPolicies) is under way in `out` and `landed` says something is in the target: kdrill must
 * exit 130. Killed for good whatever happens, so no run outlives its test.
 */
export async function ctrlCDuringRestore(
  args: string[],
  out: string,
  landed: () => Promise<boolean>,
  o: { restoreMs?: number; landedMs?: number } = {},
): Promise<void> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  try {
    await eventually(
      async () => (await readFile(join(out, 'journal.jsonl'), 'utf8').catch(() => '')).includes('"phase":2,"name"'),
      'the second Restore',
      o.restoreMs ?? 90_000,
      10,
    );
    await eventually(landed, 'something to land', o.landedMs ?? 30_000, 10);
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
  } finally {
    child.kill('SIGKILL');
  }
}
