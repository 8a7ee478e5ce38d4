import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.js';
import { kdrill } from '../support/cli.js';

const GOOD = await readFile('scenarios/restore-test.yaml', 'utf8');
const lineOf = (text: string, needle: string): number => text.slice(0, text.indexOf(needle)).split('\n').length;

/** Each mistake, the text it makes, the words the message must have, and the line it must point at. */
const MISTAKES: [string, string, RegExp, string][] = [
  [
    'a disaster in a restore test',
    GOOD.replace('  sandbox:\n', '  disaster: [{type: delete-namespace, namespaces: [thanos]}]\n  sandbox:\n'),
    /spec\.disaster: a restore test has no disaster/,
    '  disaster: [',
  ],
  [
    'take: true',
    GOOD.replace('{ from: latest, schedule: nightly }', '{ take: true }'),
    /spec\.backup\.take: a restore test proves the backups you already have/,
    '{ take: true }',
  ],
  [
    'a url check',
    GOOD.replace(
      'service: { namespace: thanos, name: thanos-query, port: 9090, path: /-/ready }',
      'url: http://thanos-query.thanos:9090/-/ready',
    ),
    /spec\.verify\[1\]\.url: a url would reach production, not the sandbox/,
    'url: http',
  ],
  [
    'a check of a namespace that is not a source',
    GOOD.replace('service: { namespace: thanos,', 'service: { namespace: monitoring,'),
    /namespace "monitoring" is not a source namespace/,
    'namespace: monitoring',
  ],
  [
    'a sandbox named like production',
    GOOD.replace('    ttl: 6h', '    namespaces: { thanos: thanos }\n    ttl: 6h'),
    /"thanos" is a source namespace: a sandbox must never be production/,
    'namespaces: { thanos',
  ],
  [
    'a sandbox of a namespace that is not a source',
    GOOD.replace('    ttl: 6h', '    namespaces: { other: other-rt }\n    ttl: 6h'),
    /"other" is not a source namespace/,
    'namespaces: { other',
  ],
  [
    'a default sandbox name over 63 characters',
    GOOD.replace('namespaces: [thanos]', `namespaces: [${'a'.repeat(56)}]`).replace(
      /namespace: thanos/g,
      `namespace: ${'a'.repeat(56)}`,
    ),
    /would be a{56}-rt-<run id>, longer than 63 characters: name it in sandbox\.namespaces/,
    'namespaces: [aaa',
  ],
  [
    'updating existing objects',
    GOOD.replace('    mode: velero #', '    existingResourcePolicy: update\n    mode: velero #'),
    /a restore test never updates an object that exists/,
    'existingResourcePolicy',
  ],
  [
    'something to let through that does not exist',
    GOOD.replace('allow: [dns, api-server, sandbox]', 'allow: [dns, internet]'),
    /"internet" is not allowed here[\s\S]*"dns", "api-server", "sandbox"/,
    'allow:',
  ],
  [
    'window without pick: random',
    GOOD.replace('{ from: latest, schedule: nightly }', '{ from: latest, schedule: nightly, window: 30d }'),
    /spec\.backup\.window: `window` is how far back `pick: random` may go/,
    'window: 30d',
  ],
  [
    'pick with a named backup',
    GOOD.replace('{ from: latest, schedule: nightly }', '{ name: nightly-1, pick: random }'),
    /spec\.backup\.pick: `pick` chooses among the backups of `schedule`; with `name` there is only one/,
    'pick: random',
  ],
  [
    'a sandbox in a drill',
    GOOD.replace('  mode: restore-test', '  mode: drill\n  disaster: [{type: delete-namespace, namespaces: [thanos]}]'),
    /spec\.sandbox: `sandbox` belongs to `mode: restore-test`/,
    '    ttl: 6h', // the value of sandbox: its first line
  ],
  [
    'a drill without a disaster',
    GOOD.replace('  mode: restore-test', '  mode: drill').replace(/ {2}sandbox:\n( {4}.*\n)+/, ''),
    /a drill needs at least one disaster step; to prove a backup without destroying anything, set `mode: restore-test`/,
    'mode: drill',
  ],
];

describe('restore-test scenarios: kdrill validate explains each mistake', () => {
  it('the shipped scenarios/restore-test.yaml is valid, with defaults filled in', () => {
    const r = parseScenario(GOOD, 'restore-test.yaml');
    expect(r.ok, r.ok ? '' : JSON.stringify(r.problems)).toBe(true);
    if (!r.ok) return;
    expect(r.scenario.spec.mode).toBe('restore-test');
    expect(r.scenario.spec.disaster).toEqual([]);
    expect(r.scenario.spec.sandbox).toEqual({ ttl: 21600, allow: ['dns', 'api-server', 'sandbox'] });
  });

  it('a random pick within a window', () => {
    const r = parseScenario(
      GOOD.replace('{ from: latest, schedule: nightly }', '{ schedule: nightly, pick: random, window: 30d }'),
    );
    expect(r.ok && r.scenario.spec.backup).toMatchObject({ pick: 'random', window: 30 * 86400, schedule: 'nightly' });
  });

  it.each(MISTAKES)('%s', (_what, text, message, at) => {
    const r = parseScenario(text, 'rt.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const all = r.problems.map((p) => `${p.line}: ${p.path}: ${p.message} ${p.hint ?? ''}`).join('\n');
    const hit = r.problems.find((p) => message.test(`${p.path}: ${p.message} ${p.hint ?? ''}`));
    expect(hit, all).toBeDefined();
    expect(hit!.line, all).toBe(lineOf(text, at));
  });

  it('kdrill validate: exit 2 with file:line:col, and exit 0 for the shipped one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-rt-schema-'));
    const f = join(dir, 'bad.yaml');
    await writeFile(f, MISTAKES[0]![1]);
    const bad = await kdrill(['validate', f]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`${f}:\\d+:\\d+: spec\\.disaster: a restore test has no disaster`));
    const ok = await kdrill(['validate', 'scenarios/restore-test.yaml']);
    expect(ok.code, ok.stderr).toBe(0);
  });
});
