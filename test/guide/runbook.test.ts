import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandsOf, parseRunbook, slug } from '../../src/guide/runbook.js';
import { kdrill } from '../support/cli.js';

const F = '```';
const GOOD = [
  '---',
  'scenario: scenarios/namespace-loss.yaml',
  'escalation: {contact: lead, rule: after 1h}',
  '---',
  '# Title',
  '',
  '## First step',
  'prose',
  `${F}sh run`,
  'kubectl get ns',
  F,
  `${F}expect`,
  'thanos',
  F,
  '',
  '## Second step',
  'see [first](#first-step)',
  `${F}sh`,
  'velero restore create x',
  F,
].join('\n');

describe('runbook format', () => {
  it('parses steps, blocks and front matter', () => {
    const { runbook, problems } = parseRunbook(GOOD);
    expect(problems).toEqual([]);
    expect(runbook!.frontMatter).toMatchObject({
      scenario: 'scenarios/namespace-loss.yaml',
      escalation: { contact: 'lead', rule: 'after 1h' },
    });
    expect(runbook!.steps.map((s) => [s.title, s.anchor, s.line, s.blocks.map((b) => b.kind)])).toEqual([
      ['First step', 'first-step', 7, ['run', 'expect']],
      ['Second step', 'second-step', 16, ['show']],
    ]);
    expect(slug('Restore, NetworkPolicies first')).toBe('restore-networkpolicies-first');
  });

  it('anchors are the ones GitHub makes: underscores kept, repeated headings numbered, any heading level', () => {
    // the old slug dropped "_" and gave both "Escalate" steps the same anchor
    const text = [
      '# Drill',
      '## Restore the velero_backup objects',
      `${F}sh run`,
      'kubectl get ns',
      F,
      '## Escalate',
      '### Who to call',
      '## Escalate',
      'see [the first](#escalate), [the second](#escalate-1), [the backups](#restore-the-velero_backup-objects)',
      'and [who](#who-to-call), [the title](#drill)',
    ].join('\n');
    const { runbook, problems } = parseRunbook(text);
    expect(problems).toEqual([]);
    expect(runbook!.steps.map((s) => s.anchor)).toEqual([
      'restore-the-velero_backup-objects',
      'escalate',
      'escalate-1',
    ]);
    expect(slug('Restore the velero_backup objects')).toBe('restore-the-velero_backup-objects');
    expect(slug('What is 2 + 2?')).toBe('what-is-2--2');
    const broken = parseRunbook(text.replace('#escalate-1', '#escalate-2'));
    expect(broken.problems.map((p) => p.message)).toEqual(['the link to #escalate-2 does not resolve']);
  });

  it('reports each kind of broken runbook at its line', () => {
    const cases: [string, string, number, RegExp][] = [
      ['empty', '  \n', 1, /empty/],
      ['no steps', '# Only a title\n\nsome prose\n', 1, /no steps/],
      ['malformed fence', `## A\n${F}sh run\nkubectl get ns\n`, 2, /never closed/],
      ['unknown fence type', `## A\n${F}python\nprint(1)\n${F}\n`, 2, /unknown fence type "python"/],
      ['unknown fence flag', `## A\n${F}sh runn\nls\n${F}\n`, 2, /unknown fence flag/],
      ['expect without a command', `## A\n${F}expect\nok\n${F}\n`, 2, /no runnable block before it/],
      [
        'bad expect pattern',
        `## A\n${F}sh run\nls\n${F}\n${F}expect\n(unclosed\n${F}\n`,
        6,
        /not a valid regular expression/,
      ],
      ['broken anchor', `## A\nsee [b](#nowhere)\n`, 2, /#nowhere does not resolve/],
      ['front matter not closed', '---\nscenario: x\n## A\n', 1, /not closed/],
      ['block before any step', `${F}sh run\nls\n${F}\n## A\n`, 1, /before the first step/],
      ['front matter that is a list', '---\n- a\n- b\n---\n## A\n', 2, /front matter must be a YAML mapping/],
      ['front matter rto that is not a string', '---\nrto: [4h]\n---\n## A\n', 2, /"rto" must be a string/],
      ['front matter external that is not a list', '---\nexternal: aws\n---\n## A\n', 2, /"external" must be a list/],
      ['front matter with an unknown key', '---\nscenaro: x\n---\n## A\n', 2, /unknown front matter key "scenaro"/],
      [
        'front matter alias bomb',
        '---\na: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b]\n---\n## A\n',
        2,
        /not valid YAML/,
      ],
    ];
    for (const [what, text, line, pattern] of cases) {
      const { runbook, problems } = parseRunbook(text);
      expect(runbook, what).toBeUndefined();
      expect(
        problems.some((p) => p.line === line && pattern.test(p.message)),
        `${what}: ${JSON.stringify(problems)}`,
      ).toBe(true);
    }
  });

  it('finds the programs a block calls, through pipes, substitutions and loops', () => {
    const script =
      'B=$(kubectl get x | grep y | tail -1)\nfor i in $(seq 1 3); do p=$(kubectl get r); case "$p" in A|B) break;; esac; sleep 1; done\n# a comment\nFOO=1 velero get && jq .';
    expect(commandsOf(script).sort()).toEqual(['grep', 'jq', 'kubectl', 'tail', 'velero']);
  });

  it('kdrill guide --check: every shipped runbook passes; broken ones exit 2 with file:line', async () => {
    const files = (await readdir('runbooks')).filter((f) => f.endsWith('.md')).sort();
    expect(files).toEqual(['datacenter-loss.md', 'namespace-loss.md', 'pvc-loss.md', 'thanos-nodes-lost.md']);
    for (const f of files) {
      const r = await kdrill(['guide', join('runbooks', f), '--check']);
      expect(r.code, `${f}: ${r.stderr}`).toBe(0);
    }
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-rb-'));
    const bad = join(dir, 'bad.md');
    await writeFile(bad, `## Step\n${F}sh run\nno-such-tool-kdrill --now\n${F}\n`);
    const r = await kdrill(['guide', bad, '--check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:2: "no-such-tool-kdrill" is not on PATH here`);
    expect(r.stderr).toMatch(/hint: .*external/);
    await writeFile(bad, `## Step\n${F}sh run external\nno-such-tool-kdrill --now\n${F}\n`);
    expect((await kdrill(['guide', bad, '--check'])).code).toBe(0);
  });
});
