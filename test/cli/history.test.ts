import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectCleanError, kdrill } from '../support/cli.js';
import { rec } from '../support/history.js';

describe('kdrill run --history/--metrics-file, and kdrill history', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kdrill-hist-cli-'));
  });

  it('records each run in the default history beside the report dir, and writes the metrics file', async () => {
    for (const n of [1, 2]) {
      const r = await kdrill(
        [
          'run',
          'scenarios/pvc-loss.yaml',
          '--lab',
          '--out',
          join(dir, 'reports', `run${n}`),
          '--metrics-file',
          join(dir, 'textfile', 'kdrill.prom'),
        ],
        { timeoutMs: 120_000 },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).toContain(
        `recorded: history ${join(dir, 'reports', 'history')}; metrics ${join(dir, 'textfile', 'kdrill.prom')}`,
      );
    }
    const h = await kdrill(['history', '--history', join(dir, 'reports', 'history'), '-o', 'json']);
    expect(h.code, h.stderr).toBe(0);
    const runs = (
      JSON.parse(h.stdout) as { runs: { scenario: string; runId: string; verdict: string; rtoSeconds: number }[] }
    ).runs;
    expect(runs.map((x) => `${x.scenario} ${x.verdict}`)).toEqual(['pvc-loss pass', 'pvc-loss pass']);
    const last = JSON.parse(await readFile(join(dir, 'reports', 'run2', 'result.json'), 'utf8')) as {
      runId: string;
      objectives: { rto: { measuredSeconds: number } };
    };
    expect(runs[1]!.runId).toBe(last.runId);
    const families = parsePrometheusTextFormat(await readFile(join(dir, 'textfile', 'kdrill.prom'), 'utf8'));
    const rto = families.find((f) => f.name === 'kdrill_drill_rto_seconds')!;
    expect(Number(rto.metrics[0]!.value)).toBeCloseTo(last.objectives.rto.measuredSeconds, 2);
  }, 300_000);

  it('prints a table and a sparkline, and exits 3 when the newest run regressed', async () => {
    const h = join(dir, 'synthetic');
    await kdrill(['history', '--history', h]).then((r) => expect(r.stdout).toBe(`no drills recorded in ${h} yet\n`));
    const { DirHistory } = await import('../../src/history/store.js');
    const store = new DirHistory(h);
    for (const [i, rto] of [100, 110, 90, 100, 105].entries()) await store.append(rec('namespace-loss', i, rto));
    let r = await kdrill(['history', '--history', h]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('namespace-loss  RTO ▅█▁▅▆  5 run(s), last 1m45s');
    await store.append(rec('namespace-loss', 5, 130));
    r = await kdrill(['history', '--history', h, '--scenario', 'namespace-loss']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/r5\s+PASS\s+2m10s.*REGRESSION: RTO 30% above the median 1m40s/);
    await appendFile(join(h, 'history.jsonl'), 'not json\n');
    r = await kdrill(['history', '--history', h, '--scenario', 'other', '-o', 'json']);
    expect(JSON.parse(r.stdout)).toEqual({ history: h, runs: [] });
  });

  it('refuses a bad --history, --pushgateway or --metrics-file before anything is touched (exit 2)', async () => {
    expectCleanError(
      await kdrill(['run', 'scenarios/pvc-loss.yaml', '--lab', '--history', 's3://bucket/backups']),
      2,
      /inside Velero's "backups\/" folder/,
    );
    expectCleanError(
      await kdrill(['run', 'scenarios/pvc-loss.yaml', '--lab', '--pushgateway', 'pushgateway:9091']),
      2,
      /is not an http\(s\) URL/,
    );
    expectCleanError(
      await kdrill(['run', 'scenarios/pvc-loss.yaml', '--lab', '--metrics-file', '/tmp/kdrill.txt']),
      2,
      /does not end in \.prom/,
    );
    expectCleanError(
      await kdrill(['history', '--history', 's3://bkt/x'], {
        env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
      }),
      2,
      /needs S3 credentials/,
    );
  });
});
