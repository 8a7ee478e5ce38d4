import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { DrillResult } from '../../src/drill/types.js';
import { BIN, expectCleanError, kdrill } from '../support/cli.js';
import { eventually } from '../support/eventually.js';

const run = promisify(execFile);
const tmp = (p: string) => mkdtemp(join(tmpdir(), p));
const readJson = async (f: string) => JSON.parse(await readFile(f, 'utf8')) as DrillResult;

/** Starts a lab drill with slow restores and returns once its first Restore is journaled: mid-recover. */
async function drillUntilRestore(
  scenario: string,
): Promise<{ out: string; child: ReturnType<typeof spawn>; journal: string }> {
  const out = join(await tmp('kdrill-stop-'), 'report');
  const child = spawn(process.execPath, [BIN, 'run', scenario, '--lab', '--out', out], {
    env: { ...process.env, KDRILL_LAB_RESTORE_ITEM_DELAY_MS: '40' },
    stdio: 'ignore',
  });
  const journal = join(out, 'journal.jsonl');
  await eventually(
    async () => (await readFile(journal, 'utf8').catch(() => '')).includes('"restore-creating"'),
    'the first restore to be journaled',
    60_000,
    10,
  );
  return { out, child, journal };
}

describe('kdrill run --lab: drills end to end', () => {
  it('namespace-loss passes; -o json prints only the evidence; the three reports say what happened', async () => {
    const out = join(await tmp('kdrill-run-'), 'report');
    const r = await kdrill(['run', 'scenarios/namespace-loss.yaml', '--lab', '--out', out, '-o', 'json'], {
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout) as DrillResult; // nothing but JSON on stdout
    const res = await readJson(join(out, 'result.json'));
    expect(printed.runId).toBe(res.runId);
    expect(res).toMatchObject({ scenario: 'namespace-loss', verdict: 'pass', exitCode: 0, context: 'kdrill-lab' });
    expect(res.objectives.rto).toMatchObject({ objectiveSeconds: 14400, met: true });
    expect(res.objectives.rto.measuredSeconds).toBeGreaterThan(0);
    expect(res.objectives.rpo.met).toBe(true);
    expect(res.objectives.rpo.measuredSeconds).toBeGreaterThan(0);
    expect(res.objectives.retention).toMatchObject({ objectiveSeconds: 604800, met: true, backupTtlSeconds: 2592000 });
    expect(res.timeline.map((t) => t.phase)).toEqual(['preflight', 'baseline', 'inject', 'recover', 'verify']);
    expect(res.resources!.cpuSeconds).toBeGreaterThan(0);
    expect(res.resources!.cpuSeconds).toBeLessThan(res.resources!.wallSeconds * 2);
    for (const t of res.timeline) expect(Date.parse(t.endedAt!)).toBeGreaterThanOrEqual(Date.parse(t.startedAt));
    // each phase's own CPU, and together no more than the run's
    for (const t of res.timeline) expect(t.cpuSeconds, t.phase).toBeGreaterThan(0);
    expect(res.timeline.reduce((a, t) => a + t.cpuSeconds!, 0)).toBeLessThanOrEqual(res.resources!.cpuSeconds + 0.001);
    // RTO is inject start → verify passed, to the millisecond
    const inject = res.timeline.find((t) => t.phase === 'inject')!;
    const lastVerify = res.verify[res.verify.length - 1]!;
    expect(res.objectives.rto.measuredSeconds).toBeCloseTo(
      (Date.parse(lastVerify.at) - Date.parse(inject.startedAt)) / 1000,
      2,
    );
    expect(res.restores.map((x) => [x.phase, x.includedResources, x.excludedResources])).toEqual([
      ['Completed', ['networkpolicies.networking.k8s.io'], []],
      ['Completed', [], ['networkpolicies.networking.k8s.io']],
    ]);
    expect(res.verify.map((v) => [v.type, v.passed])).toEqual([
      ['workloads-ready', true],
      ['http', true],
      ['sentinel', true],
      ['inventory', true],
    ]);
    expect(res.findings.filter((f) => f.severity !== 'P3')).toEqual([]);
    // preflight ran the backup audit: Velero's caveats as P3, and the lock proven with a canary
    expect(res.findings.map((f) => f.code)).toContain('VELERO_REWRITES_METADATA');
    expect(res.protection).toMatchObject({ canary: { deleteRefused: true }, bucket: { objectLock: true } });
    const retro = await readFile(join(out, 'retrospective.md'), 'utf8');
    for (const h of [
      '## The drill',
      '## Objectives',
      '## Timeline',
      '## What went well?',
      '## What to improve?',
      '## Action items',
    ])
      expect(retro).toContain(h);
    expect(retro).toContain('**Leader:** on-call platform engineer');
    expect(retro).toMatch(/\| recover \| .* \| ok \|/);
    expect(retro).toContain('**Verdict: PASS**');
    const junit = await readFile(join(out, 'junit.xml'), 'utf8');
    // five phases, three objectives, two restores, four checks
    expect(junit).toMatch(/<testsuite name="namespace-loss" tests="14" failures="0"/);
    expect((junit.match(/<testcase /g) ?? []).length).toBe(14);
    expect(junit).toContain('name="phase: recover"');
    const journal = (await readFile(join(out, 'journal.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string });
    expect(journal[0]!.event).toBe('run-started');
    expect(journal[journal.length - 1]!.event).toBe('run-ended');
  });

  it('hardened-one-phase fails with exit 3, and the retrospective says why', async () => {
    const out = join(await tmp('kdrill-run-'), 'report');
    const r = await kdrill(['run', 'scenarios/hardened-one-phase.yaml', '--lab', '--out', out], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(3);
    const res = await readJson(join(out, 'result.json'));
    expect(res.verdict).toBe('fail');
    expect(res.restores).toHaveLength(1);
    expect(res.restores[0]!.phase).toBe('PartiallyFailed');
    expect(res.restores[0]!.failedItems.map((i) => i.resource)).toContain('deployments.apps');
    expect(res.findings.map((f) => f.code)).toContain('RESTORE_ORDER_NETWORKPOLICY');
    const retro = await readFile(join(out, 'retrospective.md'), 'utf8');
    expect(retro).toContain('**Verdict: FAIL**');
    expect(retro).toMatch(/refused because no NetworkPolicy existed yet/);
    expect(retro).toMatch(/## Action items[\s\S]*restore NetworkPolicies first/);
    expect(await readFile(join(out, 'junit.xml'), 'utf8')).toMatch(
      /<failure message="after 20s: Deployment thanos\/\w/,
    );
  });

  it('refuses a context that is not allow-listed (exit 4) before touching anything', async () => {
    const lab = await tmp('kdrill-allow-');
    expect((await kdrill(['lab', 'up', '--dir', lab])).code).toBe(0);
    try {
      const kc = parse(await readFile(join(lab, 'kubeconfig'), 'utf8')) as {
        contexts: { name: string }[];
        'current-context': string;
      };
      kc.contexts[0]!.name = 'prod-eu';
      kc['current-context'] = 'prod-eu';
      const prod = join(lab, 'prod.kubeconfig');
      await writeFile(prod, stringify(kc));
      const r = await kdrill(['run', 'scenarios/namespace-loss.yaml', '--kubeconfig', prod, '--out', join(lab, 'r')], {
        env: { KDRILL_ALLOW_CONTEXTS: '' },
      });
      expectCleanError(r, 4, /context "prod-eu" is not allow-listed/);
      expect(r.stderr).toMatch(/--allow-context prod-eu/);
      const k = (...a: string[]) =>
        run('kubectl', ['--kubeconfig', join(lab, 'kubeconfig'), ...a]).then((x) => x.stdout);
      expect(await k('get', 'namespace', 'thanos', '-o', 'jsonpath={.status.phase}')).toBe('Active');
      expect((await k('-n', 'velero', 'get', 'restores.velero.io', '-o', 'name')).trim()).toBe('');
      // a missing backup: exit 4, naming the schedule and the backups that were seen
      const scenario = parse(await readFile('scenarios/namespace-loss.yaml', 'utf8')) as {
        spec: { backup: { schedule: string } };
      };
      scenario.spec.backup.schedule = 'weekly';
      const weekly = join(lab, 'weekly.yaml');
      await writeFile(weekly, stringify(scenario));
      const m = await kdrill(['run', weekly, '--kubeconfig', join(lab, 'kubeconfig'), '--out', join(lab, 'r2')]);
      expectCleanError(m, 4, /no Completed backup of schedule "weekly"/);
      expect(m.stderr).toMatch(/backups seen: nightly-\d{14} \(Completed\)/);
      expect(await k('get', 'namespace', 'thanos', '-o', 'jsonpath={.status.phase}')).toBe('Active');
    } finally {
      await kdrill(['lab', 'down', '--dir', lab]);
    }
  });

  it('a drill killed with SIGKILL during recover finishes with kdrill resume, without creating a Restore twice', async () => {
    const { out, child, journal } = await drillUntilRestore('scenarios/namespace-loss.yaml');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const before = await readFile(journal, 'utf8');
    expect(before).not.toContain('"recover-done"');
    expect(before).not.toContain('"run-ended"');
    const r = await kdrill(['resume', out], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const res = await readJson(join(out, 'result.json'));
    expect(res.verdict).toBe('pass');
    expect(res.restores.map((x) => x.phase)).toEqual(['Completed', 'Completed']);
    // the interruption is evidence: when kdrill died, when it came back, and how much of the RTO that was
    expect(res.interruptions).toEqual([
      {
        phase: 'recover',
        killedAt: expect.any(String),
        resumedAt: expect.any(String),
        downSeconds: expect.any(Number),
        how: 'killed',
      },
    ]);
    expect(res.interruptions[0]!.downSeconds).toBeGreaterThan(0);
    expect(res.objectives.rto.kdrillDowntimeSeconds).toBe(res.interruptions[0]!.downSeconds);
    expect(res.objectives.rto.detail).toMatch(/of which kdrill was not running for/);
    expect(r.stderr).toMatch(/resuming run \w+ of namespace-loss .*: it was killed during recover at .*s ago/);
    expect(res.timeline.filter((t) => t.interrupted).map((t) => t.phase)).toEqual(['recover']);
    expect(await readFile(join(out, 'retrospective.md'), 'utf8')).toMatch(
      /\| ⏸ kdrill not running \(in recover\) \|.*\| killed, then resumed \|/,
    );
    const events = (await readFile(journal, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; name?: string });
    expect(events.some((e) => e.event === 'resumed')).toBe(true);
    const created = events.filter((e) => e.event === 'restore-creating').map((e) => e.name);
    expect(new Set(created).size).toBe(created.length);
    expect((await kdrill(['resume', out])).code).toBe(2); // already ended
    expect((await kdrill(['lab', 'status', '--dir', join(out, 'lab')])).code).toBe(4); // and its lab is gone
  });

  it('SIGTERM during recover: nodes are started again, exit 130, the journal is kept, and resume finishes', async () => {
    const { out, child, journal } = await drillUntilRestore('scenarios/thanos-nodes-lost.yaml');
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(130);
    const text = await readFile(journal, 'utf8');
    expect(text).toContain('"revert-done"');
    expect(text).not.toContain('"run-ended"');
    const nodes = await run('kubectl', [
      '--kubeconfig',
      join(out, 'lab', 'kubeconfig'),
      'get',
      'nodes',
      '--no-headers',
    ]);
    expect(nodes.stdout).not.toMatch(/NotReady/);
    expect((await readJson(join(out, 'result.json'))).exitCode).toBe(130);
    const r = await kdrill(['resume', out], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const res = await readJson(join(out, 'result.json'));
    expect(res.verdict).toBe('pass');
    expect(res.interruptions).toMatchObject([{ phase: 'recover', how: 'signal' }]);
  });

  it('takes a fresh backup and checks a sentinel kept by a user command', async () => {
    const work = await tmp('kdrill-take-');
    const store = join(work, 'sentinel.txt');
    const s = parse(await readFile('scenarios/namespace-loss.yaml', 'utf8')) as { spec: Record<string, any> };
    s.spec.backup = { take: true };
    s.spec.sentinel = {
      command: { write: ['sh', '-c', `printf %s "$KDRILL_RUN_ID" > ${store}`], read: ['cat', store] },
    };
    s.spec.verify = [{ type: 'workloads-ready', timeout: '2m' }, { type: 'sentinel' }];
    const file = join(work, 'take.yaml');
    await writeFile(file, stringify(s));
    const out = join(work, 'report');
    const r = await kdrill(['run', file, '--lab', '--out', out], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const res = await readJson(join(out, 'result.json'));
    expect(res.timeline.map((t) => t.phase)).toContain('backup');
    expect(res.backup?.name).toBe(`namespace-loss-${res.runId}`);
    expect(await readFile(store, 'utf8')).toBe(res.runId);
    expect(res.verify.find((v) => v.type === 'sentinel')).toMatchObject({
      passed: true,
      detail: `read back "${res.runId}"`,
    });
  });

  it('kdrill guide --yes: the namespace-loss runbook recovers the lab, and the retrospective times each step', async () => {
    const out = join(await tmp('kdrill-guide-'), 'report');
    const r = await kdrill(
      [
        'guide',
        'runbooks/namespace-loss.md',
        '--yes',
        '--lab',
        '--scenario',
        'scenarios/namespace-loss.yaml',
        '--out',
        out,
      ],
      { timeoutMs: 180_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const res = await readJson(join(out, 'result.json'));
    expect(res.verdict).toBe('pass');
    expect(res.restores).toEqual([]); // the runbook restored, not kdrill
    expect(res.runbook?.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
    const retro = await readFile(join(out, 'retrospective.md'), 'utf8');
    expect(retro).toMatch(/## Runbook: runbooks\/namespace-loss\.md/);
    expect(retro).toMatch(/\| Restore the NetworkPolicies \| .* \| done \|/);
    const journal = await readFile(join(out, 'journal.jsonl'), 'utf8');
    expect(journal.match(/"guide-step-ended"/g)).toHaveLength(6);
    // a runbook whose step fails: the drill fails and the retrospective asks whether the runbook is out of date
    const broken = join(await tmp('kdrill-guide-'), 'broken.md');
    const original = await readFile('runbooks/namespace-loss.md', 'utf8');
    const brokenText = original.replace(
      'kdrill velero restore create thanos-netpol --from-schedule nightly',
      'kdrill velero restore create thanos-netpol --from-backup gone --from-schedule nightly',
    );
    expect(brokenText).not.toBe(original);
    await writeFile(broken, brokenText);
    // with short verify timeouts: nothing will come back, and waiting 10 minutes to learn it proves nothing more
    const quick = parse(await readFile('scenarios/namespace-loss.yaml', 'utf8')) as {
      spec: { verify: { type: string; timeout?: string }[] };
    };
    for (const v of quick.spec.verify) if (v.type === 'workloads-ready' || v.type === 'http') v.timeout = '3s';
    const quickFile = join(await tmp('kdrill-guide-'), 'quick.yaml');
    await writeFile(quickFile, stringify(quick));
    const out2 = join(await tmp('kdrill-guide-'), 'report');
    const f = await kdrill(['guide', broken, '--yes', '--lab', '--scenario', quickFile, '--out', out2], {
      timeoutMs: 180_000,
    });
    expect(f.code).toBe(3);
    const retro2 = await readFile(join(out2, 'retrospective.md'), 'utf8');
    expect(retro2).toMatch(/runbook out of date\? fix .*broken\.md#restore-the-networkpolicies/);
  }, 240_000);

  it('plan touches nothing and counts the blast radius from the live cluster', async () => {
    const lab = await tmp('kdrill-plan-');
    const up = await kdrill(['lab', 'up', '--dir', lab]);
    expect(up.code, up.stderr).toBe(0);
    try {
      const r = await kdrill([
        'plan',
        'scenarios/thanos-nodes-lost.yaml',
        '--kubeconfig',
        join(lab, 'kubeconfig'),
        '-o',
        'json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const p = JSON.parse(r.stdout) as {
        destructive: string[];
        restores: unknown[];
        blastRadius: { namespaces: { name: string; workloads: number; pods: number; pvcs: number }[]; nodes: string[] };
      };
      expect(p.destructive).toHaveLength(2);
      expect(p.restores).toHaveLength(2);
      expect(p.blastRadius.namespaces[0]).toMatchObject({ name: 'thanos', workloads: 17 });
      expect(p.blastRadius.namespaces[0]!.pvcs).toBeGreaterThan(10);
      expect(p.blastRadius.nodes).toHaveLength(1);
      const k = await run('kubectl', ['--kubeconfig', join(lab, 'kubeconfig'), 'get', 'nodes', '--no-headers']);
      expect(k.stdout).not.toMatch(/NotReady/);
    } finally {
      await kdrill(['lab', 'down', '--dir', lab]);
    }
    await copyFile('scenarios/pvc-loss.yaml', join(lab, 'x.yaml'));
    const offline = await kdrill(['plan', join(lab, 'x.yaml'), '--offline']);
    expect(offline.stdout).toMatch(/delete PVCs data-thanos-store-0-0 in thanos/);
  });
});
