import { closedActionItems, isOverdue, openActionItems } from '../actions/open.js';
import type { ActionEvent, CarriedActionItem } from '../actions/types.js';
import type { HistoryRecord } from '../history/record.js';
import { DEFAULT_REGRESSION_FLOOR_SECONDS, REGRESSION_FACTOR, median, modeOf, sparkline } from '../history/trend.js';
import { CONTROLS } from './controls.js';
import { gapFindings, type PeriodFinding } from './gaps.js';

export type { PeriodFinding };

export interface SeriesSummary {
  /** The newest objective in the period (older records hold none). */
  objectiveSeconds?: number;
  measured: number;
  /** Runs whose objective was met. */
  met: number;
  median: number | null;
  last: number | null;
  worst: number | null;
  /** The median of the later half of the period against the earlier half, by the regression factor. */
  trend: 'improving' | 'worsening' | 'steady' | 'n/a';
  sparkline: string;
}

export interface ScenarioPeriod {
  scenario: string;
  runs: number;
  drills: number;
  restoreTests: number;
  guided: number;
  pass: number;
  fail: number;
  lastRunAt?: string;
  requiredEverySeconds?: number;
  rto: SeriesSummary;
  rpo: SeriesSummary;
  backupsTested: string[];
  /** Runs whose audit found the lock enforced, whose canary proved it, and that ran the audit at all. */
  lock: { enforced: number; proven: number; audited: number };
}

export interface PeriodReport {
  from: string;
  to: string;
  where: string;
  scenarios: ScenarioPeriod[];
  runs: HistoryRecord[];
  findings: PeriodFinding[];
  open: (CarriedActionItem & { overdue: boolean })[];
  closed: { item: CarriedActionItem; closed: ActionEvent }[];
  controls: { id: string; ref: string; title: string; runs: string[]; lastAt?: string }[];
  /** Runs in the period written before control data was recorded. */
  runsWithoutControls: number;
}

export interface PeriodOptions {
  from: Date;
  to: Date;
  where: string;
  /** requiredEvery by scenario, from the scenario files given; else the newest record's. */
  requiredEvery: Map<string, number>;
}

/** The later half's median against the earlier half's; below the history's regression floor, seconds of lab jitter are no trend. */
export function trendOf(xs: number[]): SeriesSummary['trend'] {
  if (xs.length < 2) return 'n/a';
  const half = Math.floor(xs.length / 2);
  const early = median(xs.slice(0, half))!;
  const late = median(xs.slice(half))!;
  if (Math.max(early, late) <= DEFAULT_REGRESSION_FLOOR_SECONDS) return 'steady';
  if (late > early * REGRESSION_FACTOR) return 'worsening';
  if (late * REGRESSION_FACTOR < early) return 'improving';
  return 'steady';
}

function series(runs: HistoryRecord[], which: 'rto' | 'rpo'): SeriesSummary {
  const values = runs.map((r) => (which === 'rto' ? r.rtoSeconds : r.rpoSeconds) ?? null);
  const xs = values.filter((v): v is number => v !== null);
  const objective = runs.map((r) => r.objectiveSeconds?.[which]).filter((v): v is number => v !== undefined);
  return {
    ...(objective.length ? { objectiveSeconds: objective[objective.length - 1] } : {}),
    measured: xs.length,
    met: runs.filter((r) => r.objectives?.[which] === true).length,
    median: median(xs),
    last: xs.length ? xs[xs.length - 1]! : null,
    worst: xs.length ? Math.max(...xs) : null,
    trend: trendOf(xs),
    sparkline: sparkline(values),
  };
}

function scenarioPeriod(scenario: string, runs: HistoryRecord[], requiredEverySeconds?: number): ScenarioPeriod {
  const audited = runs.filter((r) => r.lockEnforced !== undefined);
  return {
    scenario,
    runs: runs.length,
    drills: runs.filter((r) => !r.restoreTest).length,
    restoreTests: runs.filter((r) => r.restoreTest).length,
    guided: runs.filter((r) => modeOf(r) !== 'run').length,
    pass: runs.filter((r) => r.verdict === 'pass').length,
    fail: runs.filter((r) => r.verdict !== 'pass').length,
    ...(runs.length ? { lastRunAt: runs[runs.length - 1]!.startedAt } : {}),
    ...(requiredEverySeconds ? { requiredEverySeconds } : {}),
    rto: series(runs, 'rto'),
    rpo: series(runs, 'rpo'),
    backupsTested: [...new Set(runs.map((r) => r.backup).filter((b): b is string => !!b))],
    lock: {
      enforced: audited.filter((r) => r.lockEnforced).length,
      proven: audited.filter((r) => r.lockProven).length,
      audited: audited.length,
    },
  };
}

