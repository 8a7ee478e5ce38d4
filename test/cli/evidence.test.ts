import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { DrillResult } from '../../src/drill/types.js';
import { parseAwsCredentials } from '../../src/backupstore/bsl.js';
import { readTarGz, writeTarGz } from '../../src/evidence/tar.js';
import { expectCleanError, kdrill } from '../support/cli.js';

const tmp = (p: string) => mkdtemp(join(tmpdir(), p));
const readJson = async (f: string) => JSON.parse(await readFile(f, 'utf8')) as DrillResult;
const SCENARIO = resolve('scenarios/namespace-loss.yaml');

/** A namespace-loss runbook whose NetworkPolicy step fails, and the scenario with checks that give up in 3 s. */
async function failingGuide(dir: string): Promise<{ runbook: string; scenario: string }> {
  const runbook = join(dir, 'broken.md');
  const text = (await readFile('runbooks/namespace-loss.md', 'utf8')).replace(
    'kdrill velero restore create thanos-netpol --from-schedule nightly',
    'kdrill velero restore create thanos-netpol --from-backup gone --from-schedule nightly',
  );
  await writeFile(runbook, text);
  const quick = parse(await readFile(SCENARIO, 'utf8')) as { spec: { verify: { type: string; timeout?: string }[] } };
  for (const v of quick.spec.verify) if (v.type === 'workloads-ready' || v.type === 'http') v.timeout = '3s';
  const scenario = join(dir, 'quick.yaml');
  await writeFile(scenario, stringify(quick));
  return { runbook, scenario };
}

