import { describe, expect, it } from 'vitest';
import { buildResult } from '../../src/drill/result.js';
import { stateFromJournal, type RunState } from '../../src/drill/state.js';
import type { DrillResult } from '../../src/drill/types.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/types.js';
import { runRestoreTest } from '../../src/restore-test/run.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { DrillWorld, NS } from '../support/drill-world.js';

const V = (kind: string) => ({ apiVersion: 'velero.io/v1', kind });
const SANDBOX = `${NS}-rt-abcd1234`;

/** The restore-test form of the world's scenario: no disaster, checks aimed at the source namespace. */
function restoreTest(w: DrillWorld, spec: Record<string, unknown> = {}): Scenario {
  return w.scenario({
    mode: 'restore-test',
    disaster: [],
    sandbox: { allow: ['dns'] },
    verify: [{ type: 'workloads-ready', timeout: '5m' }, { type: 'sentinel' }, { type: 'inventory' }],
    ...spec,
  });
}

async function run(
  w: DrillWorld,
  s: Scenario = restoreTest(w),
  o: { keep?: boolean; state?: RunState } = {},
): Promise<{ result: DrillResult; state: RunState }> {
  const state = o.state ?? { ...w.state(), mode: 'restore-test' as const };
  const r = await runRestoreTest(w.deps(), s, state, { keep: !!o.keep });
  const result = buildResult(s, state, {
    context: w.kube.context,
    recoveryContext: w.recovery.context,
    endedAt: w.clock.now(),
    revertFailures: r.revertFailures,
    interrupted: r.interrupted,
    error: r.error,
  });
  return { result, state };
}

const sandboxGone = (w: DrillWorld, k = w.kube): boolean =>
  !k.peek({ apiVersion: 'v1', kind: 'Namespace', name: SANDBOX }) ||
  !!k.peek({ apiVersion: 'v1', kind: 'Namespace', name: SANDBOX })?.metadata?.deletionTimestamp;
const codes = (r: DrillResult): string[] => r.findings.map((f) => `${f.severity} ${f.code}`);

