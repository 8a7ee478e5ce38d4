import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { serviceProbe, urlProbe } from '../../src/availability/probe.js';
import { Sampler, type Sample } from '../../src/availability/sampler.js';
import { summarize } from '../../src/availability/summary.js';
import { buildResult } from '../../src/drill/result.js';
import { runDrill } from '../../src/drill/runner.js';
import { systemClock } from '../../src/time/clock.js';
import { DrillWorld, NS } from '../support/drill-world.js';
import { FakeClock } from '../support/fakes/fake-clock.js';

const meta = { target: 'http://x/', from: 'availability' as const, intervalSeconds: 1, timeoutSeconds: 1 };
const T = Date.parse('2026-12-01T00:00:00Z');
const s = (sec: number, up: boolean, detail?: string): Sample => ({
  at: T + sec * 1000,
  up,
  ...(detail ? { detail } : {}),
});

describe('downtime from samples', () => {
  it('an outage runs from the first failed sample to the next good one, clipped to the window', () => {
    const samples = [
      s(-2, false, 'HTTP 503'),
      s(-1, true),
      s(0, true),
      s(1, false, 'ECONNREFUSED'),
      s(2, false, 'HTTP 503'),
      s(3, false, 'HTTP 404'),
      s(4, true),
      s(5, false, 'HTTP 500'),
      s(6, true),
      s(7, true),
    ];
    const r = summarize(samples, { start: T, end: T + 8000 }, meta);
    expect(r).toMatchObject({
      samples: 8,
      failures: 4,
      downtimeSeconds: 4,
      firstFailureAt: new Date(T + 1000).toISOString(),
      recoveredAt: new Date(T + 6000).toISOString(),
      longestOutageSeconds: 3,
      availabilityPercent: 50,
    });
    expect(r.outages).toEqual([
      {
        from: new Date(T + 1000).toISOString(),
        to: new Date(T + 4000).toISOString(),
        seconds: 3,
        lastError: 'HTTP 404',
      },
      {
        from: new Date(T + 5000).toISOString(),
        to: new Date(T + 6000).toISOString(),
        seconds: 1,
        lastError: 'HTTP 500',
      },
    ]);
  });

  it('down at the end of verification: the outage runs to the end, and there is no recoveredAt', () => {
    const r = summarize([s(0, true), s(2, false, 'HTTP 503'), s(3, false)], { start: T, end: T + 5000 }, meta);
    expect(r).toMatchObject({ downtimeSeconds: 3, availabilityPercent: 40, longestOutageSeconds: 3 });
    expect(r.recoveredAt).toBeUndefined();
    expect(r.outages[0]!.to).toBeUndefined();
  });

  it('never down: no outage; no sample at all: availability unknown, not 100%', () => {
    expect(summarize([s(0, true), s(1, true)], { start: T, end: T + 2000 }, meta)).toMatchObject({
      downtimeSeconds: 0,
      availabilityPercent: 100,
      outages: [],
    });
    expect(summarize([], { start: T, end: T + 2000 }, meta).availabilityPercent).toBeNull();
  });

  it('time kdrill did not sample is left out of the percentage, and said', () => {
    const r = summarize([s(5, false), s(7, true), s(9, true)], { start: T, end: T + 10_000, unsampledMs: 4000 }, meta);
    expect(r).toMatchObject({ downtimeSeconds: 2, unsampledSeconds: 4, availabilityPercent: 66.67 });
  });
});

