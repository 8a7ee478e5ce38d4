import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DrillResult } from '../../src/drill/types.js';
import { BIN } from '../support/cli.js';
import { eventually } from '../support/eventually.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
// a tmux server of this test's own: a shared one keeps the environment of whoever started it first
const SOCKET = `kdrill-test-${process.pid}`;
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = (s: string): string => tmux('capture-pane', '-p', '-t', s, '-S', '-200');
const keys = (s: string, ...k: string[]): void => void tmux('send-keys', '-t', s, ...k);

/**
 * The operator at 2 AM, played by tmux: a guided recovery of namespace-loss in the lab through the real
 * CLI in a pseudo-terminal, with a failing step (escalated, then skipped with a reason), a note, the
 * terminal killed mid-way, and `kdrill guide --resume` to finish.
 */
describe.skipIf(!hasTmux)('kdrill guide in a terminal (tmux)', () => {
  it('runs, fails, escalates, skips with a note, survives a kill, resumes, and reports', async () => {
    const work = await mkdtemp(join(tmpdir(), 'kdrill-tmux-'));
    const out = join(work, 'report');
    // step 1 of this copy fails: the namespace is gone, so kubectl exits 1
    const rb = join(work, 'namespace-loss.md');
    await writeFile(
      rb,
      (await readFile('runbooks/namespace-loss.md', 'utf8')).replace(
        'kubectl get namespace thanos 2>&1 || true',
        'kubectl get namespace thanos',
      ),
    );
    const session = `kdrill-${Date.now()}`;
    const cmd = (args: string) =>
      `cd ${process.cwd()} && ${process.execPath} ${BIN} ${args}; echo EXITED:$?; sleep 120`;
    // a session that outlives the killed one: a tmux server left with none exits, and a new session
    // asked for while it is exiting fails with "server exited unexpectedly" (seen once in .ci/run)
    tmux('new-session', '-d', '-s', 'keeper', 'sleep 600');
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '200',
      '-y',
      '50',
      cmd(`guide ${rb} --scenario scenarios/namespace-loss.yaml --lab --out ${out}`),
    );
    try {
      await eventually(() => screen(session).includes('Step 1/6: Confirm the disaster'), 'the first step', 60_000, 200);
      expect(screen(session)).toMatch(
        /⏱ \d\d:\d\d:\d\d since the disaster {2}· {2}\d\d:\d\d:\d\d left to the RTO \(4h\)/,
      );
      keys(session, 'r');
      await eventually(
        () => screen(session).includes('the command exited 1'),
        'the failure and its choices',
        30_000,
        200,
      );
      keys(session, 'e');
      await eventually(
        () => screen(session).includes('Escalate to: platform team lead'),
        'the escalation contact',
        10_000,
        200,
      );
      keys(session, 's');
      await eventually(() => screen(session).includes('Why skip it?'), 'the reason prompt', 10_000, 200);
      keys(session, 'confirmed gone by hand', 'Enter');
      await eventually(() => screen(session).includes('Step 2/6'), 'step 2', 10_000, 200);
      keys(session, 'n');
      await eventually(() => screen(session).includes('Note:'), 'the note prompt', 10_000, 200);
      keys(session, 'schedule checked with the app team', 'Enter');
      await eventually(
        () => (screen(session).match(/Step 2\/6/g) ?? []).length >= 2,
        'step 2 again after the note',
        10_000,
        200,
      );
      keys(session, 'r');
      await eventually(() => screen(session).includes('Step 3/6'), 'step 3', 30_000, 200);
      keys(session, 'r');
      await eventually(() => screen(session).includes('Step 4/6'), 'step 4', 60_000, 200);
      // the terminal goes away mid-recovery
      tmux('kill-session', '-t', session);
      const journal = await readFile(join(out, 'journal.jsonl'), 'utf8');
      expect(journal).not.toContain('"run-ended"');
      tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', cmd(`guide --resume ${out}`));
      await eventually(
        () => screen(session).includes('Step 4/6: Restore everything else'),
        'the session to resume at step 4',
        60_000,
        200,
      );
      keys(session, 'r');
      await eventually(() => screen(session).includes('Step 5/6'), 'step 5', 60_000, 200);
      keys(session, 'r');
      await eventually(() => screen(session).includes('Step 6/6'), 'step 6', 30_000, 200);
      keys(session, 'd');
      await eventually(() => screen(session).includes('EXITED:'), 'the end', 120_000, 300);
      expect(screen(session)).toContain('EXITED:0'); // recovered: a skipped step is an action item, not a failed drill
    } finally {
      spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    }
    const res = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as DrillResult;
    expect(res.runbook!.steps.map((s) => s.status)).toEqual(['skipped', 'done', 'done', 'done', 'done', 'done']);
    expect(res.runbook!.steps[0]!.reason).toBe('confirmed gone by hand');
    expect(res.verify.every((v) => v.passed)).toBe(true);
    expect(res.verdict).toBe('pass');
    const retro = await readFile(join(out, 'retrospective.md'), 'utf8');
    expect(retro).toMatch(
      /## Action items[\s\S]*runbook out of date\? check .*namespace-loss\.md#confirm-the-disaster/,
    );
    const journal = await readFile(join(out, 'journal.jsonl'), 'utf8');
    for (const e of ['"guide-escalated"', '"guide-note"', '"resumed"', '"guide-command"']) expect(journal).toContain(e);
  }, 400_000);
});
