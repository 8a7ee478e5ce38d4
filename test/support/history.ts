import type { HistoryRecord, RunMode } from '../../src/history/record.js';

/** A history record of scenario `scenario`, run i, started on 2026-11-(1+i) 02:00 UTC. */
export function rec(
  scenario: string,
  i: number,
  rto: number | null,
  verdict: 'pass' | 'fail' = 'pass',
  mode: RunMode = 'run',
): HistoryRecord {
  return {
    v: 1,
    scenario,
    mode,
    runId: `r${i}`,
    startedAt: new Date(Date.UTC(2026, 10, 1 + i, 2)).toISOString(),
    verdict,
    exitCode: verdict === 'pass' ? 0 : 3,
    rtoSeconds: rto,
    rpoSeconds: 3600,
    objectives: { rto: verdict === 'pass', rpo: true, retention: true },
    verify: { passed: 4, failed: verdict === 'pass' ? 0 : 1 },
    findings: 2,
    findingsBySeverity: { P3: 2 },
    lockEnforced: true,
  };
}
