import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderHistory } from '../../src/history/render.js';
import { median, sparkline, withRegressions } from '../../src/history/trend.js';
import { rec } from '../support/history.js';

describe('history records and locations', () => {
  it('keeps only records of the right shape: a person or another tool may have written any', async () => {
    const { parseRecord } = await import('../../src/history/record.js');
    const good = rec('a', 0, 42);
    expect(parseRecord(JSON.stringify(good))).toEqual(good);
    for (const bad of [
      { verdict: 'maybe' },
      { exitCode: '0' },
      { rtoSeconds: 'fast' },
      { startedAt: 'yesterday' },
      { findings: [] },
      { mode: 'auto' },
    ]) {
      expect(parseRecord(JSON.stringify({ ...good, ...bad })), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('refuses a --history that is a file, or a directory that is not a history (exit 2)', async () => {
    const { parseHistoryLocation, historyInsideBsl } = await import('../../src/history/store.js');
    const d = mkdtempSync(join(tmpdir(), 'kdrill-hloc-'));
    writeFileSync(join(d, 'file'), 'x');
    expect(() => parseHistoryLocation(join(d, 'file'))).toThrow(/is a file, not a directory/);
    mkdirSync(join(d, 'odd', 'history.jsonl'), { recursive: true });
    expect(() => parseHistoryLocation(join(d, 'odd'))).toThrow(/history\.jsonl that is not a file/);
    expect(parseHistoryLocation(join(d, 'new'))).toEqual({ kind: 'dir', dir: join(d, 'new') });
    // s3: never inside a BSL's prefix, where Velero would see an unknown top-level folder
    const loc = parseHistoryLocation('s3://backups/kdrill-history');
    expect(historyInsideBsl(loc, { bucket: 'backups', prefix: '' })).toBe(true);
    expect(historyInsideBsl(loc, { bucket: 'backups', prefix: 'velero/' })).toBe(false);
    expect(
      historyInsideBsl(parseHistoryLocation('s3://backups/velero/kdrill'), { bucket: 'backups', prefix: 'velero/' }),
    ).toBe(true);
    expect(historyInsideBsl(loc, { bucket: 'other', prefix: '' })).toBe(false);
  });
});

describe('history trend', () => {
  it('medians', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('flags an RTO more than 20% above the median of the five runs before it, per scenario', () => {
    const rows = withRegressions([
      rec('a', 0, 100),
      rec('a', 1, 100),
      rec('b', 2, 10), // another scenario: never compared with a
      rec('a', 3, 120), // exactly +20%: not a regression
      rec('a', 4, 121), // median of 100,100,120 is 100: +21%
      rec('a', 5, null, 'fail'), // no RTO: neither flagged nor counted
      rec('a', 6, 90),
      rec('a', 7, 1000), // median of the last five (100,100,120,121,90) is 100
      rec('b', 8, 11),
    ]);
    expect(rows.map((r) => `${r.scenario}${r.runId}:${r.regression ? 'R' : '-'}`)).toEqual([
      'ar0:-',
      'ar1:-',
      'br2:-',
      'ar3:-',
      'ar4:R',
      'ar5:-',
      'ar6:-',
      'ar7:R',
      'br8:-',
    ]);
    expect(rows[0]!.baselineRtoSeconds).toBeNull();
    expect(rows[7]!.baselineRtoSeconds).toBe(100);
  });

  it('never flags an RTO at or below the floor: sub-second lab noise is not a regression', () => {
    const lab = withRegressions([
      rec('a', 0, 0.9),
      rec('a', 1, 1.0),
      rec('a', 2, 1.6),
      rec('a', 3, 29),
      rec('a', 4, 31),
    ]);
    // 1.6 s is +60% and 29 s is +2800%, but both are at most 30 s; 31 s is above both bars
    expect(lab.map((r) => r.regression)).toEqual([false, false, false, false, true]);
    expect(withRegressions([rec('a', 0, 1), rec('a', 1, 2)], { floorSeconds: 0 })[1]!.regression).toBe(true);
    expect(withRegressions([rec('a', 0, 100), rec('a', 1, 200)], { floorSeconds: 300 })[1]!.regression).toBe(false);
  });

  it('never compares modes: a guided run is not a regression of automated runs, nor the other way round', () => {
    const rows = withRegressions([
      rec('a', 0, 60),
      rec('a', 1, 61),
      rec('a', 2, 3300, 'pass', 'guide'),
      rec('a', 3, 62),
      rec('a', 4, 3400, 'pass', 'guide'),
      rec('a', 5, 200, 'pass', 'guide --yes'),
    ]);
    expect(rows.map((r) => [r.mode, r.baselineRtoSeconds, r.regression])).toEqual([
      ['run', null, false],
      ['run', 60, false],
      ['guide', null, false], // 55 min after 1 min runs: a different measurement, not a 5400% regression
      ['run', 60.5, false],
      ['guide', 3300, false],
      ['guide --yes', null, false],
    ]);
    // a record from before modes were recorded counts as `run`
    const old = { ...rec('a', 6, 300) };
    delete old.mode;
    expect(withRegressions([...rows, old]).at(-1)).toMatchObject({ baselineRtoSeconds: 61, regression: true });
  });

  it('only looks five runs back', () => {
    const rows = withRegressions([
      rec('a', 0, 10000),
      rec('a', 1, 10000),
      rec('a', 2, 10000),
      rec('a', 3, 100),
      rec('a', 4, 100),
      rec('a', 5, 100),
      rec('a', 6, 100),
      rec('a', 7, 100),
      rec('a', 8, 130),
    ]);
    // the three slow runs long ago are out of the window: median 100, 130 is +30%
    expect(rows[8]!.baselineRtoSeconds).toBe(100);
    expect(rows[8]!.regression).toBe(true);
  });

  it('draws a sparkline low to high, with gaps', () => {
    expect(sparkline([1, 8, null, 4.5])).toBe('▁█ ▅');
    expect(sparkline([5, 5])).toBe('▄▄');
    expect(sparkline([null])).toBe('');
  });

  it('renders a table, one sparkline per scenario and the regression', () => {
    const out = renderHistory(withRegressions([rec('a', 0, 100), rec('a', 1, 100), rec('a', 2, 300)]), '/tmp/h');
    expect(out).toMatch(/^STARTED \(UTC\)\s+SCENARIO\s+MODE\s+RUN\s+VERDICT\s+RTO\s+RPO\s+FINDINGS/);
    expect(out).toMatch(/2026-11-03 02:00:00\s+a\s+run\s+r2\s+PASS\s+5m.*REGRESSION: RTO 200% above the median 1m40s/);
    expect(out).toContain('a  RTO ▁▁█  3 run(s), last 5m, 1 regression(s)');
    expect(renderHistory([], '/tmp/h')).toBe('no drills recorded in /tmp/h yet\n');
  });
});
