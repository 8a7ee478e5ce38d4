import { mkdtemp, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario } from '../../src/scenario/load.js';
import { scenarioJsonSchema } from '../../src/scenario/json-schema.js';
import { parseDuration } from '../../src/scenario/duration.js';
import { expectCleanError, kdrill } from '../support/cli.js';

const GOOD = `apiVersion: kdrill.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  objectives: {rto: 4h, rpo: 24h, retention: 7d}
  drill: {goals: [g], leader: l, discovery: d, cause: c}
  target: {namespaces: [thanos]}
  backup: {from: latest, schedule: nightly}
  disaster:
    - type: delete-namespace
      namespaces: [thanos]
  verify:
    - type: workloads-ready
`;

/** Each broken variant of GOOD, with the line the problem is on and words the message must have. */
const BROKEN: [string, string, number, RegExp][] = [
  ['wrong type: rto is a number', GOOD.replace('rto: 4h', 'rto: 4'), 5, /rto/],
  ['duration in words', GOOD.replace('rto: 4h', 'rto: 4 hours'), 5, /not a duration/],
  ['negative duration', GOOD.replace('rpo: 24h', 'rpo: -24h'), 5, /negative/],
  ['zero duration', GOOD.replace('rto: 4h', 'rto: 0s'), 5, /longer than zero/],
  ['unit missing', GOOD.replace('retention: 7d', 'retention: 7'), 5, /retention/],
  [
    'unknown disaster type',
    GOOD.replace('type: delete-namespace', 'type: delete-namespaces'),
    10,
    /unknown disaster type "delete-namespaces"[\s\S]*did you mean "delete-namespace"/,
  ],
  [
    'disaster without type',
    GOOD.replace('    - type: delete-namespace\n      namespaces', '    - namespaces'),
    10,
    /missing "type"/,
  ],
  [
    'unknown verify type',
    GOOD.replace('type: workloads-ready', 'type: workload-ready'),
    13,
    /did you mean "workloads-ready"/,
  ],
  [
    'misspelt key',
    GOOD.replace('retention: 7d', 'retentoin: 7d'),
    5,
    /unknown key "retentoin"[\s\S]*did you mean "retention"/,
  ],
  ['misspelt top-level key', GOOD.replace('kind: Scenario', 'kind: Scenario\nspek: {}'), 3, /unknown key "spek"/],
  [
    'missing objectives',
    GOOD.replace('  objectives: {rto: 4h, rpo: 24h, retention: 7d}\n', ''),
    5,
    /objectives[\s\S]*missing required field/,
  ],
  ['missing drill leader', GOOD.replace('leader: l, ', ''), 6, /leader/],
  ['missing target', GOOD.replace('  target: {namespaces: [thanos]}\n', ''), 5, /target/],
  ['empty namespaces', GOOD.replace('target: {namespaces: [thanos]}', 'target: {namespaces: []}'), 7, /namespaces/],
  [
    'bad namespace name',
    GOOD.replace('target: {namespaces: [thanos]}', 'target: {namespaces: [Thanos_NS]}'),
    7,
    /DNS label/,
  ],
  ['wrong apiVersion', GOOD.replace('kdrill.dev/v1alpha1', 'kdrill.dev/v1'), 1, /apiVersion/],
  ['wrong kind', GOOD.replace('kind: Scenario', 'kind: Drill'), 2, /kind/],
  [
    'backup with two sources',
    GOOD.replace('{from: latest, schedule: nightly}', '{from: latest, schedule: nightly, name: b1}'),
    8,
    /choose one source/,
  ],
  [
    'from latest without schedule',
    GOOD.replace('{from: latest, schedule: nightly}', '{from: latest}'),
    8,
    /needs the `schedule`/,
  ],
  [
    'no disaster',
    GOOD.replace('  disaster:\n    - type: delete-namespace\n      namespaces: [thanos]\n', '  disaster: []\n'),
    9,
    /disaster/,
  ],
  ['no verify', GOOD.replace('  verify:\n    - type: workloads-ready\n', '  verify: []\n'), 12, /verify/],
  [
    'an RTO of Infinity',
    GOOD.replace(
      'objectives: {rto: 4h',
      'objectives: {rto: 9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999s',
    ),
    5,
    /is longer than the RTO may be \(at most 3650d\)/,
  ],
  [
    'a recovery timeout beyond 30 days',
    GOOD.replace('  verify:', '  recovery: {timeout: 31d}\n  verify:'),
    12,
    /"31d" is longer than the recovery timeout may be \(at most 30d\)/,
  ],
  [
    'port 0',
    GOOD.replace(
      '    - type: workloads-ready',
      '    - type: http\n      service: {namespace: thanos, name: q, port: 0}',
    ),
    14,
    /a port is 1 to 65535/,
  ],
  [
    'port 65536',
    GOOD.replace(
      '    - type: workloads-ready',
      '    - type: http\n      service: {namespace: thanos, name: q, port: 65536}',
    ),
    14,
    /a port is 1 to 65535/,
  ],
  [
    'port -1',
    GOOD.replace(
      '    - type: workloads-ready',
      '    - type: http\n      service: {namespace: thanos, name: q, port: -1}',
    ),
    14,
    /a port is 1 to 65535/,
  ],
  [
    'an alias bomb',
    'a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b]\n',
    2,
    /aliases expand too far/,
  ],
  [
    'an unresolved alias',
    GOOD.replace('metadata: {name: t}', 'metadata: {name: *nope}'),
    3,
    /the alias \*nope names no anchor defined before it/,
  ],
  [
    'a disaster outside the targets',
    GOOD.replace(
      'type: delete-namespace\n      namespaces: [thanos]',
      'type: delete-namespace\n      namespaces: [thanos, monitoring]',
    ),
    11,
    /namespace "monitoring" is not in target.namespaces: the drill would destroy it and never restore/,
  ],
  ['goals not a list', GOOD.replace('goals: [g]', 'goals: g'), 6, /goals/],
  [
    'http status as text',
    GOOD.replace('    - type: workloads-ready', '    - type: http\n      url: http://x/\n      expectStatus: ok'),
    15,
    /expectStatus/,
  ],
  [
    'recovery mode unknown',
    GOOD.replace('  verify:', '  recovery: {mode: magic}\n  verify:'),
    12,
    /"magic" is not allowed[\s\S]*velero/,
  ],
  [
    'stop-nodes with misspelt key',
    GOOD.replace('type: delete-namespace\n      namespaces: [thanos]', 'type: stop-nodes\n      nodez: [a]'),
    11,
    /did you mean "nodes"/,
  ],
  ['YAML syntax error', GOOD.replace('target: {namespaces: [thanos]}', 'target: {namespaces: [thanos}'), 7, /YAML/],
  [
    'duplicate key',
    GOOD.replace('  target: {namespaces: [thanos]}', '  target: {namespaces: [thanos]}\n  target: {namespaces: [x]}'),
    8,
    /duplicate key/,
  ],
  ['tab indentation', GOOD.replace('  verify:\n    - type', '  verify:\n\t- type'), 13, /YAML/],
  ['a list, not a mapping', '- a\n- b\n', 1, /YAML mapping/],
  ['a plain string', 'hello', 1, /YAML mapping/],
  ['labels with numbers', GOOD.replace('metadata: {name: t}', 'metadata: {name: t, labels: {a: 1}}'), 3, /labels/],
  ['retention as an object', GOOD.replace('retention: 7d', 'retention: {days: 7}'), 5, /retention/],
];

