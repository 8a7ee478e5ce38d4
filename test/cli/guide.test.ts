import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DrillResult } from '../../src/drill/types.js';
import { expectCleanError, kdrill } from '../support/cli.js';

describe('kdrill guide --yes --lab: every shipped runbook recovers its scenario', () => {
  it.each(['thanos-nodes-lost', 'datacenter-loss', 'pvc-loss'])('%s', async (name) => {
    const out = join(await mkdtemp(join(tmpdir(), 'kdrill-guide-')), 'report');
    const r = await kdrill(['guide', `runbooks/${name}.md`, '--yes', '--lab', '--scenario', `scenarios/${name}.yaml`, '--out', out], { timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as DrillResult;
    expect(res.verdict).toBe('pass');
    expect(res.runbook!.steps.every((s) => s.status === 'done')).toBe(true);
  }, 200_000);

  it('without --check or --yes, and with --yes but no scenario: a usage error that says what to do', async () => {
    expectCleanError(await kdrill(['guide', 'runbooks/pvc-loss.md']), 2, /interactive guided session is not built yet/);
    expectCleanError(await kdrill(['guide', 'runbooks/pvc-loss.md', '--yes']), 2, /--yes needs --scenario/);
  });
});
