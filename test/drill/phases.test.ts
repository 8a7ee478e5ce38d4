import { describe, expect, it } from 'vitest';
import type { DrillContext } from '../../src/drill/context.js';
import { takeBackup } from '../../src/drill/phases/backup.js';
import { baseline } from '../../src/drill/phases/baseline.js';
import { injectDisaster } from '../../src/drill/phases/inject.js';
import { preflight } from '../../src/drill/phases/preflight.js';
import { recover } from '../../src/drill/phases/recover.js';
import { verify } from '../../src/drill/phases/verify.js';
import { buildResult } from '../../src/drill/result.js';
import { runDrill } from '../../src/drill/runner.js';
import type { RunDeps } from '../../src/drill/context.js';
import { isDrillError } from '../../src/errors.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { DrillWorld, NS } from '../support/drill-world.js';
import { eventually } from '../support/eventually.js';
import { FakeObjectStore } from '../support/fakes/fake-object-store.js';

const V = (kind: string) => ({ apiVersion: 'velero.io/v1', kind });

function ctx(w: DrillWorld, s: Scenario = w.scenario(), deps: Partial<RunDeps> = {}): DrillContext {
  return { deps: w.deps(deps), s, state: w.state() };
}

/** The DrillError a phase throws, or a failure when it does not throw one. */
async function refusal(
  p: Promise<unknown>,
): Promise<{ code: string; exitCode: number; message: string; hint?: string }> {
  try {
    await p;
  } catch (e) {
    if (isDrillError(e)) return { code: e.code, exitCode: e.exitCode, message: e.message, hint: e.hint };
    throw e;
  }
  throw new Error('expected the phase to refuse');
}

