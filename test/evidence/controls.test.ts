import { describe, expect, it } from 'vitest';
import type { DrillResult } from '../../src/drill/types.js';
import { CONTROLS, FACTS, type ControlStatus } from '../../src/evidence/controls.js';
import { controlsOf } from '../../src/evidence/mapping.js';
import { sampleResult } from '../support/evidence.js';

const statuses = (r: DrillResult, scenario?: unknown): Record<string, ControlStatus> =>
  Object.fromEntries(controlsOf(r, scenario).map((c) => [c.id, c.status]));
const control = (r: DrillResult, id: string, scenario?: unknown) => controlsOf(r, scenario).find((c) => c.id === id)!;
const point = (r: DrillResult, id: string, p: string) => control(r, id).points.find((x) => x.id === p)!;

describe('the control mapping table', () => {
  it('lists each control the issue names, with its text reference, in one table', () => {
    expect(CONTROLS.map((c) => [c.id, c.ref])).toEqual([
      ['DORA-11.6', 'Regulation (EU) 2022/2554 (DORA), Article 11(6)'],
      ['DORA-12.2', 'Regulation (EU) 2022/2554 (DORA), Article 12(2)'],
      ['DORA-12.3', 'Regulation (EU) 2022/2554 (DORA), Article 12(3)'],
      ['ISO27001-A.8.13', 'ISO/IEC 27001:2022, Annex A, control 8.13 (Information backup)'],
      ['ISO27001-A.5.30', 'ISO/IEC 27001:2022, Annex A, control 5.30 (ICT readiness for business continuity)'],
      ['SOC2-A1.3', 'AICPA Trust Services Criteria (2017, points of focus revised 2022), A1.3'],
      ['NIST-CP-4', 'NIST SP 800-53 Rev. 5, CP-4 (Contingency Plan Testing)'],
      ['NIST-CP-9.1', 'NIST SP 800-53 Rev. 5, CP-9(1) (System Backup: Testing for Reliability and Integrity)'],
      ['NIST-CP-9.2', 'NIST SP 800-53 Rev. 5, CP-9(2) (System Backup: Test Restoration Using Sampling)'],
    ]);
    for (const c of CONTROLS) {
      expect(c.asks.length, c.id).toBeGreaterThan(20);
      expect(c.points.length, c.id).toBeGreaterThan(0);
      for (const p of c.points) for (const f of p.requires) expect(FACTS[f], `${c.id} ${p.id} ${f}`).toBeTruthy();
    }
  });

  it('a same-cluster drill that passed: no segregated restore (DORA 12(3)), no switchover, no sampling', () => {
    expect(statuses(sampleResult())).toEqual({
      'DORA-11.6': 'partial',
      'DORA-12.2': 'evidenced',
      'DORA-12.3': 'not-evidenced',
      'ISO27001-A.8.13': 'evidenced',
      'ISO27001-A.5.30': 'evidenced',
      'SOC2-A1.3': 'evidenced',
      'NIST-CP-4': 'evidenced',
      'NIST-CP-9.1': 'evidenced',
      'NIST-CP-9.2': 'not-evidenced',
    });
    const seg = point(sampleResult(), 'DORA-12.3', 'segregated');
    expect(seg.missing.join()).toMatch(
      /sandbox namespaces or another cluster.*restored over the source, in kdrill-lab/,
    );
    // what evidences a point is said from the run
    expect(point(sampleResult(), 'SOC2-A1.3', 'integrity').by.join()).toMatch(/sentinel: thanos\/kdrill-sentinel/);
  });

  it('DORA 12(3) and the switchover of 11(6): a recovery into another cluster', () => {
    const r = sampleResult({ recoveryContext: 'kdrill-lab-2' });
    expect(statuses(r)).toMatchObject({ 'DORA-11.6': 'evidenced', 'DORA-12.3': 'evidenced' });
    expect(point(r, 'DORA-12.3', 'segregated').by[0]).toBe(
      'restored into cluster kdrill-lab-2, not into the source kdrill-lab',
    );
  });

  it('DORA 12(3): a restore test into a sandbox, read from result.json fields of issue K, whatever their shape', () => {
    const rt = (extra: Record<string, unknown>) => sampleResult({ disaster: [], ...(extra as Partial<DrillResult>) });
    for (const r of [
      rt({ mode: 'restore-test', sandbox: { namespaces: ['thanos-rt-a1b2c3d4'], sourceUntouched: true } }),
      rt({ mode: 'restore-test', sandbox: { namespaces: { thanos: 'thanos-rt-a1b2c3d4' } } }),
      rt({ sandbox: { namespaces: [{ source: 'thanos', sandbox: 'thanos-rt-a1b2c3d4' }] } }),
    ]) {
      expect(statuses(r)).toMatchObject({ 'DORA-12.3': 'evidenced', 'DORA-11.6': 'partial' });
      expect(point(r, 'DORA-12.3', 'segregated').by[0]).toBe(
        'restored into thanos-rt-a1b2c3d4 of kdrill-lab, not over the source',
      );
      expect(point(r, 'SOC2-A1.3', 'plan-tested').by[0]).toMatch(/^restore test \(no disaster\)/);
    }
    // a restore test whose sandbox is named by mode alone still counts; no disaster and no restore test does not
    expect(statuses(rt({ mode: 'restore-test' }))['DORA-12.3']).toBe('evidenced');
    expect(statuses(sampleResult({ disaster: [] }))['NIST-CP-4']).toBe('partial');
  });

  it('CP-9(2) only for a randomly picked recovery point, from the result or the scenario as run', () => {
    const random = { name: 'nightly-7', phase: 'Completed', startTimestamp: '2026-11-20T02:00:00Z', pick: 'random' };
    expect(statuses(sampleResult({ backup: random }))['NIST-CP-9.2']).toBe('evidenced');
    expect(statuses(sampleResult(), { spec: { backup: { pick: 'random', window: '30d' } } })['NIST-CP-9.2']).toBe(
      'evidenced',
    );
    expect(statuses(sampleResult(), { spec: { backup: { from: 'latest', schedule: 'nightly' } } })['NIST-CP-9.2']).toBe(
      'not-evidenced',
    );
    // a random pick that did not restore proves nothing
    const failed = sampleResult({ backup: random });
    failed.restores[0]!.phase = 'PartiallyFailed';
    expect(statuses(failed)['NIST-CP-9.2']).toBe('not-evidenced');
  });

  it("SOC 2 A1.3's integrity point only when a sentinel or inventory check passed; completeness only with no scope gap", () => {
    const base = sampleResult();
    const only = (types: [string, boolean][]) =>
      sampleResult({ verify: types.map(([type, passed]) => ({ type, passed, detail: type, at: base.startedAt })) });
    const noIntegrity = only([['workloads-ready', true]]);
    expect(point(noIntegrity, 'SOC2-A1.3', 'integrity')).toMatchObject({ evidenced: false });
    expect(point(noIntegrity, 'SOC2-A1.3', 'integrity').missing[0]).toMatch(/no sentinel or inventory check passed/);
    expect(statuses(noIntegrity)['NIST-CP-9.1']).toBe('partial');
    const sentinelOnly = only([
      ['sentinel', true],
      ['inventory', false],
    ]);
    expect(point(sentinelOnly, 'SOC2-A1.3', 'integrity').evidenced).toBe(true);
    expect(point(sentinelOnly, 'SOC2-A1.3', 'completeness').evidenced).toBe(false);
    // a failed check fails the plan test too
    expect(point(sentinelOnly, 'SOC2-A1.3', 'plan-tested').evidenced).toBe(false);
    const gap = sampleResult({
      backupScope: {
        backup: 'nightly-1',
        source: 'resource-list',
        namespaces: ['thanos'],
        items: 90,
        gap: ['v1/ConfigMap/x'],
      },
    });
    expect(point(gap, 'SOC2-A1.3', 'completeness').missing[0]).toMatch(
      /1 live object\(s\) were not in backup nightly-1/,
    );
    expect(point(gap, 'SOC2-A1.3', 'integrity').evidenced).toBe(true);
  });

  it('restores that did not complete, objectives breached, action items without an owner: each point says why not', () => {
    const partial = sampleResult();
    partial.restores[0]!.phase = 'PartiallyFailed';
    expect(statuses(partial)).toMatchObject({ 'DORA-12.2': 'not-evidenced', 'ISO27001-A.8.13': 'not-evidenced' });
    const slow = sampleResult();
    slow.objectives.rto = { objectiveSeconds: 10, measuredSeconds: 12, met: false };
    expect(statuses(slow)['ISO27001-A.5.30']).toBe('partial');
    expect(point(slow, 'ISO27001-A.5.30', 'objectives-met').missing[0]).toMatch(/RTO breached/);
    const untracked = sampleResult({ actionItems: [{ severity: 'P2', code: 'X', action: 'fix it' }] });
    expect(point(untracked, 'NIST-CP-4', 'corrective-actions').missing[0]).toMatch(/without an owner or due date/);
  });

  it('a guided recovery: the runbook done in full and verified is the restore of the backup', () => {
    const steps = [{ title: 'Restore', anchor: 'restore', startedAt: '', endedAt: '', status: 'done', commands: [] }];
    const guided = sampleResult({ mode: 'guide --yes', restores: [], runbook: { file: 'runbooks/x.md', steps } });
    expect(statuses(guided)['DORA-12.2']).toBe('evidenced');
    expect(point(guided, 'DORA-12.2', 'restore-tested').by[0]).toMatch(
      /restored by following runbooks\/x\.md \(1 steps done\)/,
    );
    const skipped = sampleResult({
      restores: [],
      runbook: { file: 'runbooks/x.md', steps: [{ ...steps[0]!, status: 'skipped' }] },
    });
    expect(statuses(skipped)['DORA-12.2']).toBe('not-evidenced');
  });
});