describe('a restore test (spec.mode: restore-test)', () => {
  it('restores the backup into a fenced-off sandbox, verifies it there, tears it down, and leaves production as it was', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    const { result, state } = await run(w);
    expect(result.verdict, JSON.stringify(result.findings)).toBe('pass');
    expect(result.exitCode).toBe(0);
    expect(result.mode).toBe('restore-test');
    // every Restore maps the source to the sandbox and names the resource modifiers
    const restores = w.kube.calls.filter((c) => c.verb === 'create' && c.kind === 'Restore');
    expect(restores.length).toBe(2);
    for (const r of state.restoresCreated) {
      const obj = w.kube.peek({ ...V('Restore'), namespace: 'velero', name: r.name })!;
      expect(obj.spec).toMatchObject({
        includedNamespaces: [NS],
        namespaceMapping: { [NS]: SANDBOX },
        resourceModifier: { kind: 'ConfigMap', name: 'kdrill-rt-shop-loss' },
        existingResourcePolicy: 'none',
      });
    }
    // the fence before anything lands: the namespace, then its deny-all, then the rules, then the first Restore
    const order = w
      .writes()
      .filter((x) => /^create (Namespace|NetworkPolicy|ConfigMap|Restore) /.test(x))
      .slice(0, 5);
    expect(order).toEqual([
      `create Namespace /${SANDBOX}`,
      `create NetworkPolicy ${SANDBOX}/kdrill-sandbox-deny-all`,
      `create NetworkPolicy ${SANDBOX}/kdrill-sandbox-allow-dns`,
      'create ConfigMap velero/kdrill-rt-shop-loss',
      'create Restore velero/shop-loss-abcd1234-1',
    ]);
    // nothing was written into production
    expect(w.writes().filter((x) => x.includes(` ${NS}/`))).toEqual([]);
    expect(result.verify.map((v) => `${v.type} ${v.passed}`)).toEqual([
      'workloads-ready true',
      'sentinel true',
      'inventory true',
    ]);
    expect(result.verify[2]!.detail).toMatch(/^all \d+ objects of the backup are in the sandbox/);
    expect(result.sandbox).toMatchObject({
      namespaces: [{ source: NS, sandbox: SANDBOX }],
      sourceUntouched: true,
      isolation: { applied: true, held: { ok: true, problems: [] } },
      teardown: { kept: false, deleted: [SANDBOX], failures: [] },
    });
    expect(result.sandbox!.sourceComparison).toMatchObject({ untouched: true, changed: [], added: [], missing: [] });
    expect(result.sandbox!.sourceComparison!.objects).toBeGreaterThan(4);
    expect(sandboxGone(w)).toBe(true);
    expect(w.kube.peek({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'velero', name: 'kdrill-rt-shop-loss' })).toBe(
      undefined,
    );
    // the RTO estimate is the restore time: from the first Restore to the last check (30 s of fake Velero each)
    expect(result.objectives.rto.measuredSeconds).toBe(60);
    expect(result.timeline.map((t) => t.phase)).toEqual([
      'preflight',
      'baseline',
      'sandbox',
      'recover',
      'verify',
      'cleanup',
    ]);
  });

  it('into the second cluster (recovery.context): the sandbox, its fence and Restores there, nothing written in the first', async () => {
    const w = new DrillWorld({ twoClusters: true });
    await w.backup('nightly-1');
    const before = w.writes().length;
    const { result } = await run(w, restoreTest(w, { recovery: { context: 'drill-b' } }));
    expect(result.verdict, JSON.stringify(result.findings)).toBe('pass');
    expect(result.sandbox).toMatchObject({
      context: 'drill-b',
      namespaces: [{ source: NS, sandbox: SANDBOX }],
      sourceUntouched: true,
      teardown: { deleted: [SANDBOX], failures: [] },
    });
    const created = (k: typeof w.kube): string[] =>
      k.calls.filter((c) => c.verb === 'create').map((c) => `${c.kind} ${c.namespace ?? ''}/${c.name}`);
    expect(created(w.recovery)).toEqual(
      expect.arrayContaining([
        `Namespace /${SANDBOX}`,
        `NetworkPolicy ${SANDBOX}/kdrill-sandbox-deny-all`,
        'Restore velero/shop-loss-abcd1234-1',
      ]),
    );
    // the first cluster, production's, is only read
    expect(w.writes().slice(before)).toEqual([]);
    expect(created(w.kube)).toEqual([]);
    expect(sandboxGone(w, w.recovery)).toBe(true);
    expect(w.kube.peek({ apiVersion: 'v1', kind: 'Namespace', name: SANDBOX })).toBeUndefined();
  });

  it('labels the sandbox with its run, source and expiry, and its NetworkPolicy selects every pod both ways', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    let seen: KubeObject | undefined;
    let deny: KubeObject | undefined;
    w.kube.on('Restore', () => {
      seen ??= w.kube.peek({ apiVersion: 'v1', kind: 'Namespace', name: SANDBOX });
      deny ??= w.kube.peek({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        namespace: SANDBOX,
        name: 'kdrill-sandbox-deny-all',
      });
    });
    const { result } = await run(w, restoreTest(w, { sandbox: { ttl: '2h' } }));
    expect(seen!.metadata!.labels).toMatchObject({
      'kdrill.dev/sandbox': 'true',
      'kdrill.dev/run-id': 'abcd1234',
      'kdrill.dev/sandbox-of': NS,
      'kdrill.dev/expires': String(Math.floor(Date.parse(result.sandbox!.expiresAt) / 1000)),
    });
    expect(Date.parse(result.sandbox!.expiresAt) - Date.parse(result.startedAt)).toBe(2 * 3600_000);
    expect(deny!.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  it('turns an exposed Service into ClusterIP as it lands, and says so', async () => {
    const w = new DrillWorld();
    w.kube.seed([
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'shop-lb', namespace: NS },
        spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 443, nodePort: 31443 }] },
      },
    ]);
    await w.backup('nightly-1');
    const { result } = await run(w, restoreTest(w, { sandbox: { allow: [] } }));
    expect(result.verdict, JSON.stringify(result.findings)).toBe('pass');
    expect(result.sandbox!.isolation!.changes).toContainEqual({
      kind: 'Service',
      namespace: NS,
      name: 'shop-lb',
      change: 'LoadBalancer → ClusterIP (no node port, load balancer or external IP)',
    });
    const restored = w.kube.calls.find(
      (c) => c.verb === 'create' && c.kind === 'Service' && c.namespace === SANDBOX && c.name === 'shop-lb',
    );
    expect(restored).toBeDefined();
  });

  it('fails, exit 4 with the finding, when the backup does not hold the app: nothing is made', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1', { namespaces: ['other'] });
    const { result } = await run(w);
    expect(result.exitCode).toBe(4);
    expect(result.verdict).toBe('fail');
    expect(codes(result)).toContain('P2 BACKUP_MISSES_TARGET');
    expect(w.writes()).toEqual([]);
    expect(result.sandbox!.sourceUntouched).toBeNull();
  });

  it('fails, exit 4 with a P1 finding, when Velero is not running', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    await w.kube.patchStatus(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'velero', name: 'velero' },
      { readyReplicas: 0 },
    );
    const before = w.writes().length;
    const { result } = await run(w);
    expect(result.exitCode).toBe(4);
    expect(codes(result)).toContain('P1 VELERO_NOT_RUNNING');
    expect(result.findings.find((f) => f.code === 'VELERO_NOT_RUNNING')!.message).toMatch(
      /nothing was restored, production was not touched/,
    );
    expect(w.writes().slice(before)).toEqual([]);
  });

  it('fails when the sandbox workloads do not become ready, and still tears the sandbox down', async () => {
    const w = new DrillWorld();
    w.restoredReady = false;
    await w.backup('nightly-1');
    const { result } = await run(w, restoreTest(w, { verify: [{ type: 'workloads-ready', timeout: '30s' }] }));
    expect(result.exitCode).toBe(3);
    expect(codes(result)).toContain('P2 VERIFY_WORKLOADS_READY');
    expect(result.verify[0]!.detail).toMatch(new RegExp(`Deployment ${SANDBOX}/web not available`));
    expect(result.objectives.rto.measuredSeconds).toBeNull();
    expect(sandboxGone(w)).toBe(true);
    expect(result.sandbox!.sourceUntouched).toBe(true);
  });

  it('fails when the sandbox cannot be fenced off: nothing is restored, and the namespace goes', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    w.kube.failNext('create', 'NetworkPolicy', new KubeApiError(403, 'Forbidden', 'networkpolicies is forbidden'));
    const { result } = await run(w);
    expect(result.exitCode).toBe(3);
    expect(codes(result)).toContain('P1 SANDBOX_NOT_ISOLATED');
    expect(result.sandbox!.isolation).toMatchObject({ applied: false, error: 'networkpolicies is forbidden' });
    expect(w.kube.calls.filter((c) => c.kind === 'Restore' && c.verb === 'create')).toEqual([]);
    expect(sandboxGone(w)).toBe(true);
    expect(result.timeline.map((t) => `${t.phase} ${t.ok}`)).toEqual([
      'preflight true',
      'baseline true',
      'sandbox false',
      'cleanup true',
    ]);
  });

  it('refuses a sandbox name that exists (exit 4), and never deletes it', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    w.kube.seed([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop-copy' }, status: { phase: 'Active' } },
    ]);
    const { result } = await run(w, restoreTest(w, { sandbox: { namespaces: { [NS]: 'shop-copy' } } }));
    expect(result.exitCode).toBe(4);
    expect(codes(result)).toContain('P2 SANDBOX_EXISTS');
    expect(
      w.kube.peek({ apiVersion: 'v1', kind: 'Namespace', name: 'shop-copy' })?.metadata?.deletionTimestamp,
    ).toBeUndefined();
    expect(w.writes()).toEqual([]);
  });

  it('says production was touched (P1) when an object there changes during the test', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    w.kube.on('Restore', async (event) => {
      if (event === 'ADDED')
        await w.kube.patch(
          { apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'web-config' },
          { data: { greeting: 'changed' } },
        );
    });
    const { result } = await run(w);
    expect(result.verdict).toBe('fail');
    expect(result.sandbox!.sourceUntouched).toBe(false);
    expect(codes(result)).toContain('P1 SOURCE_TOUCHED');
    expect(result.sandbox!.sourceComparison!.changed).toEqual([
      { key: `/ConfigMap ${NS}/web-config`, before: expect.any(String), after: expect.any(String), content: 'changed' },
    ]);
  });

  it('exit 5 when the sandbox cannot be torn down: said in the result and stillMissing', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    w.kube.failNext('delete', 'Namespace', new KubeApiError(403, 'Forbidden', 'namespaces is forbidden'));
    const { result } = await run(w);
    expect(result.exitCode).toBe(5);
    expect(codes(result)).toContain('P1 SANDBOX_LEFT_BEHIND');
    expect(result.stillMissing).toEqual([
      expect.stringMatching(
        /^the restore test's sandbox is still there: namespace shop-rt-abcd1234: namespaces is forbidden/,
      ),
    ]);
  });

  it('--keep leaves the sandbox, with its expiry, and says so', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    const { result } = await run(w, restoreTest(w), { keep: true });
    expect(result.verdict).toBe('pass');
    expect(codes(result)).toContain('P3 SANDBOX_KEPT');
    expect(
      w.kube.peek({ apiVersion: 'v1', kind: 'Namespace', name: SANDBOX })?.metadata?.deletionTimestamp,
    ).toBeUndefined();
  });

  it('Ctrl-C during the restore: the Restore is let finish, the sandbox goes, production is untouched (exit 130)', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    w.restore = 'ignore';
    w.kube.on('Restore', async (event, r) => {
      if (event !== 'ADDED') return;
      w.abort.abort(new Error('SIGINT'));
      // Velero carries on with the Restore after kdrill was told to stop
      await w.kube.patchStatus(
        { ...V('Restore'), namespace: 'velero', name: r.metadata!.name! },
        { phase: 'Completed' },
      );
    });
    const { result } = await run(w);
    expect(result.exitCode).toBe(130);
    expect(sandboxGone(w)).toBe(true);
    expect(result.sandbox!.sourceUntouched).toBe(true);
    expect(result.timeline.at(-1)).toMatchObject({ phase: 'cleanup', ok: true });
  });

  it('picks a backup at random within the window, and judges the RPO on the newest', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-old', { startedHoursAgo: 24 * 40 });
    await w.backup('nightly-a', { startedHoursAgo: 24 * 20 });
    await w.backup('nightly-b', { startedHoursAgo: 24 * 10 });
    await w.backup('nightly-new', { startedHoursAgo: 2 });
    const s = restoreTest(w, {
      backup: { schedule: 'nightly', pick: 'random', window: '30d' },
      objectives: { rto: '1h', rpo: '24h', retention: '60d' },
    });
    const picked = new Set<string>();
    // uniform among three: all seen within 60 runs but for a chance of about 1e-10 (12 runs missed one 2% of the time)
    for (let i = 0; i < 60 && picked.size < 3; i++) {
      // the fake clock runs on with every test: Velero validated its BSL just now
      await w.kube.patchStatus(
        { ...V('BackupStorageLocation'), namespace: 'velero', name: 'default' },
        {
          lastValidationTime: w.clock
            .now()
            .toISOString()
            .replace(/\.\d+Z$/, 'Z'),
        },
      );
      const { result } = await run(w, s, { state: { ...w.state(), runId: `abcd12${String(i).padStart(2, '0')}` } });
      expect(result.backup, JSON.stringify(result.findings)).toBeDefined();
      picked.add(result.backup!.name);
      expect(result.sandbox!.backupPick).toEqual({ how: 'random', candidates: 3, windowSeconds: 30 * 86400 });
      expect(result.objectives.rpo.met, result.objectives.rpo.detail).toBe(true);
      expect(codes(result)).not.toContain('P2 RPO_BREACHED_AT_START');
    }
    expect([...picked].sort()).toEqual(['nightly-a', 'nightly-b', 'nightly-new']);
  });

  it('restores a named backup (the RPO still judged on the newest), and aims a command check at the sandbox', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-old', { startedHoursAgo: 10 });
    await w.backup('nightly-new', { startedHoursAgo: 2 });
    const ran: string[][] = [];
    const deps = w.deps.bind(w);
    w.deps = (o = {}) =>
      deps({
        exec: {
          run: async (argv) => (ran.push(argv), { exitCode: 0, stdout: 'ok', stderr: '', timedOut: false }),
          runZx: async () => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false }),
        },
        ...o,
      });
    const s = restoreTest(w, {
      backup: { name: 'nightly-old' },
      verify: [
        { type: 'workloads-ready', timeout: '5m' },
        { type: 'command', argv: ['probe', '-n', `{sandbox:${NS}}`] },
      ],
    });
    const { result, state } = await run(w, s);
    expect(result.verdict, JSON.stringify(result.findings)).toBe('pass');
    expect(result.backup!.name).toBe('nightly-old');
    expect(result.sandbox!.backupPick).toEqual({ how: 'named' });
    for (const r of state.restoresCreated)
      expect(w.kube.peek({ ...V('Restore'), namespace: 'velero', name: r.name })!.spec!.backupName).toBe('nightly-old');
    // a disaster now would fall back to the newest backup, two hours old, not the ten-hour-old one tested
    expect(result.objectives.rpo.measuredSeconds).toBeLessThan(3 * 3600);
    expect(ran).toContainEqual(['probe', '-n', SANDBOX]);
  });

  it('its journal replays: a resumed restore test tears down what is left and is not continued', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    const state = w.state();
    w.journal.append('run-started', { runId: state.runId, mode: 'restore-test' }, w.clock.now());
    // killed during the restore: the sandbox stays, its intent journaled
    w.restore = 'ignore';
    w.kube.on('Restore', () => w.abort.abort(new Error('SIGKILL')));
    const runFirst = runRestoreTest(w.deps(), restoreTest(w), state, { keep: true });
    await runFirst;
    expect(w.kube.peek({ apiVersion: 'v1', kind: 'Namespace', name: SANDBOX })).toBeDefined();
    const replayed = stateFromJournal(w.journal)!;
    expect(replayed.restoreTest).toMatchObject({ mapping: { [NS]: SANDBOX }, created: { namespaces: [SANDBOX] } });
    replayed.restoreTest!.keep = false;
    delete replayed.restoreTest!.teardown;
    for (const r of replayed.restoresCreated)
      await w.kube.patchStatus({ ...V('Restore'), namespace: 'velero', name: r.name }, { phase: 'Completed' });
    w.abort = new AbortController();
    const again = await run(w, restoreTest(w), { state: replayed });
    expect(again.result.exitCode).toBe(3);
    expect(sandboxGone(w)).toBe(true);
    expect(codes(again.result)).toContain('P2 DRILL_ERROR');
  });
});
