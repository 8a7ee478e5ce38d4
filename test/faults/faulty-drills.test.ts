import { describe, expect, it } from 'vitest';
import { faultyDrill } from '../support/faulty-drill.js';

/**
 * The fault tier: lab drills of namespace-loss with every request kdrill makes going through a proxy
 * that answers 10 % of them 500, 10 % 429 (Retry-After: 1) and cuts watch streams every 2-5 s. Every
 * one must pass, with one Restore per phase; KDRILL_FAULT_DRILLS sets how many (at least 10).
 */
const DRILLS = Math.max(10, Number(process.env.KDRILL_FAULT_DRILLS ?? 10));

describe(`${DRILLS} lab drills under API faults (10% 500, 10% 429, watch cuts)`, () => {
  it('every one passes, each with exactly one Restore per phase', async () => {
    const seeds = Array.from({ length: DRILLS }, (_, i) => i + 1);
    const results: Awaited<ReturnType<typeof faultyDrill>>[] = [];
    // two at a time: the machine has two cores
    for (let i = 0; i < seeds.length; i += 2)
      results.push(...(await Promise.all(seeds.slice(i, i + 2).map((s) => faultyDrill(s)))));
    const failed = results.map((r, i) => ({ seed: i + 1, ...r })).filter((r) => r.code !== 0);
    expect(
      failed.map(
        (f) =>
          `seed ${f.seed}: exit ${f.code}: ${
            f.result?.findings
              .filter((x) => x.severity !== 'P3')
              .map((x) => `${x.code} ${x.message}`)
              .join('; ') ?? f.stderr.slice(-600)
          }`,
      ),
    ).toEqual([]);
    for (const r of results) {
      expect(r.result!.verdict).toBe('pass');
      expect(r.result!.restores.map((x) => x.phase)).toEqual(['Completed', 'Completed']);
      expect(new Set(r.restoresCreated).size).toBe(2);
      // the faults really happened
      expect(r.stats.e500 + r.stats.e429).toBeGreaterThan(5);
    }
    const cuts = results.reduce((n, r) => n + r.stats.cuts, 0);
    expect(cuts).toBeGreaterThan(0);
  }, 1_800_000);
});
