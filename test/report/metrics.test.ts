import { createServer } from 'node:http';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import type { DrillResult } from '../../src/drill/types.js';
import { DirHistory } from '../../src/history/store.js';
import { publishRun } from '../../src/history/publish.js';
import { drillMetrics } from '../../src/report/metrics.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { rec } from '../support/history.js';

const SERIES = [
  'kdrill_drill_last_run_timestamp_seconds',
  'kdrill_drill_last_success_timestamp_seconds',
  'kdrill_drill_rto_seconds',
  'kdrill_drill_rpo_seconds',
  'kdrill_drill_objective_met',
  'kdrill_backup_audit_findings',
];

/** The parsed families as name -> [labels, value]. */
function parse(text: string): Map<string, [Record<string, string>, number][]> {
  return new Map(
    parsePrometheusTextFormat(text).map((f) => [
      f.name,
      f.metrics.map((m) => [m.labels ?? {}, Number(m.value)] as [Record<string, string>, number]),
    ]),
  );
}

function result(verdict: 'pass' | 'fail', over: Partial<DrillResult> = {}): DrillResult {
  const pass = verdict === 'pass';
  return {
    runId: pass ? 'aaaa1111' : 'bbbb2222',
    scenario: 'namespace-loss',
    mode: 'run',
    context: 'kdrill-lab',
    recoveryContext: 'kdrill-lab',
    verdict,
    exitCode: pass ? 0 : 3,
    startedAt: pass ? '2026-11-24T02:00:00.000Z' : '2026-11-25T02:00:00.000Z',
    endedAt: '2026-11-25T02:10:00.000Z',
    objectives: {
      rto: { objectiveSeconds: 14400, measuredSeconds: pass ? 42.5 : null, met: pass },
      rpo: { objectiveSeconds: 86400, measuredSeconds: 3600, met: true },
      retention: {
        objectiveSeconds: 604800,
        backupTtlSeconds: 2592000,
        oldestBackupAgeSeconds: 1,
        newestBackupAgeSeconds: 1,
        met: true,
        detail: '',
      },
    },
    timeline: [],
    restores: [],
    verify: [{ type: 'workloads-ready', passed: pass, detail: '', at: '' }],
    disaster: [],
    findings: [
      { severity: 'P1', code: 'OBJECT_UNLOCKED', message: 'm', fix: 'f' },
      { severity: 'P3', code: 'VELERO_REWRITES_METADATA', message: 'm', fix: 'f' },
      { severity: 'P3', code: 'VELERO_GC_BLOCKED_BY_LOCK', message: 'm', fix: 'f' },
    ],
    actionItems: [],
    interruptions: [],
    protection: {},
    drill: { goals: [], leader: '', observers: [], discovery: '', cause: '' },
    notes: [],
    ...over,
  };
}