describe('preflight: every precondition before anything is touched (exit 4, a code and a hint)', () => {
  it('passes on a healthy cluster, and touches nothing in it', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    const c = ctx(w);
    const out = await preflight(c);
    expect(out.ok).toBe(true);
    expect(c.state.preflight!.backup.name).toBe('nightly-1');
    expect(c.state.preflight!.contents).toMatchObject({ source: 'resource-list', namespaces: [NS] });
    expect(c.state.preflight!.velero).toEqual([
      { context: 'drill-a', server: 'velero', readyReplicas: 1, lastValidation: expect.any(String) },
    ]);
    expect(w.writes()).toEqual([]);
  });

  const cases: [string, (w: DrillWorld) => Promise<void> | void, string, RegExp][] = [
    [
      'the target namespace does not exist',
      async (w) => void (await w.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: NS })),
      'TARGET_MISSING',
      /namespace shop does not exist in context "drill-a"/,
    ],
    [
      'no Velero server Deployment',
      async (w) =>
        void (await w.kube.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'velero', name: 'velero' })),
      'VELERO_NOT_RUNNING',
      /no Velero server Deployment in namespace velero/,
    ],
    [
      'the Velero server scaled to 0',
      async (w) =>
        void (await w.kube.patchStatus(
          { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'velero', name: 'velero' },
          { readyReplicas: 0 },
        )),
      'VELERO_NOT_RUNNING',
      /has 0 ready of 1 replica/,
    ],
    [
      'the BSL Unavailable',
      async (w) =>
        void (await w.kube.patchStatus(
          { ...V('BackupStorageLocation'), namespace: 'velero', name: 'default' },
          { phase: 'Unavailable', message: 'bucket gone' },
        )),
      'BSL_UNAVAILABLE',
      /is Unavailable: bucket gone/,
    ],
    [
      'the BSL Available but not validated for 5 minutes',
      (w) => w.clock.advance(300_000),
      'BSL_STALE',
      /last validated it 300s ago/,
    ],
    [
      'the backup does not hold the target',
      async (w) => void (await w.backup('nightly-2', { namespaces: ['other'], startedHoursAgo: 0.5 })),
      'BACKUP_MISSES_TARGET',
      /backup nightly-2 holds nothing of namespace shop/,
    ],
    [
      'nothing tells what the backup holds',
      async (w) => {
        await w.backup('nightly-2', { resourceList: false, tarball: false, startedHoursAgo: 0.5 });
      },
      'BACKUP_UNREADABLE',
      /cannot tell what backup nightly-2 holds/,
    ],
  ];
  for (const [what, sabotage, code, message] of cases) {
    it(`refuses when ${what}: ${code}`, async () => {
      const w = new DrillWorld();
      await w.backup('nightly-1');
      await sabotage(w);
      w.kube.calls.length = 0;
      const r = await refusal(preflight(ctx(w)));
      expect(r).toMatchObject({ code, exitCode: 4 });
      expect(r.message).toMatch(message);
      expect(r.hint).toBeTruthy();
      expect(w.writes().filter((x) => !x.includes('DownloadRequest'))).toEqual([]);
    });
  }

  it('reads what the backup holds from the tarball when the resource list is absent, and through a DownloadRequest when the bucket cannot be read', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1', { resourceList: false });
    const c = ctx(w);
    await preflight(c);
    expect(c.state.preflight!.contents).toMatchObject({ source: 'tarball', namespaces: [NS] });
    expect(c.state.preflight!.contents!.items).toContainEqual({ kind: 'apps/Deployment', namespace: NS, name: 'web' });
    const w2 = new DrillWorld();
    await w2.backup('nightly-1');
    w2.store.failGet = (k) => k.includes('resource-list') && !k.startsWith('fake');
    const c2 = ctx(w2, w2.scenario(), {
      fetchUrl: async () =>
        w2.store.failGet
          ? ((w2.store.failGet = undefined), w2.store.get('backups/nightly-1/nightly-1-resource-list.json.gz'))
          : undefined,
    });
    await preflight(c2);
    expect(c2.state.preflight!.contents).toMatchObject({ source: 'download-request', namespaces: [NS] });
    // kdrill's only write: the DownloadRequest (the fake Velero answered it); Velero removes it when it expires
    const dr = w2.kube.calls.find((x) => x.verb === 'create')!.name;
    expect(w2.writes()).toEqual([`create DownloadRequest velero/${dr}`, `patchStatus DownloadRequest velero/${dr}`]);
  });

  it('refuses a context that is not allow-listed, and a recovery cluster that already holds the target', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    expect(
      await refusal(
        preflight(ctx(w, w.scenario(), { allowed: { contexts: new Set(), sources: ['none'], labServers: new Set() } })),
      ),
    ).toMatchObject({ code: 'CONTEXT_NOT_ALLOWED', exitCode: 4 });
    const two = new DrillWorld({ twoClusters: true });
    await two.backup('nightly-1');
    two.recovery.seed([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'left-over', namespace: NS }, data: { a: '1' } },
    ]);
    const r = await refusal(preflight(ctx(two, two.scenario({ recovery: { context: 'drill-b' } }))));
    expect(r).toMatchObject({ code: 'RECOVERY_TARGET_NOT_EMPTY', exitCode: 4 });
    expect(r.message).toMatch(/recovery cluster "drill-b" already has namespace shop/);
    // allowed: what was there is remembered, so the inventory accounts for it
    const c = ctx(two, two.scenario({ recovery: { context: 'drill-b', allowExisting: true } }));
    await preflight(c);
    expect(c.state.preflight!.recoveryBefore!.map((i) => i.name)).toEqual(['left-over']);
  });

  it("refuses a history inside the BSL's prefix: Velero would mark the BSL Unavailable", async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    const r = await refusal(
      preflight(ctx(w, w.scenario(), { history: { kind: 's3', bucket: 'fake', prefix: 'kdrill-history/' } })),
    );
    expect(r).toMatchObject({ code: 'HISTORY_IN_BSL', exitCode: 4 });
    expect(r.message).toMatch(/Velero would see it as an invalid top-level directory/);
    await preflight(ctx(w, w.scenario(), { history: { kind: 's3', bucket: 'drill-history', prefix: 'kdrill/' } }));
  });

  it('refuses a Velero that does not run in the recovery cluster either', async () => {
    const w = new DrillWorld({ twoClusters: true });
    await w.backup('nightly-1');
    await w.recovery.patchStatus(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'velero', name: 'velero' },
      { readyReplicas: 0 },
    );
    const r = await refusal(preflight(ctx(w, w.scenario({ recovery: { context: 'drill-b' } }))));
    expect(r).toMatchObject({ code: 'VELERO_NOT_RUNNING' });
    expect(r.message).toMatch(/context "drill-b"/);
  });

  it("carries kdrill lint's traps into the findings as P3, each naming its object and fix: they never fail the phase", async () => {
    const w = new DrillWorld();
    w.kube.seed([
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'web', namespace: NS },
        spec: { maxUnavailable: 0, selector: { matchLabels: { app: 'web' } } },
      },
    ]);
    await w.backup('nightly-1');
    const c = ctx(w);
    expect((await preflight(c)).ok).toBe(true);
    const lint = c.state.preflight!.findings.filter((f) => f.code.startsWith('LINT_'));
    expect(lint.map((f) => `${f.severity} ${f.code} ${f.key}`)).toEqual(
      expect.arrayContaining([
        `P3 LINT_PDB_BLOCKS_DRAIN PodDisruptionBudget ${NS}/web`,
        `P3 LINT_NO_TOPOLOGY_SPREAD Deployment ${NS}/web`,
      ]),
    );
    // the severity lint gives it stays readable, and so does the fix
    expect(lint.find((f) => f.code === 'LINT_PDB_BLOCKS_DRAIN')!.message).toMatch(
      /^\[lint P2\] .*maxUnavailable is 0.*; fix: allow one disruption/,
    );
    expect(w.writes()).toEqual([]);
  });

  it('records a backup older than the RPO as a P2 finding, and the phase as failed', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1', { startedHoursAgo: 30 });
    const c = ctx(w);
    expect((await preflight(c)).ok).toBe(false);
    expect(c.state.preflight!.findings.map((f) => [f.severity, f.code])).toContainEqual([
      'P2',
      'RPO_BREACHED_AT_START',
    ]);
    // the ages as durations: the world's RPO is 24h
    expect(c.state.preflight!.findings.find((f) => f.code === 'RPO_BREACHED_AT_START')!.message).toMatch(
      /^the newest usable backup \(nightly-1\) is 1d6h old: a disaster now loses more than the 1d RPO allows$/,
    );
  });

  it('says an RPO of minutes in minutes, not "0h"', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1', { startedHoursAgo: 0.5 });
    const c = ctx(w, w.scenario({ objectives: { rto: '1h', rpo: '15m', retention: '7d' } }));
    await preflight(c);
    expect(c.state.preflight!.findings.find((f) => f.code === 'RPO_BREACHED_AT_START')!.message).toContain(
      'is 30m old: a disaster now loses more than the 15m RPO allows',
    );
  });
});