function controlsIn(runs: HistoryRecord[]): PeriodReport['controls'] {
  return CONTROLS.map((c) => {
    const by = runs.filter((r) => r.controls?.includes(c.id));
    return {
      id: c.id,
      ref: c.ref,
      title: c.title,
      runs: by.map((r) => r.runId),
      ...(by.length ? { lastAt: by[by.length - 1]!.startedAt } : {}),
    };
  });
}

function actionFindings(open: PeriodReport['open']): PeriodFinding[] {
  return open
    .filter((a) => a.overdue)
    .map((a) => ({
      severity: 'P3',
      code: 'ACTION_OVERDUE',
      scenario: a.scenario,
      message: `action item ${a.id} (${a.severity} ${a.code}${a.object ? `, ${a.object}` : ''}) of ${a.owner} was due ${a.due}`,
      fix: `do it, then: kdrill actions close ${a.id} --note "what was done"`,
    }));
}

function noPassFindings(scenarios: ScenarioPeriod[]): PeriodFinding[] {
  return scenarios
    .filter((s) => s.runs && !s.pass)
    .map((s) => ({
      severity: 'P2',
      code: 'NO_PASSING_RUN',
      scenario: s.scenario,
      message: `${s.scenario} ran ${s.runs} time(s) in the period and never passed`,
      fix: 'work through its action items, then drill it again',
    }));
}

function controlFindings(controls: PeriodReport['controls'], runs: HistoryRecord[]): PeriodFinding[] {
  if (!runs.some((r) => r.controls)) return [];
  return controls
    .filter((c) => !c.runs.length)
    .map((c) => ({
      severity: 'P3',
      code: 'CONTROL_NOT_EVIDENCED',
      message: `no run in the period evidences ${c.id} (${c.ref}) in full`,
      fix: `see what it needs in any run's controls.json; e.g. a restore test into a sandbox for DORA 12(3), pick: random for CP-9(2)`,
    }));
}

/**
 * The auditor's view of a period: per scenario the drills and restore tests, their verdicts, RTO and RPO
 * against the objectives with the trend, backups tested and the lock verified; the controls evidenced;
 * open action items; and the gaps: every stretch longer than a scenario's `requiredEvery` without a run.
 */
export function periodReport(all: HistoryRecord[], events: ActionEvent[], o: PeriodOptions): PeriodReport {
  const inPeriod = (at: string): boolean => Date.parse(at) >= o.from.getTime() && Date.parse(at) <= o.to.getTime();
  const runs = all.filter((r) => inPeriod(r.startedAt));
  const names = [...new Set([...all.map((r) => r.scenario), ...o.requiredEvery.keys()])].sort();
  const everyOf = (s: string): number | undefined =>
    o.requiredEvery.get(s) ?? all.filter((r) => r.scenario === s && r.requiredEverySeconds).pop()?.requiredEverySeconds;
  const scenarios = names
    .map((s) =>
      scenarioPeriod(
        s,
        runs.filter((r) => r.scenario === s),
        everyOf(s),
      ),
    )
    .filter((s) => s.runs || s.requiredEverySeconds);
  const open = openActionItems(all, events).map((a) => ({ ...a, overdue: isOverdue(a, o.to) }));
  const controls = controlsIn(runs);
  const findings = [
    ...names.flatMap((s) => {
      const every = everyOf(s);
      const times = all.filter((r) => r.scenario === s).map((r) => Date.parse(r.startedAt));
      return every ? gapFindings(s, every, times, o.from.getTime(), o.to.getTime()) : [];
    }),
    ...noPassFindings(scenarios),
    ...actionFindings(open),
    ...controlFindings(controls, runs),
  ];
  return {
    from: o.from.toISOString(),
    to: o.to.toISOString(),
    where: o.where,
    scenarios,
    runs,
    findings,
    open,
    closed: closedActionItems(all, events).filter((c) => inPeriod(c.closed.at)),
    controls,
    runsWithoutControls: runs.filter((r) => !r.controls).length,
  };
}