describe('Prometheus metrics', () => {
  it('are valid exposition text with the six series, labelled by scenario', () => {
    const m = parse(drillMetrics(rec('namespace-loss', 3, 42.5), '2026-11-04T02:00:00.000Z'));
    for (const s of SERIES) expect(m.has(s), s).toBe(true);
    expect(m.get('kdrill_drill_last_run_timestamp_seconds')).toEqual([
      [{ scenario: 'namespace-loss' }, Date.UTC(2026, 10, 4, 2) / 1000],
    ]);
    expect(m.get('kdrill_drill_rto_seconds')).toEqual([[{ scenario: 'namespace-loss' }, 42.5]]);
    expect(m.get('kdrill_drill_objective_met')).toEqual([
      [{ scenario: 'namespace-loss', objective: 'rto' }, 1],
      [{ scenario: 'namespace-loss', objective: 'rpo' }, 1],
      [{ scenario: 'namespace-loss', objective: 'retention' }, 1],
    ]);
    expect(m.get('kdrill_backup_audit_findings')).toEqual([
      [{ scenario: 'namespace-loss', severity: 'P1' }, 0],
      [{ scenario: 'namespace-loss', severity: 'P2' }, 0],
      [{ scenario: 'namespace-loss', severity: 'P3' }, 2],
    ]);
    expect(m.get('kdrill_backup_lock_enforced')).toEqual([[{ scenario: 'namespace-loss' }, 1]]);
  });

  it('escape label values and leave out what was not measured', () => {
    const r = { ...rec('we"ird\\name', 0, null, 'fail') };
    const text = drillMetrics(r, undefined);
    const m = parse(text);
    expect(m.get('kdrill_drill_rto_seconds')).toEqual([]);
    expect(m.get('kdrill_drill_last_success_timestamp_seconds')).toEqual([]);
    expect(m.get('kdrill_drill_last_run_timestamp_seconds')![0]![0]).toEqual({ scenario: 'we"ird\\name' });
  });

  it('publish: history first, so a failed run reports the last success from it; file and Pushgateway get the same text', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-publish-'));
    const pushed: { method: string; url: string; type: string; body: string }[] = [];
    const gw = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        pushed.push({ method: req.method!, url: req.url!, type: req.headers['content-type'] ?? '', body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => gw.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(gw.address() as { port: number }).port}`;
    const warnings: string[] = [];
    const o = { history: join(dir, 'history'), metricsFile: join(dir, 'textfile', 'kdrill.prom'), pushgateway: url };
    try {
      expect(await publishRun(result('pass'), o, (w) => warnings.push(w))).toHaveLength(3);
      expect(await publishRun(result('fail'), o, (w) => warnings.push(w))).toHaveLength(3);
    } finally {
      gw.close();
    }
    expect(warnings).toEqual([]);
    const file = await readFile(o.metricsFile, 'utf8');
    expect(await readdir(join(dir, 'textfile'))).toEqual(['kdrill.prom']); // no temp file left behind
    const m = parse(file);
    // the failed run: its own start as last run, the passing run before it as last success
    expect(m.get('kdrill_drill_last_run_timestamp_seconds')![0]![1]).toBe(Date.parse('2026-11-25T02:00:00Z') / 1000);
    expect(m.get('kdrill_drill_last_success_timestamp_seconds')![0]![1]).toBe(
      Date.parse('2026-11-24T02:00:00Z') / 1000,
    );
    expect(m.get('kdrill_drill_objective_met')!.find(([l]) => l.objective === 'rto')![1]).toBe(0);
    expect(m.get('kdrill_backup_audit_findings')!.map(([l, v]) => `${l.severity}=${v}`)).toEqual([
      'P1=1',
      'P2=0',
      'P3=2',
    ]);
    expect(m.get('kdrill_backup_lock_enforced')![0]![1]).toBe(0);
    expect(pushed.map((p) => `${p.method} ${p.url} ${p.type}`)).toEqual(
      Array(2).fill('PUT /metrics/job/kdrill/scenario/namespace-loss text/plain; version=0.0.4'),
    );
    expect(pushed[1]!.body).toBe(file);
    expect((await new DirHistory(o.history).list()).map((r) => r.verdict)).toEqual(['pass', 'fail']);
  });

  it('publish: an unreachable Pushgateway is a warning, and the rest is still written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-publish-'));
    const warnings: string[] = [];
    const done = await publishRun(
      result('pass'),
      { history: join(dir, 'h'), metricsFile: join(dir, 'k.prom'), pushgateway: 'http://127.0.0.1:1' },
      (w) => warnings.push(w),
    );
    expect(done).toEqual([`history ${join(dir, 'h')}`, `metrics ${join(dir, 'k.prom')}`]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^metrics not pushed to the Pushgateway: /);
  });
  it('publish: a Pushgateway that never answers is given up on when the clock reaches 15 s', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-publish-'));
    let asked = 0;
    const gw = createServer(() => void asked++); // reads the request, never answers
    await new Promise<void>((r) => gw.listen(0, '127.0.0.1', r));
    const clock = new FakeClock();
    const warnings: string[] = [];
    try {
      let done: string[] | undefined;
      const publishing = publishRun(
        result('pass'),
        {
          metricsFile: join(dir, 'k.prom'),
          pushgateway: `http://127.0.0.1:${(gw.address() as { port: number }).port}`,
        },
        (w) => warnings.push(w),
        clock,
      ).then((d) => (done = d));
      while (asked === 0) await new Promise((r) => setTimeout(r, 5));
      clock.advance(14_999);
      await new Promise((r) => setTimeout(r, 50));
      expect(done).toBeUndefined();
      clock.advance(1);
      // the wall clock's 15 s must not be what ends it
      const late = new Promise((_, reject) =>
        setTimeout(() => reject(new Error('still waiting after the deadline')), 3000),
      );
      await Promise.race([publishing, late]);
      expect(done).toEqual([`metrics ${join(dir, 'k.prom')}`]);
      expect(warnings).toEqual(['metrics not pushed to the Pushgateway: The operation was aborted due to timeout']);
    } finally {
      gw.closeAllConnections();
      gw.close();
    }
  });
});