/** An HTTP endpoint the test switches: up (200 "ready"), down (503), or hanging (never answers). */
async function endpoint(): Promise<{
  url: string;
  mode: 'up' | 'down' | 'hang';
  hits: number;
  close(): Promise<void>;
}> {
  const st = { mode: 'up' as 'up' | 'down' | 'hang', hits: 0 };
  const server: Server = createServer((_req, res) => {
    st.hits++;
    if (st.mode === 'hang') return;
    res.writeHead(st.mode === 'up' ? 200 : 503).end(st.mode === 'up' ? 'ready\n' : 'not ready\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/-/ready`;
  return Object.assign(st, {
    url,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sampling a real endpoint', () => {
  it('measures an outage of about a second at 100ms, to within an interval or two', async () => {
    const e = await endpoint();
    const sampler = new Sampler(
      urlProbe(e.url, { expectStatus: 200, bodyRegex: 'ready' }, systemClock),
      100,
      500,
      systemClock,
    );
    const start = Date.now();
    sampler.start();
    await sleep(500);
    e.mode = 'down';
    const downAt = Date.now();
    await sleep(1000);
    e.mode = 'up';
    const upAt = Date.now();
    await sleep(500);
    const samples = await sampler.stop();
    await e.close();
    const r = summarize(samples, { start, end: Date.now() }, { ...meta, intervalSeconds: 0.1, timeoutSeconds: 0.5 });
    expect(r.outages).toHaveLength(1);
    expect(r.downtimeSeconds).toBeGreaterThan((upAt - downAt) / 1000 - 0.25);
    expect(r.downtimeSeconds).toBeLessThan((upAt - downAt) / 1000 + 0.25);
    expect(r.outages[0]!.lastError).toBe('HTTP 503');
    expect(r.samples).toBeGreaterThan(14);
  });

  it('close() takes one last look: a service back less than an interval before the end reads as recovered', async () => {
    const e = await endpoint();
    e.mode = 'down';
    const start = Date.now();
    // an interval far longer than the test: only the first tick and the last look are samples
    const sampler = new Sampler(urlProbe(e.url, { expectStatus: 200 }, systemClock), 60_000, 500, systemClock);
    sampler.start();
    await sleep(200);
    e.mode = 'up';
    const stopped = new Sampler(urlProbe(e.url, { expectStatus: 200 }, systemClock), 60_000, 500, systemClock);
    stopped.start();
    await sleep(50);
    e.mode = 'down';
    expect((await stopped.stop()).map((x) => x.up)).toEqual([true]);
    e.mode = 'up';
    const samples = await sampler.close();
    await e.close();
    expect(samples.map((x) => x.up)).toEqual([false, true]);
    const end = samples[1]!.at;
    const r = summarize(samples, { start, end }, { ...meta, intervalSeconds: 60, timeoutSeconds: 0.5 });
    expect(r.recoveredAt).toBe(new Date(end).toISOString());
  });

  it('an endpoint that does not answer is down after the per-request timeout, and one request is in flight at a time', async () => {
    const e = await endpoint();
    e.mode = 'hang';
    const sampler = new Sampler(urlProbe(e.url, { expectStatus: 200 }, systemClock), 100, 300, systemClock);
    sampler.start();
    await sleep(1000);
    const samples = await sampler.stop();
    await e.close();
    expect(samples.length).toBeGreaterThanOrEqual(2);
    expect(samples.length).toBeLessThanOrEqual(4);
    expect(samples.every((x) => !x.up && x.detail === 'no answer within 300ms')).toBe(true);
    expect(e.hits).toBeLessThanOrEqual(4);
  });

  it('never moves a test’s fake clock: it samples as the code under test makes time pass', async () => {
    const clock = new FakeClock(new Date(T));
    let n = 0;
    const sampler = new Sampler(async () => ({ up: ++n % 2 === 0, detail: 'x' }), 1000, 1000, clock);
    sampler.start();
    await sleep(50);
    expect(clock.now().getTime()).toBe(T);
    expect(sampler.samples).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await sleep(10);
    }
    const samples = await sampler.stop();
    expect(clock.now().getTime()).toBe(T + 3000);
    expect(samples.map((x) => x.at - T)).toEqual([0, 1000, 2000, 3000]);
  });
});

describe('the http checks of a drill are sampled from the disaster to the end of verification', () => {
  it('result.json availability[] has the Service’s downtime while its namespace was gone', async () => {
    const w = new DrillWorld();
    await w.backup('nightly-1');
    const state = w.state();
    // the app answers again 45s into the disaster (the fake Velero's restores take 30s each)
    const at = (sec: number) => Date.parse(state.injectStartedAt!) + sec * 1000;
    w.kube.onProxyGet = async () =>
      state.injectStartedAt && w.clock.now().getTime() < at(45)
        ? { status: 404, body: 'gone' }
        : { status: 200, body: 'ok' };
    const s = w.scenario({
      verify: [{ type: 'http', service: { namespace: NS, name: 'web', port: 80, path: '/healthz' }, timeout: '1m' }],
    });
    const r = buildResult(s, state, {
      context: 'drill-a',
      recoveryContext: 'drill-a',
      endedAt: w.clock.now(),
      ...(await runDrill(w.deps(), s, state)),
    });
    expect(r.verdict).toBe('pass');
    const [a] = r.availability!;
    expect(a).toMatchObject({
      target: `service/${NS}/web:80/healthz`,
      from: 'verify',
      intervalSeconds: 1,
      windowStart: state.injectStartedAt,
    });
    // sampled when the clock passed each second's mark: down at +30s, up again at the +60s sample
    expect(a!.downtimeSeconds).toBe(30);
    expect(a!.firstFailureAt).toBe(new Date(at(30)).toISOString());
    expect(a!.outages[0]!.lastError).toBe('HTTP 404');
    expect(a!.recoveredAt).toBeDefined();
    expect(Date.parse(a!.recoveredAt!)).toBeLessThanOrEqual(Date.parse(state.verify!.passedAt!));
    // sampling measured the drill, it did not lengthen it: no detect phase on the timeline for sampling alone
    expect(r.timeline.map((t) => t.phase)).toEqual(['preflight', 'baseline', 'inject', 'recover', 'verify']);
  });

  it('an endpoint that stops halfway through its body is down after the timeout, and the next sample still gets through', async () => {
    let n = 0;
    const server = createServer((_q, res) => {
      res.writeHead(200, { 'content-length': '10' });
      if (n++ === 0) res.write('rea');
      else res.end('ready-----');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const probe = urlProbe(url, { expectStatus: 200, bodyRegex: 'ready' }, systemClock);
    expect(await probe(200)).toEqual({ up: false, detail: 'no answer within 200ms' });
    expect(await probe(1000)).toEqual({ up: true, detail: 'HTTP 200' });
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('a Service probe that hangs is down after its timeout', async () => {
    const w = new DrillWorld();
    w.kube.onProxyGet = () => new Promise(() => undefined);
    const probe = serviceProbe(
      w.kube,
      { namespace: NS, name: 'web', port: 80, path: '/' },
      { expectStatus: 200 },
      systemClock,
    );
    expect(await probe(50)).toEqual({ up: false, detail: 'no answer within 50ms' });
  });
});