describe('baseline', () => {
  async function ready(w: DrillWorld, s = w.scenario()): Promise<DrillContext> {
    const c = ctx(w, s);
    await preflight(c);
    return c;
  }

  it('inventories the targets, reads the sentinel from the backup, and finds the scope gap', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    // created after the backup: live now, in no backup
    w.kube.seed([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'added-later', namespace: NS }, data: { x: '1' } },
    ]);
    const c = await ready(w);
    const out = await baseline(c);
    expect(out.ok).toBe(false);
    expect(out.detail).toMatch(/1 not in the backup/);
    expect(c.state.baseline).toMatchObject({
      sentinelExpected: 'seed',
      scopeGap: ['/ConfigMap shop/added-later'],
      workloads: ['Deployment shop/web'],
    });
    expect(c.state.baseline!.inventory.map((i) => `${i.kind} ${i.name}`)).toEqual([
      '/ConfigMap added-later',
      '/ConfigMap kdrill-sentinel',
      '/ConfigMap web-config',
      '/Service web',
      'apps/Deployment web',
      'networking.k8s.io/NetworkPolicy allow-web',
    ]);
  });

  it('refuses an empty target namespace: TARGET_EMPTY', async () => {
    const w = new DrillWorld();
    w.kube.seed([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'empty' } }]);
    await w.backup('nightly-1', { namespaces: [NS, 'empty'] });
    w.kube.seed([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'kube-root-ca.crt', namespace: 'empty' },
        data: { 'ca.crt': 'x' },
      },
    ]);
    const s = w.scenario({
      target: { namespaces: ['empty'] },
      disaster: [{ type: 'delete-namespace', namespaces: ['empty'] }],
      verify: [{ type: 'inventory' }],
    });
    // the backup holds the namespace object but nothing in it: preflight already says so
    expect(await refusal(preflight(ctx(w, s)))).toMatchObject({ code: 'BACKUP_MISSES_TARGET' });
    const c = ctx(w, s);
    c.state.preflight = {
      backup: { name: 'nightly-1', phase: 'Completed', startTimestamp: '' },
      allBackups: [],
      findings: [],
    };
    expect(await refusal(baseline(c))).toMatchObject({ code: 'TARGET_EMPTY', exitCode: 4 });
  });
});

