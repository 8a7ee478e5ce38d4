import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DrillResult } from '../../src/drill/types.js';
import { BIN, kdrill } from '../support/cli.js';

const records = async (journal: string): Promise<string[]> =>
  (await readFile(journal, 'utf8').catch(() => '')).split('\n').filter((l) => l.endsWith('}'));

/** Starts a lab drill and SIGKILLs it as soon as its journal holds `k` records. */
async function killAfter(k: number): Promise<{ out: string; killedAt: string }> {
  const out = join(await mkdtemp(join(tmpdir(), `kdrill-kill-${k}-`)), 'report');
  const journal = join(out, 'journal.jsonl');
  const child = spawn(process.execPath, [BIN, 'run', 'scenarios/namespace-loss.yaml', '--lab', '--out', out], {
    stdio: 'ignore',
    env: { ...process.env, KDRILL_LAB_RESTORE_ITEM_DELAY_MS: '5' },
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let killedAt = '';
  for (let i = 0; i < 120_000 / 5; i++) {
    const rs = await records(journal);
    if (rs.length >= k) {
      child.kill('SIGKILL');
      killedAt = JSON.parse(rs[k - 1]!).event as string;
      break;
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  await exited;
  return { out, killedAt };
}

/**
 * Kill after every journal record: for each k, a drill is SIGKILLed once its journal holds k records,
 * then `kdrill resume` finishes it. Each must pass, create each Restore once, and say it was interrupted.
 */
describe('the kill matrix: SIGKILL after every journal record, then resume', () => {
  it('every kill point resumes to a pass, one Restore per phase, with the interruption recorded', async () => {
    // how many records a whole run writes
    const whole = join(await mkdtemp(join(tmpdir(), 'kdrill-kill-all-')), 'report');
    expect(
      (await kdrill(['run', 'scenarios/namespace-loss.yaml', '--lab', '--out', whole], { timeoutMs: 120_000 })).code,
    ).toBe(0);
    const n = (await records(join(whole, 'journal.jsonl'))).length;
    expect(n).toBeGreaterThan(15);
    const points = Number(process.env.KDRILL_KILL_POINTS ?? n - 1);
    const problems: string[] = [];
    const at: string[] = [];
    for (let k = 1; k <= Math.min(points, n - 1); k++) {
      const { out, killedAt } = await killAfter(k);
      at.push(killedAt);
      // the kill lands a few ms after record k: near the end, the run may have ended by then, and then
      // resume must refuse (exit 2) and leave its result alone
      if ((await records(join(out, 'journal.jsonl'))).some((l) => l.includes('"run-ended"'))) {
        const before = await readFile(join(out, 'result.json'), 'utf8');
        const r = await kdrill(['resume', out], { timeoutMs: 60_000 });
        if (r.code !== 2 || (await readFile(join(out, 'result.json'), 'utf8')) !== before)
          problems.push(
            `k=${k} (${killedAt}): ended before the kill, yet resume exited ${r.code} or changed result.json`,
          );
        await kdrill(['lab', 'down', '--dir', join(out, 'lab')]);
        continue;
      }
      const r = await kdrill(['resume', out], { timeoutMs: 180_000 });
      const res = await readFile(join(out, 'result.json'), 'utf8').then(
        (x) => JSON.parse(x) as DrillResult,
        () => undefined,
      );
      const journal = await records(join(out, 'journal.jsonl'));
      const created = journal
        .map((l) => JSON.parse(l) as { event: string; name?: string })
        .filter((e) => e.event === 'restore-creating')
        .map((e) => e.name);
      if (r.code !== 0 || res?.verdict !== 'pass')
        problems.push(
          `k=${k} (${killedAt}): resume exited ${r.code}: ${r.stderr
            .split('\n')
            .filter((l) => /kdrill:|FAIL|✖/.test(l))
            .join(' | ')}`,
        );
      else if (new Set(created).size !== created.length || res.restores.length !== 2)
        problems.push(`k=${k} (${killedAt}): restores ${JSON.stringify(created)}`);
      else if (!res.interruptions.length) problems.push(`k=${k} (${killedAt}): no interruption recorded`);
      await kdrill(['lab', 'down', '--dir', join(out, 'lab')]);
    }
    expect(problems).toEqual([]);
    // the kills landed all along the run: before, during and after the disaster
    expect(at).toEqual(expect.arrayContaining(['run-started', 'inject-started', 'restore-creating', 'verify-done']));
  }, 3_600_000);
});
