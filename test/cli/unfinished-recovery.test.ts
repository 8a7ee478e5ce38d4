import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { DrillResult } from '../../src/drill/types.js';
import { connectKube } from '../../src/kube/client-node.js';
import { kdrill } from '../support/cli.js';
import { eventually } from '../support/eventually.js';

/**
 * A recovery that does not finish in time: the namespace stays deleted, so the drill must exit 5 (not 3),
 * say what is still missing and how to continue, and `kdrill resume` must finish it with the same Restore.
 */
describe('a recovery that did not finish', () => {
  it('exits 5, names the unfinished Restore and the resume command; resume waits on that Restore and passes', async () => {
    const work = await mkdtemp(join(tmpdir(), 'kdrill-unfinished-'));
    const s = parse(await readFile('scenarios/namespace-loss.yaml', 'utf8')) as {
      spec: { recovery: Record<string, unknown> };
    };
    s.spec.recovery.timeout = '2s';
    const file = join(work, 'slow.yaml');
    await writeFile(file, stringify(s));
    const out = join(work, 'report');
    // the lab restores each item 150 ms apart: the thanos namespace takes longer than 2 s
    const env = { KDRILL_LAB_RESTORE_ITEM_DELAY_MS: '150' };
    const r = await kdrill(['run', file, '--lab', '--out', out], { timeoutMs: 180_000, env });
    try {
      expect(r.code, r.stderr).toBe(5);
      const res = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as DrillResult;
      expect(res.verdict).toBe('fail');
      expect(res.stillMissing).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^Restore \S+ was created and has not been seen to finish$/),
          expect.stringMatching(/never verified .*did not finish within 2s/),
        ]),
      );
      expect(r.stderr).toContain('Still missing:');
      expect(r.stderr).toContain(`kdrill resume ${out}`);
      expect(await readFile(join(out, 'retrospective.md'), 'utf8')).toMatch(
        /The cluster may still be degraded\.\*\* Still missing:/,
      );
      const created = (await readFile(join(out, 'journal.jsonl'), 'utf8'))
        .split('\n')
        .filter((l) => l.includes('"restore-creating"'))
        .map((l) => (JSON.parse(l) as { name: string }).name);
      // NetworkPolicies first (few items, in time), then the rest, which is the one left unfinished
      expect(res.stillMissing).toContain(`Restore ${created.at(-1)!} was created and has not been seen to finish`);

      // the lab's Velero goes on restoring, as a real one would; once it is done, resume waits on that same Restore
      const kube = connectKube({ kubeconfig: join(out, 'lab', 'kubeconfig'), context: 'kdrill-lab' });
      await eventually(
        async () =>
          (await kube.list({ apiVersion: 'velero.io/v1', kind: 'Restore' }, { namespace: 'velero' })).items.every(
            (x) => x.status?.phase === 'Completed',
          ),
        'the lab to finish the Restore',
        120_000,
        200,
      );
      const again = await kdrill(['resume', out], { timeoutMs: 180_000, env });
      expect(again.code, again.stderr).toBe(0);
      const res2 = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as DrillResult;
      expect(res2.verdict).toBe('pass');
      expect(res2.stillMissing).toBeUndefined();
      expect(res2.restores.map((x) => x.phase)).toEqual(['Completed', 'Completed']);
      const names = (await readFile(join(out, 'journal.jsonl'), 'utf8'))
        .split('\n')
        .filter((l) => l.includes('"restore-creating"'))
        .map((l) => (JSON.parse(l) as { name: string }).name);
      expect(new Set(names).size).toBe(names.length); // never a Restore twice
    } finally {
      await kdrill(['lab', 'down', '--dir', join(out, 'lab')]);
    }
  }, 400_000);
});
