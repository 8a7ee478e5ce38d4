import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DrillResult } from '../../src/drill/types.js';
import { BIN, expectCleanError, kdrill } from '../support/cli.js';

describe('kdrill guide --yes --lab: every shipped runbook recovers its scenario', () => {
  it.each(['thanos-nodes-lost', 'datacenter-loss', 'pvc-loss'])(
    '%s',
    async (name) => {
      const out = join(await mkdtemp(join(tmpdir(), 'kdrill-guide-')), 'report');
      const r = await kdrill(
        ['guide', `runbooks/${name}.md`, '--yes', '--lab', '--scenario', `scenarios/${name}.yaml`, '--out', out],
        { timeoutMs: 180_000 },
      );
      expect(r.code, r.stderr).toBe(0);
      const res = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as DrillResult;
      expect(res.verdict).toBe('pass');
      expect(res.runbook!.steps.every((s) => s.status === 'done')).toBe(true);
    },
    200_000,
  );

  it('broken runbooks: exit 2 with the line, through the CLI', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-rb-bad-'));
    const F = '```';
    const cases: [string, string, RegExp][] = [
      ['empty.md', '', /:1: the runbook is empty/],
      ['nosteps.md', '# Title\n\nprose only\n', /:1: the runbook has no steps/],
      ['fence.md', `## A\n\n${F}sh run\nkubectl get ns\n`, /:3: the code fence opened here/],
      ['unknown.md', `## A\n${F}python\nprint(1)\n${F}\n`, /:2: unknown fence type "python"/],
    ];
    for (const [name, text, pattern] of cases) {
      const f = join(dir, name);
      await writeFile(f, text);
      const r = await kdrill(['guide', f, '--check']);
      expect(r.code, name).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).toMatch(/hint: /);
    }
  });

  it('without a terminal: plain lines, no colours or cursor codes, answers read from stdin', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'kdrill-plain-')), 'report');
    const r = await new Promise<{ code: number | null; stdout: string }>((res) => {
      const child = spawn(
        process.execPath,
        [BIN, 'guide', 'runbooks/pvc-loss.md', '--scenario', 'scenarios/pvc-loss.yaml', '--lab', '--out', out],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let sent = 0;
      const answers = ['r', 'r', 'd'];
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        // answer each menu as it appears
        const menus = (stdout.match(/choice> /g) ?? []).length;
        while (sent < menus && sent < answers.length) child.stdin.write(`${answers[sent++]}\n`);
      });
      child.on('close', (code) => res({ code, stdout }));
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Step 1\/3: See what is missing/);
    expect(r.stdout).toMatch(/since the disaster/);
    expect(r.stdout.includes(String.fromCharCode(27))).toBe(false); // no ANSI escape at all
  }, 120_000);

  it('a guided drill without a scenario, or without a runbook: a usage error that says what to do', async () => {
    expectCleanError(await kdrill(['guide', 'runbooks/pvc-loss.md']), 2, /needs --scenario/);
    expectCleanError(await kdrill(['guide', 'runbooks/pvc-loss.md', '--yes']), 2, /needs --scenario/);
    expectCleanError(await kdrill(['guide']), 2, /name a runbook, or --resume/);
  });
});
