import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { DrillResult } from '../../src/drill/types.js';
import { BIN, kdrill } from '../support/cli.js';
import { eventually } from '../support/eventually.js';

type Spec = Record<string, any>;
const exists = (f: string): Promise<boolean> =>
  access(f).then(
    () => true,
    () => false,
  );
const events = async (journal: string): Promise<{ event: string; index?: number }[]> =>
  (await readFile(journal, 'utf8').catch(() => ''))
    .split('\n')
    .filter((l) => l.endsWith('}'))
    .map((l) => JSON.parse(l) as { event: string; index?: number });

/** namespace-loss with extra disaster steps before the namespace goes; returns the scenario file and its work dir. */
async function scenario(steps: Spec[]): Promise<{ file: string; work: string }> {
  const work = await mkdtemp(join(tmpdir(), 'kdrill-int-'));
  const s = parse(await readFile('scenarios/namespace-loss.yaml', 'utf8')) as { spec: Spec };
  s.spec.disaster = [...steps, ...(s.spec.disaster as Spec[])];
  const file = join(work, 'scenario.yaml');
  await writeFile(file, stringify(s));
  return { file, work };
}

function start(file: string, out: string) {
  const child = spawn(process.execPath, [BIN, 'run', file, '--lab', '--out', out], {
    env: { ...process.env, KDRILL_LAB_RESTORE_ITEM_DELAY_MS: '40' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; at: number }>((r) =>
    child.once('exit', (code) => r({ code, at: Date.now() })),
  );
  return { child, exited, stderr: () => stderr };
}

describe('Ctrl-C during a drill', () => {
  it('a second Ctrl-C says the reverts still run, a third abandons them (journaled), and resume runs them', async () => {
    const { file, work } = await scenario([]);
    const marker = join(work, 'reverted');
    // a slow revert: the cleanup is still running when the second and third Ctrl-C come
    const s = parse(await readFile(file, 'utf8')) as { spec: Spec };
    s.spec.disaster.unshift({
      type: 'command',
      argv: ['true'],
      revert: ['sh', '-c', `sleep 3; echo reverted >> ${marker}`],
    });
    await writeFile(file, stringify(s));
    const out = join(work, 'report');
    const journal = join(out, 'journal.jsonl');
    const d = start(file, out);
    try {
      await eventually(
        async () => (await events(journal)).some((e) => e.event === 'restore-creating'),
        'the first Restore',
        90_000,
        10,
      );
      d.child.kill('SIGINT');
      await eventually(
        async () => d.stderr().includes('stopping; the reverts run'),
        'the first Ctrl-C to be acknowledged',
        5_000,
        10,
      );
      // the cleanup has begun: its revert sleeps
      await eventually(async () => /cleanup/.test(d.stderr()), 'the cleanup to start', 5_000, 10);
      d.child.kill('SIGINT');
      await eventually(
        async () => d.stderr().includes('the reverts are still running'),
        'the second Ctrl-C to be answered',
        2_000,
        10,
      );
      const third = Date.now();
      d.child.kill('SIGINT');
      const { code, at } = await d.exited;
      expect(code).toBe(130);
      expect(at - third).toBeLessThan(1_500); // honoured at once, not after the revert
      expect(d.stderr()).toMatch(/reverts abandoned; the cluster may still be degraded[\s\S]*kdrill resume /);
      const evs = await events(journal);
      expect(evs.map((e) => e.event)).toContain('reverts-abandoned');
      expect(evs.some((e) => e.event === 'revert-done' && e.index === 0)).toBe(false);
      // the abandoned revert was stopped with kdrill, not left running behind the operator's back
      await new Promise((r) => setTimeout(r, 3_500));
      expect(await exists(marker)).toBe(false);

      const r = await kdrill(['resume', out], { timeoutMs: 180_000 });
      expect(r.code, r.stderr).toBe(0);
      const res = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as DrillResult;
      expect(res.verdict).toBe('pass');
      expect(res.interruptions).toMatchObject([{ how: 'signal' }]);
      expect((await readFile(marker, 'utf8')).trim().split('\n')).toEqual(['reverted']); // run once, by resume
      expect((await events(journal)).some((e) => e.event === 'revert-done' && e.index === 0)).toBe(true);
    } finally {
      d.child.kill('SIGKILL');
      await kdrill(['lab', 'down', '--dir', join(out, 'lab')]);
    }
  }, 300_000);

  it('Ctrl-C during inject: the revert undoes the injected step, and resume injects it again and says so', async () => {
    const { file, work } = await scenario([]);
    const log = join(work, 'steps');
    const s = parse(await readFile(file, 'utf8')) as { spec: Spec };
    s.spec.disaster.unshift(
      {
        type: 'command',
        argv: ['sh', '-c', `echo injected >> ${log}`],
        revert: ['sh', '-c', `echo reverted >> ${log}`],
      },
      { type: 'command', argv: ['sleep', '5'] },
    );
    await writeFile(file, stringify(s));
    const out = join(work, 'report');
    const journal = join(out, 'journal.jsonl');
    const d = start(file, out);
    try {
      await eventually(
        async () => (await events(journal)).some((e) => e.event === 'inject-step-started' && e.index === 1),
        'the second disaster step',
        90_000,
        10,
      );
      const sent = Date.now();
      d.child.kill('SIGINT');
      const { code, at } = await d.exited;
      expect(code).toBe(130);
      expect(at - sent).toBeLessThan(2_000); // the sleeping step does not hold Ctrl-C for its 5 s
      expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual(['injected', 'reverted']);
      const interrupted = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as DrillResult;
      expect(interrupted.exitCode).toBe(130);

      const r = await kdrill(['resume', out], { timeoutMs: 180_000 });
      expect(r.code, r.stderr).toBe(0);
      const res = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as DrillResult;
      expect(res.verdict).toBe('pass');
      // the disaster measured is the one injected again, after the resume, never the undone one
      expect(res.notes).toContain(
        'disaster step 1 (command) was undone when kdrill was interrupted; it was injected again on resume',
      );
      const resumedAt = Date.parse(res.interruptions[0]!.resumedAt);
      expect(res.disaster.map((x) => x.type)).toEqual(['command', 'command', 'delete-namespace']);
      for (const x of res.disaster) expect(Date.parse(x.at)).toBeGreaterThanOrEqual(resumedAt);
      expect((await events(journal)).filter((e) => e.event === 'inject-step-reinjecting').map((e) => e.index)).toEqual([
        0,
      ]);
      // injected, undone by the interrupt, injected again, undone by the final cleanup
      expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual([
        'injected',
        'reverted',
        'injected',
        'reverted',
      ]);
    } finally {
      d.child.kill('SIGKILL');
      await kdrill(['lab', 'down', '--dir', join(out, 'lab')]);
    }
  }, 300_000);
});