describe('backup (take: true)', () => {
  it('refuses a fresh backup that ends PartiallyFailed, and one that does not hold the target', async () => {
    for (const [phase, withItems, code] of [
      ['PartiallyFailed', true, 'BACKUP_FAILED'],
      ['Completed', false, 'BACKUP_MISSES_TARGET'],
    ] as const) {
      const w = new DrillWorld();
      w.kube.on('Backup', async (event, b) => {
        if (event !== 'ADDED') return;
        const name = b.metadata!.name!;
        await w.backup(name, { namespaces: withItems ? [NS] : ['elsewhere'], cr: false });
        await w.kube.patchStatus(
          { ...V('Backup'), namespace: 'velero', name },
          { phase, startTimestamp: '2026-12-01T02:30:00Z', ...(phase === 'PartiallyFailed' ? { errors: 3 } : {}) },
        );
      });
      const s = w.scenario({ backup: { take: true } });
      const c = ctx(w, s);
      await preflight(c);
      await baseline(c);
      const r = await refusal(takeBackup(c));
      expect(r).toMatchObject({ code, exitCode: 4 });
      if (code === 'BACKUP_FAILED') expect(r.message).toMatch(/ended PartiallyFailed: 3 item error/);
    }
  });
});

describe('inject, recover, verify', () => {
  async function through(
    w: DrillWorld,
    s = w.scenario(),
    upTo: 'inject' | 'recover' | 'verify' = 'verify',
  ): Promise<DrillContext> {
    const c = ctx(w, s);
    await preflight(c);
    await baseline(c);
    await injectDisaster(c);
    if (upTo === 'inject') return c;
    await recover(c);
    if (upTo === 'recover') return c;
    await verify(c);
    return c;
  }

  it('injects the disaster and proves it happened; restores NetworkPolicies first, then the rest, each timed exactly', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    const c = await through(w, w.scenario(), 'inject');
    expect(w.kube.peek({ apiVersion: 'v1', kind: 'Namespace', name: NS })).toBeUndefined();
    expect(c.state.injected).toEqual([
      expect.objectContaining({ type: 'delete-namespace', detail: 'deleted namespace shop; it is gone' }),
    ]);
    const out = await recover(c);
    expect(out).toEqual({ ok: true, detail: 'shop-loss-abcd1234-1 Completed, shop-loss-abcd1234-2 Completed' });
    expect(c.state.restores.map((r) => [r.includedResources, r.excludedResources, r.phase, r.results])).toEqual([
      [['networkpolicies.networking.k8s.io'], [], 'Completed', 'not-needed'],
      [[], ['networkpolicies.networking.k8s.io'], 'Completed', 'not-needed'],
    ]);
    expect(c.state.restores.map((r) => (Date.parse(r.completedAt!) - Date.parse(r.startedAt!)) / 1000)).toEqual([
      30, 30,
    ]);
    const v = await verify(c);
    expect(v).toEqual({ ok: true, detail: '3/3 passed' });
    const res = buildResult(c.s, c.state, {
      context: 'drill-a',
      recoveryContext: 'drill-a',
      endedAt: w.clock.now(),
      revertFailures: [],
    });
    // two restores of 30 s each, and the checks take no time on this clock
    expect(res.objectives.rto.measuredSeconds).toBe(60);
    expect(res.verdict).toBe('pass');
  });

  it('a PartiallyFailed restore with readable results lists every item, one reason per line of a joined denial', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    w.restore = 'partial';
    const c = await through(w, w.scenario(), 'recover');
    const r = c.state.restores[1]!;
    expect(r).toMatchObject({ phase: 'PartiallyFailed', results: 'bucket', errors: 1 });
    expect(r.failedItems).toEqual([
      {
        resource: 'deployments.apps',
        namespace: NS,
        name: 'web',
        message: expect.stringContaining('[require-networkpolicy]'),
        reasons: [
          'admission webhook "validation.gatekeeper.sh" denied the request: [require-networkpolicy] no NetworkPolicy selects it',
          '[require-resources] no CPU limits',
        ],
      },
    ]);
    const res = buildResult(c.s, c.state, {
      context: 'drill-a',
      recoveryContext: 'drill-a',
      endedAt: w.clock.now(),
      revertFailures: [],
    });
    expect(res.verdict).toBe('fail');
    expect(res.findings.map((f) => f.code)).toContain('RESTORE_ORDER_NETWORKPOLICY');
  });

  it('a PartiallyFailed restore whose results cannot be read is a finding and never a pass, even when every check passes', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    w.restore = 'partial-unreadable';
    const c = await through(w, w.scenario({ verify: [{ type: 'sentinel' }] }));
    expect(c.state.restores[1]).toMatchObject({ phase: 'PartiallyFailed', results: 'unreadable', failedItems: [] });
    expect(c.state.restores[1]!.resultsError).toMatch(
      /not in the bucket; a DownloadRequest \(RestoreResults\) found nothing/,
    );
    expect(c.state.verify!.records.every((r) => r.passed)).toBe(true);
    const res = buildResult(c.s, c.state, {
      context: 'drill-a',
      recoveryContext: 'drill-a',
      endedAt: w.clock.now(),
      revertFailures: [],
    });
    expect(res.verdict).toBe('fail');
    expect(res.findings.filter((f) => f.severity === 'P2').map((f) => f.code)).toEqual([
      'RESTORE_PARTIAL',
      'RESTORE_RESULTS_UNREADABLE',
    ]);
    expect(res.timeline).toEqual([]); // phases were called directly here; the runner stamps the timeline
  });

  it('records restore warnings, count and lines', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    w.warnings = [
      'could not restore, ConfigMap "web-config" already exists. Warning: the in-cluster version is different than the backed-up version',
    ];
    const c = await through(w, w.scenario(), 'recover');
    expect(c.state.restores[0]).toMatchObject({
      phase: 'Completed',
      warnings: 1,
      results: 'bucket',
      warningMessages: [expect.stringContaining('already exists')],
    });
  });

  it('verify fails on a lost label, a lost object, a workload that never turns ready, naming each', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    w.stripLabels = ['app'];
    w.dropOnRestore = ['ConfigMap/web-config'];
    w.restoredReady = false;
    const c = await through(w);
    const byType = Object.fromEntries(c.state.verify!.records.map((r) => [r.type, r]));
    expect(byType['workloads-ready']).toMatchObject({
      passed: false,
      detail: expect.stringMatching(/after 300s: Deployment shop\/web not available/),
    });
    expect(byType.inventory!.passed).toBe(false);
    expect(byType.inventory!.detail).toMatch(/missing 1: \/ConfigMap shop\/web-config/);
    expect(byType.inventory!.detail).toMatch(/apps\/Deployment shop\/web \(label app: "web" → absent\)/);
    // the workload check polled on the clock, 250 ms at a time, for exactly its timeout
    expect(w.clock.sleeps.filter((ms) => ms === 250).length).toBeGreaterThanOrEqual(1200);
  });

  it('verify leaves out what the backup never held, and says so once', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    w.kube.seed([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'late', namespace: NS },
        spec: { replicas: 1 },
        status: { availableReplicas: 1 },
      },
    ]);
    const c = await through(w);
    expect(c.state.verify!.records.map((r) => r.passed)).toEqual([true, true, true]);
    expect(c.state.verify!.records[2]!.detail).toMatch(
      /1 live object\(s\) not in the backup left out \(BACKUP_SCOPE_GAP\)/,
    );
    const res = buildResult(c.s, c.state, {
      context: 'drill-a',
      recoveryContext: 'drill-a',
      endedAt: w.clock.now(),
      revertFailures: [],
    });
    expect(res.verdict).toBe('fail');
    expect(res.findings.filter((f) => f.code === 'BACKUP_SCOPE_GAP')).toEqual([
      expect.objectContaining({ severity: 'P2', message: expect.stringContaining('apps/Deployment shop/late') }),
    ]);
    expect(res.backupScope).toMatchObject({ backup: 'nightly-1', gap: ['apps/Deployment shop/late'] });
  });
});