describe('evidence and action items, end to end on lab drills', () => {
  it('a guided drill raises owned items; the next plan and drill carry them over; the pack verifies elsewhere; close', async () => {
    const home = await tmp('kdrill-evidence-');
    const reports = join(home, 'drill-reports');
    await mkdir(reports);
    // 1. a guided drill whose runbook fails, its items owned by the operator named in kdrill guide
    const g = await failingGuide(home);
    const guidedOut = join(reports, 'guided');
    const guided = await kdrill(
      [
        'guide',
        g.runbook,
        '--yes',
        '--lab',
        '--scenario',
        g.scenario,
        '--out',
        guidedOut,
        '--action-owner',
        'Dana (platform)',
      ],
      { timeoutMs: 180_000 },
    );
    expect(guided.code, guided.stderr).toBe(3);
    const gr = await readJson(join(guidedOut, 'result.json'));
    expect(gr.actionItems.length).toBeGreaterThan(0);
    for (const [i, a] of gr.actionItems.entries())
      expect(a).toMatchObject({
        id: `${gr.runId}-${i + 1}`,
        owner: 'Dana (platform)',
        raisedIn: gr.runId,
        due: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      });
    const found = gr.actionItems.find((a) => a.code === 'RUNBOOK_STEP_FAILED')!;
    const step = { ...found, id: found.id!, due: found.due! };
    expect(await readFile(join(guidedOut, 'retrospective.md'), 'utf8')).toContain(
      `\`${step.id}\` · owner Dana (platform) · due ${step.due}`,
    );

    // 2. the next drill's plan lists them, carried over from that run
    const plan = await kdrill(['plan', SCENARIO, '--offline'], { cwd: home });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/Open action items from earlier runs \(\d+\), carried over into this drill:/);
    expect(plan.stdout).toContain(`  - P2 ${step.id} RUNBOOK_STEP_FAILED ${step.object}: runbook out of date?`);
    expect(plan.stdout).toContain(`; owner Dana (platform), due ${step.due}; carried over from run ${gr.runId} (`);
    const planJson = JSON.parse(
      (await kdrill(['plan', SCENARIO, '--offline', '-o', 'json'], { cwd: home })).stdout,
    ) as { carriedOver: { id: string }[] };
    expect(planJson.carriedOver.map((a) => a.id)).toEqual(gr.actionItems.map((a) => a.id));

    // 3. the quick-start drill, as the README has it, in the same place: it passes and carries them over
    const run = await kdrill(['run', SCENARIO, '--lab'], { cwd: home, timeoutMs: 180_000 });
    expect(run.code, run.stderr).toBe(0);
    const runDir = join(
      reports,
      (await readdir(reports)).find((d) => d.startsWith('namespace-loss-'))!,
    );
    const rr = await readJson(join(runDir, 'result.json'));
    expect(rr.carriedOver?.map((a) => a.id)).toEqual(gr.actionItems.map((a) => a.id));
    const retro = await readFile(join(runDir, 'retrospective.md'), 'utf8');
    expect(retro).toContain(`## Carried over from earlier runs (${gr.actionItems.length})`);
    expect(retro).toContain(`- [ ] **P2** \`${step.id}\` RUNBOOK_STEP_FAILED \`${step.object}\`: runbook out of date?`);
    expect(retro).toContain(`(carried over from run ${gr.runId}, `);
    expect(rr.requiredEverySeconds).toBe(30 * 86400);
    expect(rr.versions?.clusters).toEqual([
      { context: 'kdrill-lab', kubernetes: expect.stringMatching(/^v1\./), velero: 'v1.14.1' },
    ]);
    expect(rr.controls?.filter((c) => c.status === 'evidenced').map((c) => c.id)).toEqual([
      'DORA-12.2',
      'ISO27001-A.8.13',
      'ISO27001-A.5.30',
      'SOC2-A1.3',
      'NIST-CP-4',
      'NIST-CP-9.1',
    ]);

    // 4. sign the pack; a second directory with only the pack and the public key verifies it
    expect((await kdrill(['evidence', 'keygen', join(home, 'signing')])).code).toBe(0);
    const packed = await kdrill([
      'evidence',
      'pack',
      runDir,
      '--sign-key',
      join(home, 'signing.key'),
      '-o',
      join(home, 'pack.tar.gz'),
    ]);
    expect(packed.code, packed.stderr).toBe(0);
    expect(packed.stdout).toMatch(/signed by key [0-9a-f]{16}; controls evidenced: DORA-12.2, ISO27001-A.8.13/);
    const auditor = await tmp('kdrill-auditor-');
    await copyFile(join(home, 'pack.tar.gz'), join(auditor, 'pack.tar.gz'));
    await copyFile(join(home, 'signing.pub'), join(auditor, 'signing.pub'));
    expect((await readdir(auditor)).sort()).toEqual(['pack.tar.gz', 'signing.pub']);
    const ok = await kdrill(['evidence', 'verify', 'pack.tar.gz', '--pub', 'signing.pub'], { cwd: auditor });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^pack\.tar\.gz: intact\n {2}run [0-9a-f]{8} of namespace-loss: PASS \(exit 0\)/);
    expect(ok.stdout).toMatch(/signed by key [0-9a-f]{16} \(the --pub given\)/);
    // the lab's S3 credentials sat beside the reports; none of them is in the pack
    const creds = parseAwsCredentials(await readFile(join(runDir, 'lab', 's3-credentials'), 'utf8'))!;
    const inflated = gunzipSync(await readFile(join(auditor, 'pack.tar.gz')));
    expect(inflated.includes(creds.secretAccessKey)).toBe(false);
    expect(inflated.includes(creds.accessKeyId)).toBe(false);

    // 5. changed, wrong key, not a pack: exit 3, 3, 2
    const entries = await readTarGz(await readFile(join(auditor, 'pack.tar.gz')));
    const edited = entries.map((e) =>
      e.path.endsWith('/result.json')
        ? { ...e, data: Buffer.from(e.data.toString().replace('"verdict": "pass"', '"verdict": "pasS"')) }
        : e,
    );
    await writeFile(join(auditor, 'edited.tar.gz'), await writeTarGz(edited, new Date()));
    const changed = await kdrill(['evidence', 'verify', 'edited.tar.gz', '--pub', 'signing.pub'], { cwd: auditor });
    expect(changed.code).toBe(3);
    expect(changed.stdout).toMatch(/CHANGED \(1 problem\(s\)\)\n {2}- result\.json was changed: its SHA-256/);
    expect((await kdrill(['evidence', 'keygen', join(auditor, 'other')])).code).toBe(0);
    const wrong = await kdrill(['evidence', 'verify', 'pack.tar.gz', '--pub', 'other.pub'], { cwd: auditor });
    expect(wrong.code).toBe(3);
    expect(wrong.stdout).toMatch(/wrong key: the pack was signed by key [0-9a-f]{16}, and --pub is key [0-9a-f]{16}/);
    expectCleanError(
      await kdrill(['evidence', 'verify', 'signing.pub'], { cwd: auditor }),
      2,
      /is not a kdrill evidence pack/,
    );

    // 6. export the open items; close one: the next plan no longer carries it over
    const gh = JSON.parse((await kdrill(['actions', 'export', '--format', 'github'], { cwd: home })).stdout) as {
      title: string;
      body: string;
    }[];
    expect(gh.map((i) => i.title)).toContain(`[P2] namespace-loss: RUNBOOK_STEP_FAILED (${step.object})`);
    expect(gh.find((i) => i.title.includes('RUNBOOK_STEP_FAILED'))!.body).toContain(`kdrill actions close ${step.id}`);
    const closed = await kdrill(
      ['actions', 'close', step.id, '--note', 'runbook fixed: --from-schedule only', '--by', 'Dana'],
      { cwd: home },
    );
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stdout).toMatch(new RegExp(`^closed ${step.id} \\(namespace-loss: RUNBOOK_STEP_FAILED\\)`));
    const after = await kdrill(['plan', SCENARIO, '--offline'], { cwd: home });
    expect(after.stdout).not.toContain(` ${step.id} `);
    expect(after.stdout).toContain(`(${gr.actionItems.length - 1}), carried over`);
    const md = (await kdrill(['actions', 'list', '--all'], { cwd: home })).stdout;
    expect(md).toContain(`- [x] **P2** \`${step.id}\``);
    expect(md).toContain('by Dana: runbook fixed: --from-schedule only');
    expectCleanError(
      await kdrill(['actions', 'close', step.id, '--note', 'again'], { cwd: home }),
      2,
      /already closed/,
    );

    // 7. the auditor's report of the period: both runs, the controls, what is still open; a fresh history starts with a gap
    const rep = await kdrill(['evidence', 'report', '--scenarios', SCENARIO], { cwd: home });
    expect(rep.code, rep.stderr).toBe(3);
    expect(rep.stdout).toMatch(
      /\| namespace-loss \| 2 \(2 drill\(s\), 0 restore test\(s\), 1 guided\): 1 pass, 1 fail \|/,
    );
    expect(rep.stdout).toMatch(
      /`DRILL_GAP`: namespace-loss did not run for \d+d\S*, from \S+ \(the start of the period\)/,
    );
    expect(rep.stdout).toContain(`## Open action items (${gr.actionItems.length - 1})`);
    const recent = await kdrill(
      ['evidence', 'report', '--since', '1h', '--scenarios', SCENARIO, '-o', 'html', '--out', join(home, 'r.html')],
      { cwd: home },
    );
    expect(recent.code, recent.stdout).toBe(0);
    expect(await readFile(join(home, 'r.html'), 'utf8')).toMatch(
      /<td>DORA-12\.2<\/td><td>[^<]*<\/td><td>1: [0-9a-f]{8}<\/td>/,
    );
  }, 420_000);
});
