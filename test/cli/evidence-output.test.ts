import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readTarGz, writeTarGz } from '../../src/evidence/tar.js';
import { syntheticRun } from '../support/evidence.js';
import { kdrill } from '../support/cli.js';

const SCENARIO = resolve('scenarios/namespace-loss.yaml');

/** The same command with -o json and -o yaml: the same exit code, and the YAML says exactly what the JSON says. */
async function sameContent(args: string[], code: number): Promise<unknown> {
  const json = await kdrill([...args, '-o', 'json']);
  const yaml = await kdrill([...args, '-o', 'yaml']);
  expect(json.code, json.stderr).toBe(code);
  expect(yaml.code, yaml.stderr).toBe(code);
  expect(yaml.stdout.trimStart().startsWith('{')).toBe(false);
  const fromJson: unknown = JSON.parse(json.stdout);
  expect(parse(yaml.stdout)).toEqual(fromJson);
  return fromJson;
}

describe('evidence and actions: -o json|yaml, as every kdrill command', () => {
  it('verify, the period report and the action items say the same in JSON and YAML, with the same exit code', async () => {
    const home = await mkdtemp(join(tmpdir(), 'kdrill-evout-'));
    const run = await syntheticRun(join(home, 'run'));
    const pack = join(home, 'pack.tar.gz');
    const packed = await kdrill(['evidence', 'pack', run, '-o', pack]);
    expect(packed.code, packed.stderr).toBe(0);
    expect(packed.stdout).toMatch(/NOT signed \(give --sign-key\)/);

    const intact = (await sameContent(['evidence', 'verify', pack], 0)) as { intact: boolean };
    expect(intact.intact).toBe(true);
    const entries = await readTarGz(await readFile(pack));
    const edited = entries.map((e) =>
      e.path.endsWith('/junit.xml') ? { ...e, data: Buffer.concat([e.data, Buffer.from(' ')]) } : e,
    );
    await writeFile(join(home, 'edited.tar.gz'), await writeTarGz(edited, new Date()));
    const changed = (await sameContent(['evidence', 'verify', join(home, 'edited.tar.gz')], 3)) as {
      problems: { path?: string }[];
    };
    expect(changed.problems.map((p) => p.path)).toContain('junit.xml');

    // an empty history and a scenario that must run every 30 days: never run is a finding (exit 3)
    const history = join(home, 'history');
    const report = (await sameContent(
      ['evidence', 'report', '--history', history, '--since', '60d', '--until', '2026-12-01', '--scenarios', SCENARIO],
      3,
    )) as { findings: { code: string }[] };
    expect(report.findings.map((f) => f.code)).toEqual(['DRILL_NEVER_RUN']);
    // without -o: Markdown for people
    const md = await kdrill([
      'evidence',
      'report',
      '--history',
      history,
      '--since',
      '60d',
      '--until',
      '2026-12-01',
      '--scenarios',
      SCENARIO,
    ]);
    expect(md.code, md.stderr).toBe(3);
    expect(md.stdout).toMatch(/^# /);
    expect(md.stdout).toContain('`DRILL_NEVER_RUN`');
    const actions = (await sameContent(['actions', 'list', '--history', history], 0)) as { open: unknown[] };
    expect(actions.open).toEqual([]);
  }, 120_000);
});
