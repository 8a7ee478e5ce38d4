import { describe, expect, it } from 'vitest';
import type { ActionEvent, TrackedActionItem } from '../../src/actions/types.js';
import { gapFindings } from '../../src/evidence/gaps.js';
import { periodHtml } from '../../src/evidence/period-html.js';
import { periodMarkdown } from '../../src/evidence/period-markdown.js';
import { periodReport, trendOf } from '../../src/evidence/period.js';
import { periodOf } from '../../src/evidence/report-service.js';
import type { HistoryRecord } from '../../src/history/record.js';

const DAY = 86400;
const T0 = Date.UTC(2026, 0, 1, 2);
const on = (day: number): string => new Date(T0 + day * DAY * 1000).toISOString();

/** One run of the synthetic history: `day` days after 2026-01-01 02:00 UTC. */
function run(scenario: string, day: number, o: Partial<HistoryRecord> = {}): HistoryRecord {
  const verdict = o.verdict ?? 'pass';
  return {
    v: 1,
    scenario,
    mode: 'run',
    runId: `${scenario.slice(0, 2)}${day}`,
    startedAt: on(day),
    verdict,
    exitCode: verdict === 'pass' ? 0 : 3,
    rtoSeconds: 100,
    rpoSeconds: 3600,
    objectives: { rto: verdict === 'pass', rpo: true, retention: true },
    verify: { passed: 4, failed: verdict === 'pass' ? 0 : 1 },
    findings: 0,
    findingsBySeverity: {},
    lockEnforced: true,
    lockProven: true,
    objectiveSeconds: { rto: 14400, rpo: 86400 },
    backup: `nightly-${day}`,
    controls: ['DORA-12.2', 'SOC2-A1.3'],
    actionItems: [],
    ...o,
  };
}

const item = (id: string, raisedIn: string, day: number, due: string): TrackedActionItem => ({
  severity: 'P2',
  code: 'RTO_BREACHED',
  action: 'restore less at once | pre-pull <script>alert(1)</script>',
  id,
  owner: 'Dana',
  due,
  raisedIn,
  raisedAt: on(day),
});

/**
 * namespace-loss must run every 30d: it ran on days 5, 15, then not until 55 (a 40-day gap), failing,
 * then on 65 with a worse RTO; the period (days 0 to 100) ends 35 days after its last run. Day -20 is
 * before the period. restore-test runs weekly into a sandbox. datacenter-loss must run every 90d and never did.
 */
function history(): { records: HistoryRecord[]; events: ActionEvent[] } {
  const records = [
    run('namespace-loss', -20, { rtoSeconds: 90 }),
    run('namespace-loss', 5, { rtoSeconds: 100 }),
    run('namespace-loss', 15, { rtoSeconds: 110 }),
    run('namespace-loss', 55, {
      verdict: 'fail',
      rtoSeconds: 300,
      actionItems: [item('na55-1', 'na55', 55, on(85).slice(0, 10)), item('na55-2', 'na55', 55, on(120).slice(0, 10))],
    }),
    run('namespace-loss', 65, { rtoSeconds: 320, lockProven: false, backup: 'nightly-55' }),
    ...[3, 10, 17, 24].map((d) =>
      run('restore-test', d, { restoreTest: true, controls: ['DORA-12.3', 'NIST-CP-9.2'], rtoSeconds: 40 }),
    ),
    run('pvc-loss', 30, { verdict: 'fail', rtoSeconds: null }),
  ];
  const events: ActionEvent[] = [
    { v: 1, event: 'closed', id: 'na55-2', scenario: 'namespace-loss', at: on(70), by: 'kim', note: 'phases split' },
  ];
  return { records, events };
}

const report = () => {
  const { records, events } = history();
  return periodReport(records, events, {
    from: new Date(on(0)),
    to: new Date(on(100)),
    where: 'drill-reports/history',
    requiredEvery: new Map([
      ['namespace-loss', 30 * DAY],
      ['restore-test', 7 * DAY],
      ['datacenter-loss', 90 * DAY],
    ]),
  });
};

