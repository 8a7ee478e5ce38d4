import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kdrill } from '../support/cli.js';
import { labAudit, S3_FAULTS } from '../support/faulty-audit.js';

/**
 * S3 under load: 10 % 503 SlowDown and 5 % reset connections between kdrill and the lab's bucket.
 * Each audit must reach the same conclusion as the audit without faults: same findings, same backups
 * and locks, the canary's delete refused. A retry that gave up, or one that hid a fault, shows here.
 */
const AUDITS = Math.max(5, Number(process.env.KDRILL_FAULT_AUDITS ?? 5));

describe(`${AUDITS} audits of a lab bucket under S3 faults (10% 503 SlowDown, 5% resets)`, () => {
  let lab: string;
  beforeAll(async () => {
    lab = join(await mkdtemp(join(tmpdir(), 'kdrill-s3faults-')), 'lab');
    const up = await kdrill(['lab', 'up', '--dir', lab, '--start-delay', '100'], { timeoutMs: 120_000 });
    if (up.code !== 0) throw new Error(`lab up: ${up.stderr}`);
  });
  afterAll(async () => void (await kdrill(['lab', 'down', '--dir', lab])));

  it('each reaches the verdict of the fault-free audit', async () => {
    const clean = await labAudit(lab);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.verdict.backups.length).toBeGreaterThan(0);
    expect(clean.verdict.canaryRefused).toBe(true);
    let faults = 0;
    for (let seed = 1; seed <= AUDITS; seed++) {
      const r = await labAudit(lab, S3_FAULTS, seed);
      expect({ seed, code: r.code, verdict: r.verdict }, r.stderr).toEqual({
        seed,
        code: clean.code,
        verdict: clean.verdict,
      });
      faults += r.stats!.slowDown + r.stats!.resets;
    }
    // the faults really happened
    expect(faults).toBeGreaterThan(AUDITS);
  }, 900_000);
});