describe('runDrill: the sequence, the journal and the cleanup stack', () => {
  it('runs every phase, journals each before it acts, and shows a failed phase failed', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    w.dropOnRestore = ['ConfigMap/web-config'];
    const state = w.state();
    const run = await runDrill(w.deps(), w.scenario(), state);
    expect(run).toEqual({ interrupted: false, revertFailures: [] });
    expect(state.timeline.map((t) => [t.phase, t.ok])).toEqual([
      ['preflight', true],
      ['baseline', true],
      ['inject', true],
      ['recover', true],
      ['verify', false],
    ]);
    expect(w.reporter.phases.filter(([, s]) => !s.startsWith('start'))).toEqual([
      [
        'preflight',
        expect.stringMatching(/^ok: Velero running in drill-a; backup nightly-1 holds 5 object\(s\) of shop/),
      ],
      ['baseline', 'ok: 5 objects, 1 workloads; sentinel "seed"'],
      ['inject', 'ok: 1 step(s); the disaster happened'],
      ['recover', 'ok: shop-loss-abcd1234-1 Completed, shop-loss-abcd1234-2 Completed'],
      ['verify', 'fail: 2/3 passed'],
    ]);
    const events = w.journal.read().map((e) => e.event);
    expect(events.indexOf('phase-started')).toBeLessThan(events.indexOf('preflight-done'));
    expect(events.filter((e) => e === 'restore-creating')).toHaveLength(2);
  });

  it('a precondition before the disaster throws (exit 4); after the disaster an error fails the drill and the reverts still run', async () => {
    const w = new DrillWorld();
    const r = await refusal(runDrill(w.deps(), w.scenario(), w.state()));
    expect(r).toMatchObject({ code: 'BACKUP_MISSING', exitCode: 4 });
    await w.backup('nightly-1');
    w.restore = 'ignore';
    const s = w.scenario({ recovery: { timeout: '1s' } });
    const state = w.state();
    const running = runDrill(w.deps(), s, state);
    // Velero never answers; the deadline is the clock's, so the fake time has to reach it
    await eventually(() => w.kube.calls.some((c) => c.verb === 'watch' && c.kind === 'Restore'), 'the Restore watch');
    w.clock.advance(1_000);
    const run = await running;
    expect(run.error).toMatch(/Restore velero\/shop-loss-abcd1234-1 did not finish within 1s/);
    expect(state.timeline.map((t) => [t.phase, t.ok])).toEqual([
      ['preflight', true],
      ['baseline', true],
      ['inject', true],
      ['recover', false],
    ]);
  });
});

