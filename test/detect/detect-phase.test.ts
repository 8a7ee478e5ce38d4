import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { buildResult } from '../../src/drill/result.js';
import { runDrill } from '../../src/drill/runner.js';
import { stateFromJournal, type RunState } from '../../src/drill/state.js';
import type { DrillResult } from '../../src/drill/types.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { DrillWorld, NS } from '../support/drill-world.js';
import { FakeAlertmanager, type FakeAlert } from '../support/fake-alertmanager.js';

/** A world, a fake Alertmanager on its clock, and a scenario expecting alerts from it. */
async function setup(detect: Record<string, unknown> = {}, o: { watchdog?: boolean } = {}) {
  const w = new DrillWorld();
  await w.backup('nightly-1');
  const am = new FakeAlertmanager(() => w.clock.now());
  if (o.watchdog !== false) am.withWatchdog();
  await am.listen();
  const state = w.state();
  const s: Scenario = w.scenario({
    detect: {
      source: { alertmanager: { url: am.url } },
      expect: [{ alert: 'ShopDown', labels: { namespace: NS }, priority: 'P1' }],
      timeout: '2m',
      pollInterval: '1s',
      ...detect,
    },
  });
  return { w, am, state, s };
}

/** An alert that fires `seconds` after the disaster began (the state's inject start). */
const after = (state: RunState, seconds: number, labels: Record<string, string>, extra: Partial<FakeAlert> = {}) => ({
  labels,
  at: () => (state.injectStartedAt ? new Date(Date.parse(state.injectStartedAt) + seconds * 1000) : undefined),
  ...extra,
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function drill(x: Awaited<ReturnType<typeof setup>>): Promise<DrillResult> {
  try {
    const r = await runDrill(x.w.deps(), x.s, x.state);
    return buildResult(x.s, x.state, {
      context: 'drill-a',
      recoveryContext: 'drill-a',
      endedAt: x.w.clock.now(),
      ...r,
    });
  } finally {
    await x.am.close();
  }
}

describe('the detect phase, against a fake Alertmanager API', () => {
  it('records when the expected alert fired: firedAt, the exact time to detect, its priority; the drill passes', async () => {
    const x = await setup({ objective: '1m' });
    x.w.journal.append('run-started', { runId: x.state.runId, scenario: x.s.metadata.name }, x.w.clock.now());
    x.am.alerts.push(after(x.state, 20, { alertname: 'ShopDown', namespace: NS, severity: 'critical' }));
    const r = await drill(x);
    expect(r.verdict, JSON.stringify(r.findings)).toBe('pass');
    expect(r.exitCode).toBe(0);
    const [a] = r.detection!.alerts;
    expect(a).toMatchObject({
      alert: 'ShopDown',
      fired: true,
      ttdSeconds: 20,
      priority: 'P1',
      priorityLabel: 'critical',
      met: true,
      firedAt: new Date(Date.parse(x.state.injectStartedAt!) + 20_000).toISOString(),
    });
    expect(Date.parse(a!.seenAt!)).toBeGreaterThanOrEqual(Date.parse(a!.firedAt!));
    expect(r.detection).toMatchObject({
      ttdSeconds: 20,
      met: true,
      objectiveSeconds: 60,
      disasterAt: x.state.injectStartedAt,
    });
    expect(r.detection!.heartbeat).toMatchObject({ alert: 'Watchdog', ok: true });
    expect(r.timeline.find((t) => t.phase === 'detect')).toMatchObject({ ok: true });
    // journaled as it fired: a resumed run knows it
    const replayed = stateFromJournal(x.w.journal)!;
    expect(replayed.detect!.alerts[0]).toMatchObject({ fired: true, ttdSeconds: 20 });
    expect(replayed.detection!.ttdSeconds).toBe(20);
  });

  it('an expected alert that never fires is P2 ALERT_NOT_FIRED ("the disaster paged no one"): exit 3', async () => {
    const x = await setup();
    const r = await drill(x);
    expect(r.verdict).toBe('fail');
    expect(r.exitCode).toBe(3);
    expect(r.detection!.alerts[0]).toMatchObject({ fired: false, met: false });
    expect(r.detection!.ttdSeconds).toBeNull();
    const f = r.findings.find((x) => x.code === 'ALERT_NOT_FIRED');
    expect(f).toMatchObject({ severity: 'P2', key: 'ShopDown' });
    expect(f!.message).toMatch(
      /ShopDown\{namespace="shop"\} did not fire within 2m of the disaster: the disaster paged no one/,
    );
    expect(r.actionItems).toContainEqual(expect.objectContaining({ code: 'ALERT_NOT_FIRED', object: 'ShopDown' }));
    // the watch waited for it until the timeout after the disaster, no longer
    const d = r.detection!;
    expect(Date.parse(d.endedAt) - Date.parse(d.disasterAt!)).toBeGreaterThanOrEqual(120_000);
    expect(Date.parse(d.endedAt) - Date.parse(d.disasterAt!)).toBeLessThan(125_000);
  });

  it('an alert firing before the disaster says nothing about it: not counted, and said so', async () => {
    const x = await setup({ timeout: '30s' });
    x.am.alerts.push({ labels: { alertname: 'ShopDown', namespace: NS, pod: 'old' }, at: () => new Date(0) });
    const r = await drill(x);
    expect(r.detection!.alerts[0]).toMatchObject({ fired: false, firingBefore: 1 });
    expect(r.findings.find((f) => f.code === 'ALERT_NOT_FIRED')!.message).toMatch(
      /1 matching alert\(s\) were already firing/,
    );
  });

  it('the wrong priority is P3 ALERT_WRONG_PRIORITY: the drill still passes', async () => {
    const x = await setup();
    x.am.alerts.push(after(x.state, 5, { alertname: 'ShopDown', namespace: NS, severity: 'warning' }));
    const r = await drill(x);
    expect(r.verdict).toBe('pass');
    expect(r.findings).toContainEqual(
      expect.objectContaining({
        severity: 'P3',
        code: 'ALERT_WRONG_PRIORITY',
        message: expect.stringMatching(/fired as P2 \(severity="warning"\); the drill expects P1/),
      }),
    );
  });

  it('an alert slower than the objective fails the drill: DETECT_OBJECTIVE_BREACHED, exit 3', async () => {
    const x = await setup({ objective: '30s' });
    x.am.alerts.push(after(x.state, 45, { alertname: 'ShopDown', namespace: NS, severity: 'critical' }));
    const r = await drill(x);
    expect(r.exitCode).toBe(3);
    expect(r.detection!.alerts[0]).toMatchObject({ fired: true, ttdSeconds: 45, met: false });
    expect(r.findings).toContainEqual(
      expect.objectContaining({
        severity: 'P2',
        code: 'DETECT_OBJECTIVE_BREACHED',
        message: expect.stringContaining('45s'),
      }),
    );
  });

  it('no heartbeat before the disaster: P1 HEARTBEAT_MISSING, and the drill goes on', async () => {
    const x = await setup({}, { watchdog: false });
    x.am.alerts.push(after(x.state, 3, { alertname: 'ShopDown', namespace: NS, severity: 'critical' }));
    const r = await drill(x);
    expect(r.exitCode).toBe(3);
    expect(r.verify.every((v) => v.passed)).toBe(true);
    expect(r.detection!.heartbeat).toMatchObject({ alert: 'Watchdog', ok: false });
    expect(r.detection!.alerts[0]!.fired).toBe(true);
    expect(r.findings).toContainEqual(expect.objectContaining({ severity: 'P1', code: 'HEARTBEAT_MISSING' }));
  });

  it('an Alertmanager that does not answer is a precondition (exit 4) before anything is touched', async () => {
    const x = await setup();
    await x.am.close();
    await expect(runDrill(x.w.deps(), x.s, x.state)).rejects.toMatchObject({
      code: 'DETECT_SOURCE_UNREACHABLE',
      exitCode: 4,
      message: expect.stringMatching(new RegExp(`^Alertmanager ${x.am.url} does not answer: .*ECONNREFUSED`)),
    });
    expect(x.w.writes()).toEqual([]);
    expect(x.state.injectStartedAt).toBeUndefined();
  });

  it('a source that answers wrongly is a precondition too, saying what it answered', async () => {
    const x = await setup();
    x.am.failWith = 503;
    await expect(runDrill(x.w.deps(), x.s, x.state)).rejects.toMatchObject({
      code: 'DETECT_SOURCE_UNREACHABLE',
      exitCode: 4,
      message: expect.stringContaining('answered HTTP 503 to GET /api/v2/alerts'),
    });
    await x.am.close();
  });

  it('notify: the notification reaching kdrill’s receiver is the time to page; without it, ALERT_NOT_NOTIFIED', async () => {
    const port = await freePort();
    const x = await setup({ notify: true, receiver: { listen: `127.0.0.1:${port}` } });
    x.am.webhook = `http://127.0.0.1:${port}/`;
    x.am.alerts.push(after(x.state, 10, { alertname: 'ShopDown', namespace: NS, severity: 'critical' }));
    const r = await drill(x);
    const a = r.detection!.alerts[0]!;
    expect(a.notifiedAt).toBeDefined();
    expect(a.ttpSeconds!).toBeGreaterThanOrEqual(a.ttdSeconds!);
    expect(r.detection).toMatchObject({ ttpSeconds: a.ttpSeconds, receiver: `http://127.0.0.1:${port}/` });
    expect(r.detection!.notifications).toBeGreaterThanOrEqual(1);
    expect(r.findings.map((f) => f.code)).not.toContain('ALERT_NOT_NOTIFIED');
    expect(r.verdict).toBe('pass');

    // the same alert, and no webhook: it fired and paged no one
    const y = await setup({ notify: true, receiver: { listen: `127.0.0.1:${port}` }, timeout: '30s' });
    y.am.alerts.push(after(y.state, 10, { alertname: 'ShopDown', namespace: NS, severity: 'critical' }));
    const r2 = await drill(y);
    expect(r2.detection!.alerts[0]).toMatchObject({ fired: true });
    expect(r2.detection!.alerts[0]!.notifiedAt).toBeUndefined();
    expect(r2.findings).toContainEqual(expect.objectContaining({ severity: 'P2', code: 'ALERT_NOT_NOTIFIED' }));
    expect(r2.exitCode).toBe(3);
  });

  it('notify with a receiver port already taken: a precondition, before anything is touched', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    const x = await setup({ notify: true, receiver: { listen: `127.0.0.1:${port}` } });
    try {
      await expect(runDrill(x.w.deps(), x.s, x.state)).rejects.toMatchObject({
        code: 'DETECT_RECEIVER_UNAVAILABLE',
        exitCode: 4,
        message: expect.stringContaining(`cannot listen on 127.0.0.1:${port}`),
      });
      expect(x.w.writes()).toEqual([]);
    } finally {
      blocker.close();
      await x.am.close();
    }
  });

  it('a silenced alert fired, but paged no one: ALERT_SILENCED', async () => {
    const x = await setup();
    x.am.alerts.push(
      after(x.state, 5, { alertname: 'ShopDown', namespace: NS, severity: 'critical' }, { state: 'suppressed' }),
    );
    const r = await drill(x);
    expect(r.detection!.alerts[0]).toMatchObject({ fired: true, suppressed: true });
    expect(r.findings).toContainEqual(expect.objectContaining({ severity: 'P2', code: 'ALERT_SILENCED' }));
  });

  it('holdRecovery: the recovery starts once the alerts fired, and the RTO includes the time to detect', async () => {
    const x = await setup({ holdRecovery: true });
    x.am.alerts.push(after(x.state, 40, { alertname: 'ShopDown', namespace: NS, severity: 'critical' }));
    const r = await drill(x);
    expect(r.verdict).toBe('pass');
    const recover = r.timeline.find((t) => t.phase === 'recover')!;
    expect(Date.parse(recover.startedAt) - Date.parse(x.state.injectStartedAt!)).toBeGreaterThanOrEqual(40_000);
    expect(r.detection!.heldRecoverySeconds).toBeGreaterThanOrEqual(40);
    expect(r.objectives.rto.measuredSeconds!).toBeGreaterThan(40);
  });

  it('Prometheus as the source: an alert fires `for` after it became pending (activeAt + for)', async () => {
    const x = await setup();
    x.s.spec.detect!.source = { prometheus: { url: x.am.url } };
    x.am.alerts.push(
      after(x.state, 12, { alertname: 'ShopDown', namespace: NS, severity: 'critical' }, { forSeconds: 5 }),
    );
    const r = await drill(x);
    expect(r.detection!.source).toBe(`Prometheus ${x.am.url}`);
    expect(r.detection!.alerts[0]).toMatchObject({ fired: true, ttdSeconds: 12 });
  });
});
