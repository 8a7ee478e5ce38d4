import { readFile } from 'node:fs/promises';
import { parser } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { drillMetrics } from '../../src/report/metrics.js';
import { rec } from '../support/history.js';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
}

const doc = parse(await readFile('deploy/prometheus-rules.yaml', 'utf8')) as {
  apiVersion: string;
  kind: string;
  spec: { groups: { name: string; rules: Rule[] }[] };
};
const rules = doc.spec.groups.flatMap((g) => g.rules);

/** Syntax errors that Prometheus's own PromQL grammar finds in an expression. */
function promqlErrors(expr: string): number {
  let errors = 0;
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.type.isError) errors++;
    },
  });
  return errors;
}

describe('deploy/prometheus-rules.yaml', () => {
  it('is a PrometheusRule with P2 drill alerts (failed, not run in 26h) and a P1 lock alert', () => {
    expect(`${doc.apiVersion} ${doc.kind}`).toBe('monitoring.coreos.com/v1 PrometheusRule');
    expect(rules.map((r) => `${r.labels.severity} ${r.alert}`)).toEqual([
      'P2 KdrillDrillFailed',
      'P2 KdrillDrillNotRun',
      'P2 KdrillMetricsAbsent',
      'P1 KdrillBackupLockNotEnforced',
    ]);
    expect(rules.find((r) => r.alert === 'KdrillDrillNotRun')!.expr).toMatch(/> 26 \* 3600/);
  });

  it.each(rules.map((r) => [r.alert, r.expr]))('%s: valid PromQL (Prometheus grammar)', (_name, expr) => {
    expect(promqlErrors(expr)).toBe(0);
  });

  it('the grammar check is real: it catches a broken expression', () => {
    expect(promqlErrors('max by (scenario) (kdrill_drill_rto_seconds')).toBeGreaterThan(0);
  });

  it('uses only series that kdrill writes', () => {
    const written = new Set(
      [...drillMetrics(rec('x', 0, 1), '2026-11-01T00:00:00Z').matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]),
    );
    const used = new Set(rules.flatMap((r) => [...r.expr.matchAll(/\bkdrill_[a-z_]+/g)].map((m) => m[0])));
    expect(used.size).toBeGreaterThan(2);
    for (const s of used) expect(written.has(s), s).toBe(true);
  });
});