describe('the must-not-pass cases that a unit test can hold: none passes', () => {
  const run = async (w: DrillWorld, s: Scenario) => {
    const state = w.state();
    const r = await runDrill(w.deps(), s, state);
    return buildResult(s, state, { context: 'drill-a', recoveryContext: 'drill-a', endedAt: w.clock.now(), ...r });
  };
  const cases: [string, (w: DrillWorld) => Promise<Scenario> | Scenario, string][] = [
    [
      'an http probe with the wrong body',
      (w) => {
        w.kube.onProxyGet = async () => ({ status: 200, body: 'starting up' });
        return w.scenario({
          verify: [
            {
              type: 'http',
              service: { namespace: NS, name: 'web', port: 80, path: '/healthz' },
              bodyRegex: '^ok$',
              timeout: '3s',
            },
          ],
        });
      },
      'VERIFY_HTTP',
    ],
    [
      'a sentinel mismatch',
      async (w) => {
        await w.kube.patch(
          { apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'kdrill-sentinel' },
          { data: { runId: 'after-the-backup' } },
        );
        return w.scenario({
          disaster: [{ type: 'delete-workload', namespace: NS, selector: 'app=web' }],
          verify: [{ type: 'sentinel' }],
        });
      },
      'VERIFY_SENTINEL',
    ],
    [
      'an RTO breached',
      (w) => {
        w.restoreSeconds = 1900; // two restores of 31m40s against a 1h RTO
        // each within the recovery timeout (the deadline runs on the same fake clock)
        return w.scenario({ recovery: { timeout: '40m' } });
      },
      'RTO_BREACHED',
    ],
    [
      'an RPO breached at the start',
      (w) => w.scenario({ objectives: { rto: '1h', rpo: '30m', retention: '7d' } }),
      'RPO_BREACHED_AT_START',
    ],
  ];
  for (const [what, setup, code] of cases) {
    it(what, async () => {
      const w = new DrillWorld();
      await w.backup('nightly-1');
      const res = await run(w, await setup(w));
      expect(res.verdict).toBe('fail');
      expect(res.exitCode).toBe(3);
      expect(res.findings.map((f) => f.code)).toContain(code);
    });
  }

  it('Object Lock not enforced', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    const unlocked = new FakeObjectStore({ objectLock: false, versioning: true });
    for await (const o of w.store.list('')) await unlocked.put(o.key, (await w.store.get(o.key))!);
    const s = w.scenario();
    const state = w.state();
    const r = await runDrill(w.deps({ storeFor: async () => ({ store: unlocked, prefix: '' }) }), s, state);
    const res = buildResult(s, state, { context: 'drill-a', recoveryContext: 'drill-a', endedAt: w.clock.now(), ...r });
    expect(res.verdict).toBe('fail');
    expect(res.findings.filter((f) => f.severity === 'P1').map((f) => f.code)).toContain('BUCKET_NO_OBJECT_LOCK');
  });
});