describe('scenario format', () => {
  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('7d')).toBe(604800);
    for (const bad of ['4 hours', '-5m', '5', 'h', '1.5h', '']) expect(parseDuration(bad), bad).toBeUndefined();
  });

  it('every shipped scenario is valid', async () => {
    const files = (await readdir('scenarios')).filter((f) => f.endsWith('.yaml'));
    expect(files.sort()).toEqual([
      'datacenter-loss.yaml',
      'hardened-one-phase.yaml',
      'namespace-loss-detect.yaml',
      'namespace-loss.yaml',
      'pvc-loss.yaml',
      'restore-test.yaml',
      'thanos-nodes-lost.yaml',
    ]);
    for (const f of files) {
      const r = await loadScenario(join('scenarios', f));
      expect(r.ok, r.ok ? f : JSON.stringify(r.problems)).toBe(true);
    }
  });

  it('scenario.schema.json is generated from the schema (run `npm run schema` after changing it)', async () => {
    const committed = JSON.parse(await readFile('scenario.schema.json', 'utf8')) as unknown;
    expect(committed).toEqual(scenarioJsonSchema());
  });

  it.each(BROKEN)('reports %s at its line, with a useful message', (_what, text, line, pattern) => {
    const r = parseScenario(text, 'broken.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const all = r.problems
      .map((p) => `${p.file}:${p.line}:${p.col}: ${p.path}: ${p.message}${p.hint ? ` hint: ${p.hint}` : ''}`)
      .join('\n');
    expect(all).toMatch(pattern);
    expect(
      r.problems.some(
        (p) =>
          p.line === line && (pattern.test(`${p.path}: ${p.message} hint: ${p.hint ?? ''}`) || r.problems.length === 1),
      ),
      all,
    ).toBe(true);
    for (const p of r.problems) expect(p.col).toBeGreaterThan(0);
  });

  it('reports every problem, not just the first', () => {
    const text = GOOD.replace('rto: 4h', 'rto: 4 hours')
      .replace('leader: l, ', '')
      .replace('type: workloads-ready', 'type: nope');
    const r = parseScenario(text, 'many.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.length).toBeGreaterThanOrEqual(3);
  });

  it('kdrill validate: exit 2, file:line:col and a hint for each broken file, no stack trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-bad-'));
    const files: string[] = [];
    for (const [i, [, text]] of BROKEN.entries()) {
      const f = join(dir, `broken-${i}.yaml`);
      await writeFile(f, text);
      files.push(f);
    }
    // and the files that are not YAML at all
    await writeFile(join(dir, 'empty.yaml'), '');
    await writeFile(join(dir, 'binary.yaml'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]));
    await writeFile(join(dir, 'huge.yaml'), `# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    await mkdir(join(dir, 'a-directory.yaml'));
    const odd = ['empty.yaml', 'binary.yaml', 'huge.yaml', 'a-directory.yaml', 'missing.yaml'].map((f) => join(dir, f));
    expect(files.length + odd.length).toBeGreaterThanOrEqual(30);
    for (const f of [...files, ...odd]) {
      const r = await kdrill(['validate', f]);
      expect(r.code, `${f}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
      expect(r.stderr, f).toMatch(/hint: /);
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    }
    const ok = await kdrill(['validate', 'scenarios/namespace-loss.yaml', 'scenarios/pvc-loss.yaml']);
    expect(ok.code).toBe(0);
    expectCleanError(await kdrill(['run', join(dir, 'broken-0.yaml'), '--lab']), 2, /is not a valid scenario/);
  });
});