describe('kdrill evidence report: the period over a synthetic history', () => {
  it('per scenario: drills and restore tests, pass/fail, RTO and RPO against the objectives with the trend, backups, lock', () => {
    const r = report();
    const ns = r.scenarios.find((s) => s.scenario === 'namespace-loss')!;
    expect(ns).toMatchObject({ runs: 4, drills: 4, restoreTests: 0, pass: 3, fail: 1, lastRunAt: on(65) });
    expect(ns.rto).toMatchObject({
      objectiveSeconds: 14400,
      measured: 4,
      met: 3,
      median: 205,
      last: 320,
      worst: 320,
      trend: 'worsening',
    });
    expect(ns.rpo).toMatchObject({ objectiveSeconds: 86400, median: 3600, trend: 'steady' });
    expect(ns.backupsTested).toEqual(['nightly-5', 'nightly-15', 'nightly-55']);
    expect(ns.lock).toEqual({ enforced: 4, proven: 3, audited: 4 });
    const rt = r.scenarios.find((s) => s.scenario === 'restore-test')!;
    expect(rt).toMatchObject({ runs: 4, drills: 0, restoreTests: 4, pass: 4 });
    expect(r.scenarios.map((s) => s.scenario)).toEqual([
      'datacenter-loss',
      'namespace-loss',
      'pvc-loss',
      'restore-test',
    ]);
    expect(r.runs).toHaveLength(9); // the run before the period is not in it
    // a trend needs two halves, and more than lab jitter: under the regression floor (30 s) nothing trends
    expect([trendOf([100]), trendOf([0.8, 1.8]), trendOf([100, 60]), trendOf([100, 110, 105])]).toEqual([
      'n/a',
      'steady',
      'improving',
      'steady',
    ]);
  });

  it('gaps are findings: a stretch longer than requiredEvery, overdue at the end, never run; and no passing run', () => {
    const r = report();
    expect(r.findings.map((f) => [f.severity, f.code, f.scenario])).toEqual([
      ['P2', 'DRILL_NEVER_RUN', 'datacenter-loss'],
      ['P2', 'DRILL_GAP', 'namespace-loss'],
      ['P2', 'DRILL_OVERDUE', 'namespace-loss'],
      ['P2', 'DRILL_OVERDUE', 'restore-test'],
      ['P2', 'NO_PASSING_RUN', 'pvc-loss'],
      ['P3', 'ACTION_OVERDUE', 'namespace-loss'],
      ['P3', 'CONTROL_NOT_EVIDENCED', undefined],
      ['P3', 'CONTROL_NOT_EVIDENCED', undefined],
      ['P3', 'CONTROL_NOT_EVIDENCED', undefined],
      ['P3', 'CONTROL_NOT_EVIDENCED', undefined],
      ['P3', 'CONTROL_NOT_EVIDENCED', undefined],
    ]);
    // DORA 12(2), 12(3), SOC 2 A1.3 and CP-9(2) were evidenced; the other five were not
    expect(r.findings.filter((f) => f.code === 'CONTROL_NOT_EVIDENCED')).toHaveLength(5);
    const msg = (code: string, scenario?: string) =>
      r.findings.find((f) => f.code === code && (!scenario || f.scenario === scenario))!.message;
    expect(msg('DRILL_GAP')).toBe(
      'namespace-loss did not run for 40d, from 2026-01-16 to 2026-02-25: it must run every 30d',
    );
    expect(msg('DRILL_OVERDUE', 'namespace-loss')).toBe(
      'namespace-loss has not run since 2026-03-07 (35d before 2026-04-11): it must run every 30d',
    );
    expect(msg('DRILL_NEVER_RUN')).toBe('datacenter-loss must run every 90d and has no run in the history');
    expect(msg('ACTION_OVERDUE')).toBe('action item na55-1 (P2 RTO_BREACHED) of Dana was due 2026-03-27');
  });

  it('gaps at the start of a period: from the last run before it, or from its start when there was none', () => {
    const from = T0;
    const to = T0 + 100 * DAY * 1000;
    const g = (times: number[]) => gapFindings('s', 30 * DAY, times, from, to).map((f) => f.message);
    expect(g([T0 - 10 * DAY * 1000, T0 + 40 * DAY * 1000, T0 + 65 * DAY * 1000, T0 + 95 * DAY * 1000])).toEqual([
      's did not run for 50d, from 2025-12-22 to 2026-02-10: it must run every 30d',
    ]);
    expect(g([T0 + 40 * DAY * 1000, T0 + 70 * DAY * 1000, T0 + 99 * DAY * 1000])).toEqual([
      's did not run for 40d, from 2026-01-01 (the start of the period) to 2026-02-10: it must run every 30d',
    ]);
    expect(g([T0 + 200 * DAY * 1000])).toEqual([
      's did not run in the period (from 2026-01-01); it must run every 30d',
    ]);
    expect(g([T0 + 10 * DAY * 1000, T0 + 39 * DAY * 1000, T0 + 68 * DAY * 1000, T0 + 97 * DAY * 1000])).toEqual([]);
  });

  it('controls evidenced in the period, by which runs; open action items; closed ones with what was done', () => {
    const r = report();
    expect(r.controls.find((c) => c.id === 'DORA-12.3')).toMatchObject({
      runs: ['re3', 're10', 're17', 're24'],
      lastAt: on(24),
    });
    expect(r.controls.find((c) => c.id === 'DORA-11.6')!.runs).toEqual([]);
    expect(r.open.map((a) => [a.id, a.overdue])).toEqual([['na55-1', true]]);
    expect(r.closed.map((c) => [c.item.id, c.closed.note])).toEqual([['na55-2', 'phases split']]);
  });

  it('renders as Markdown and as HTML, the text escaped', () => {
    const md = periodMarkdown(report());
    expect(md).toMatch(/^# Disaster-recovery evidence: 2026-01-01 to 2026-04-11\n/);
    expect(md).toContain(
      '| namespace-loss | 4 (4 drill(s), 0 restore test(s)): 3 pass, 1 fail | median 3m25s (last 5m20s, worst 5m20s) against 4h; 3/4 met; worsening',
    );
    expect(md).toContain(
      '| DORA-12.3 | Regulation (EU) 2022/2554 (DORA), Article 12(3) | 4: re3, re10, re17, re24 | 2026-01-25 |',
    );
    expect(md).toContain('restore less at once \\| pre-pull');
    expect(md).toContain('- `na55-2` RTO_BREACHED: closed 2026-03-12 by kim: phases split');
    expect(md).toMatch(/- \*\*P2\*\* `DRILL_GAP`: namespace-loss did not run for 40d/);
    const html = periodHtml(report());
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<td>DORA-12.3</td>');
    expect(html).toMatch(/class="P2"><b>P2<\/b> <code>DRILL_NEVER_RUN<\/code>/);
  });

  it('the period: --since a duration back from --until, or a date; anything else is a usage error', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    expect(periodOf('90d', undefined, now)).toEqual({ from: new Date('2026-09-02T00:00:00Z'), to: now });
    expect(periodOf('2026-01-01', '2026-12-31T23:59:59Z', now)).toEqual({
      from: new Date('2026-01-01T00:00:00Z'),
      to: new Date('2026-12-31T23:59:59Z'),
    });
    expect(() => periodOf('fortnight', undefined, now)).toThrow(/--since fortnight is neither a duration nor a date/);
    expect(() => periodOf('0d', undefined, now)).toThrow(/neither a duration nor a date/);
    expect(() => periodOf('90d', 'someday', now)).toThrow(/--until someday is not a date/);
    expect(() => periodOf('2027-01-01', undefined, now)).toThrow(/is empty/);
  });
});
