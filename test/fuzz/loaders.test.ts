import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseRunbook } from '../../src/guide/runbook.js';
import { parseScenario } from '../../src/scenario/load.js';
import { kdrill } from '../support/cli.js';

/**
 * Property-based fuzzing of what people write by hand: whatever the input, the scenario loader and
 * the runbook parser answer with a result or problems at a line, and never throw (a throw is exit 1,
 * "internal error", and a stack trace at 2 AM). KDRILL_FUZZ_RUNS scales the runs (CI: ≥ 5,000 in all).
 */
const RUNS = Number(process.env.KDRILL_FUZZ_RUNS ?? 1500);
const GOOD = {
  apiVersion: 'kdrill.dev/v1alpha1',
  kind: 'Scenario',
  metadata: { name: 't' },
  spec: {
    objectives: { rto: '4h', rpo: '24h', retention: '7d' },
    drill: { goals: ['g'], leader: 'l', discovery: 'd', cause: 'c' },
    target: { namespaces: ['thanos'] },
    backup: { from: 'latest', schedule: 'nightly' },
    disaster: [{ type: 'delete-namespace', namespaces: ['thanos'] }],
    verify: [{ type: 'workloads-ready' }, { type: 'http', service: { namespace: 'thanos', name: 'q', port: 9090 } }],
  },
};

const PATHS: string[][] = [
  ['spec', 'objectives', 'rto'],
  ['spec', 'objectives'],
  ['spec', 'target', 'namespaces'],
  ['spec', 'disaster'],
  ['spec', 'disaster', '0', 'type'],
  ['spec', 'verify', '1', 'service', 'port'],
  ['spec', 'verify', '0', 'timeout'],
  ['spec', 'recovery'],
  ['spec', 'backup'],
  ['metadata', 'name'],
  ['apiVersion'],
  ['spec'],
];

function setIn(o: unknown, path: string[], v: unknown): unknown {
  const copy = structuredClone(o) as Record<string, unknown>;
  let cur: Record<string, unknown> = copy;
  for (const k of path.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = v;
  return copy;
}

const wellFormed = (problems: { line: number; col: number; message: string }[]): boolean =>
  problems.length > 0 && problems.every((p) => p.line >= 1 && p.col >= 1 && p.message.length > 0);
const check = (text: string): boolean => {
  const r = parseScenario(text, 'fuzz.yaml');
  return r.ok || wellFormed(r.problems);
};

// YAML's own tricks, spliced into otherwise plausible files: anchors, aliases, tags, flow, merges, documents
const TRICKS = [
  '&a',
  '*a',
  '*nope',
  '!!binary',
  '!!str',
  '!!map',
  '<<: *a',
  '{',
  '[',
  '---',
  '...',
  '? ',
  '|',
  '>-',
  '"\\u0000"',
  "'",
  '#',
  '\t',
  '%YAML 1.1',
  ':',
  '-',
  '~',
  '.inf',
  '-.nan',
  '0x1F',
  '1e999',
  '9'.repeat(400),
];

describe('fuzzing the scenario loader and the runbook parser: no exit 1, no stack trace', () => {
  it('any text at all', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), check), { numRuns: RUNS });
  });

  it('the good scenario with one field replaced by anything', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PATHS),
        fc.anything({
          maxDepth: 3,
          withNullPrototype: false,
          withBigInt: false,
          withDate: true,
          withMap: false,
          withSet: false,
          withTypedArray: false,
        }),
        (path, v) => check(stringify(setIn(GOOD, path, v))),
      ),
      { numRuns: RUNS },
    );
  });

  it('the good scenario with YAML tricks spliced into its lines', () => {
    const lines = stringify(GOOD).split('\n');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(lines.length), fc.nat(40), fc.constantFrom(...TRICKS)), {
          minLength: 1,
          maxLength: 6,
        }),
        (edits) => {
          const ls = [...lines];
          for (const [i, at, t] of edits) {
            const l = ls[i % ls.length] ?? '';
            ls[i % ls.length] = `${l.slice(0, at)}${t}${l.slice(at)}`;
          }
          return check(ls.join('\n'));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('alias bombs of any depth and width are refused at a line', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 2, max: 12 }), (depth, width) => {
        const ls = ['l0: &l0 [x, x]'];
        for (let d = 1; d <= depth; d++)
          ls.push(`l${d}: &l${d} [${Array.from({ length: width }, () => `*l${d - 1}`).join(', ')}]`);
        return check(ls.join('\n'));
      }),
      { numRuns: Math.max(100, RUNS / 10) },
    );
  });

  const F = '```';
  const PIECES = [
    '---',
    'scenario: x',
    'rto: 4h',
    'rto: [1]',
    '- a',
    'escalation: {contact: c}',
    'external: aws',
    '# Title',
    '## Step',
    '## Step',
    'prose',
    `${F}sh run`,
    `${F}sh`,
    `${F}expect`,
    `${F}python`,
    `${F}sh runn`,
    F,
    'kubectl get ns',
    '(unclosed',
    '[x](#step)',
    '[y](#nowhere)',
    '',
    '&a',
    '*a',
  ];
  it('any runbook made of plausible pieces', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 30 })), { maxLength: 40 }),
        (parts) => {
          const r = parseRunbook(parts.join('\n'));
          return (
            (r.runbook !== undefined && r.problems.length === 0) ||
            (r.runbook === undefined &&
              r.problems.length > 0 &&
              r.problems.every((p) => p.line >= 1 && p.message.length > 0))
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('through the CLI: validate and guide --check answer exit 0 or 2, never 1, never a stack trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-fuzz-'));
    const texts = fc.sample(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.constantFrom(...PATHS).chain((p) => fc.anything({ maxDepth: 2 }).map((v) => stringify(setIn(GOOD, p, v)))),
      ),
      { numRuns: 60, seed: 42 },
    );
    const files: string[] = [];
    for (const [i, t] of texts.entries()) {
      const f = join(dir, `s${i}.yaml`);
      await writeFile(f, t);
      files.push(f);
    }
    const r = await kdrill(['validate', ...files]);
    expect([0, 2]).toContain(r.code);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
    const md = join(dir, 'rb.md');
    await writeFile(md, '---\n- a\n---\n## A\n');
    const g = await kdrill(['guide', md, '--check']);
    expect(g.code).toBe(2);
    expect(g.stderr).not.toMatch(/internal error/);
  });
});
