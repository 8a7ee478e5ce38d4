import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { monitoringAvailable, monitoringBinaries } from '../packages/lab/src/monitoring/binaries.js';
import { freePort, startServer } from '../packages/lab/src/monitoring/process.js';
import { Sampler } from '../src/availability/sampler.js';
import { urlProbe } from '../src/availability/probe.js';
import { alertmanagerSource } from '../src/detect/alertmanager.js';
import { httpGetter } from '../src/detect/source.js';
import { AlertWatch } from '../src/detect/watch.js';
import { systemClock } from '../src/time/clock.js';
import { fmt, percentile, report } from './stats.js';
import { stopwatch } from './stopwatch.js';

const ALERTS = Number(process.env.KDRILL_BENCH_DETECT_ALERTS ?? 20);
const SAMPLING_SECONDS = Number(process.env.KDRILL_BENCH_SAMPLING_SECONDS ?? 60);

/** A real Alertmanager on a free port that notifies no one: the bench posts the alerts itself. */
async function alertmanager(dir: string) {
  await writeFile(
    join(dir, 'alertmanager.yml'),
    stringify({ route: { receiver: 'none' }, receivers: [{ name: 'none' }] }),
  );
  const port = await freePort();
  return startServer({
    name: 'Alertmanager',
    bin: monitoringBinaries().alertmanager,
    url: `http://127.0.0.1:${port}`,
    log: join(dir, 'alertmanager.log'),
    args: [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
  });
}

/** Posts one alert as Prometheus would; resolves when Alertmanager has taken it (its POST answered). */
async function post(url: string, alertname: string): Promise<void> {
  const r = await fetch(`${url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ labels: { alertname, severity: 'critical' }, startsAt: systemClock.now().toISOString() }]),
  });
  if (!r.ok) throw new Error(`Alertmanager refused the alert: HTTP ${r.status} ${await r.text()}`);
}

/** One alert: a watch as the detect phase runs it (default 500 ms poll), then the post at a random moment. */
async function seenAfterPost(url: string, i: number): Promise<number> {
  const ac = new AbortController();
  const watch = new AlertWatch(
    {
      expect: [{ alert: `BenchAlert${i}`, labels: {}, matchers: [], priority: 'P1' }],
      timeout: 30,
      pollInterval: 0.5,
      priorityLabel: 'severity',
      notify: false,
    },
    { source: alertmanagerSource(httpGetter({ url }), url), clock: systemClock, signal: ac.signal },
  );
  const disasterAt = systemClock.now().toISOString();
  const done = watch.start(() => disasterAt);
  await systemClock.sleep(100 + Math.random() * 500); // the alert lands anywhere in a poll interval
  await post(url, `BenchAlert${i}`);
  const hadIt = systemClock.now().getTime();
  await done;
  const seen = watch.records[0]!.seenAt;
  if (!seen) throw new Error(`kdrill never saw BenchAlert${i}`);
  return Date.parse(seen) - hadIt;
}

/** How soon kdrill sees a firing alert once Alertmanager has it. */
async function alertLatency(): Promise<void> {
  const title = `Time from Alertmanager having an alert to kdrill seeing it (${ALERTS} alerts, real Alertmanager)`;
  if (!monitoringAvailable()) {
    report(title, [['skipped', 'prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)']]);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'kdrill-bench-am-'));
  const am = await alertmanager(dir);
  const lat: number[] = [];
  try {
    for (let i = 0; i < ALERTS; i++) lat.push(await seenAfterPost(am.url, i));
  } finally {
    await am.stop();
    await rm(dir, { recursive: true, force: true });
  }
  report(title, [
    [
      'median / p99 / max',
      `${fmt(percentile(lat, 50))} / ${fmt(percentile(lat, 99))} / ${fmt(Math.max(...lat))}  (goal: median <= 1 s)`,
    ],
  ]);
}

/** An HTTP endpoint in a process of its own, so that the CPU measured below is the sampler's alone. */
async function endpoint(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const s=require('http').createServer((q,r)=>r.end('ready')).listen(0,'127.0.0.1',()=>console.log(s.address().port))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<string>((resolve) =>
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())),
  );
  return { url: `http://127.0.0.1:${port}/-/ready`, stop: () => child.kill() };
}

/** CPU of this process over `ms`, as a share of one core, while `during` runs. */
async function cpuShare(ms: number, during: { start(): void; stop(): Promise<number> }): Promise<[number, number]> {
  const elapsed = stopwatch();
  const cpu0 = process.cpuUsage();
  during.start();
  await systemClock.sleep(ms);
  const n = await during.stop();
  const cpu = process.cpuUsage(cpu0);
  return [(cpu.user + cpu.system) / 1000 / elapsed(), n];
}

/** A 10 Hz loop around `once`, on the grid as the sampler keeps it: what the machine costs before any HTTP. */
function tenHertz(once: () => Promise<unknown>): { start(): void; stop(): Promise<number> } {
  let stop = false;
  let n = 0;
  let done: Promise<void> = Promise.resolve();
  return {
    start: () => {
      done = (async () => {
        let next = Date.now();
        while (!stop) {
          await once();
          n++;
          next += 100;
          await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
        }
      })();
    },
    stop: async () => {
      stop = true;
      await done;
      return n;
    },
  };
}

function bareGet(url: string): () => Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return () =>
    new Promise((resolve) => {
      const req = request(url, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', () => resolve());
      req.end();
    });
}

/**
 * The CPU of 10 Hz availability sampling, as a share of one core, side by side with what it is made of
 * on this machine: an idle 10 Hz timer (the wake-ups alone), and a bare kept-alive http.request.
 */
async function samplingCpu(): Promise<void> {
  const ep = await endpoint();
  // the sampler over the whole minute the goal names, its warm-up included; the two baselines a third each
  const ms = (SAMPLING_SECONDS * 1000) / 3;
  const sampler = new Sampler(
    urlProbe(ep.url, { expectStatus: 200, bodyRegex: 'ready' }, systemClock),
    100,
    1000,
    systemClock,
  );
  let up = 0;
  const [kdrill, samples] = await cpuShare(SAMPLING_SECONDS * 1000, {
    start: () => sampler.start(),
    stop: async () => {
      const all = await sampler.stop();
      up = all.filter((x) => x.up).length;
      return all.length;
    },
  });
  const [idle] = await cpuShare(
    ms,
    tenHertz(() => Promise.resolve()),
  );
  const [bare] = await cpuShare(ms, tenHertz(bareGet(ep.url)));
  ep.stop();
  const pct = (x: number): string => `${(x * 100).toFixed(2)}% of a core`;
  report(
    `Availability sampling at 10 Hz for ${SAMPLING_SECONDS} s, then each baseline for ${(ms / 1000).toFixed(0)} s (one URL, kept-alive)`,
    [
      ['samples (up)', `${samples} (${up})`],
      ['kdrill sampler', `${pct(kdrill)}  (goal: <= 1%)`],
      ['bare http.request, 10 Hz', pct(bare)],
      ['idle 10 Hz timer', pct(idle)],
      ['kdrill / bare request', `${(kdrill / bare).toFixed(2)}x`],
      ['CPU per sample', fmt((kdrill * SAMPLING_SECONDS * 1000) / Math.max(samples, 1))],
    ],
  );
}

/** `npm run bench -- detect`: KDRILL_BENCH_DETECT_ALERTS (20) and KDRILL_BENCH_SAMPLING_SECONDS (60) size it. */
export async function benchDetect(): Promise<void> {
  await alertLatency();
  await samplingCpu();
}
