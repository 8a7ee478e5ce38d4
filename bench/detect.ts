import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { monitoringAvailable, monitoringBinaries } from '../packages/lab/src/monitoring/binaries.js';
import { freePort, startServer } from '../packages/lab/src/monitoring/process.js';
import { alertmanagerSource } from '../src/detect/alertmanager.js';
import { httpGetter } from '../src/detect/source.js';
import { AlertWatch } from '../src/detect/watch.js';
import { systemClock } from '../src/time/clock.js';
import { fmt, percentile, report } from './stats.js';

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

/** One sampling loop in a child process of its own (bench/sampling-child.ts): its CPU share and samples. */
function inChild(
  variant: 'kdrill' | 'bare' | 'idle',
  seconds: number,
  url: string,
): { share: number; samples: number; up: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/sampling-child.ts', variant, String(seconds), url], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`the ${variant} sampling child failed: ${r.stderr.slice(-300)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { share: number; samples: number; up: number };
}

/**
 * The CPU of 10 Hz availability sampling over a minute, as a share of one core, side by side with what
 * it is made of on this machine: an idle 10 Hz timer (the wake-ups alone) and a bare kept-alive
 * http.request. Each runs in a process of its own, started after the last one ended, so nothing else of
 * the bench (an earlier section's sockets, its garbage) is counted.
 */
async function samplingCpu(): Promise<void> {
  const ep = await endpoint();
  const third = Math.max(1, Math.round(SAMPLING_SECONDS / 3));
  const kdrill = inChild('kdrill', SAMPLING_SECONDS, ep.url);
  const idle = inChild('idle', third, ep.url);
  const bare = inChild('bare', third, ep.url);
  ep.stop();
  const pct = (x: number): string => `${(x * 100).toFixed(2)}% of a core`;
  report(
    `Availability sampling at 10 Hz for ${SAMPLING_SECONDS} s, then each baseline for ${third} s (one URL, kept-alive)`,
    [
      ['samples (up)', `${kdrill.samples} (${kdrill.up})`],
      ['kdrill sampler', `${pct(kdrill.share)}  (goal: <= 1%)`],
      ['bare http.request, 10 Hz', pct(bare.share)],
      ['idle 10 Hz timer', pct(idle.share)],
      ['kdrill / bare request', `${(kdrill.share / bare.share).toFixed(2)}x`],
      ['CPU per sample', fmt((kdrill.share * SAMPLING_SECONDS * 1000) / Math.max(kdrill.samples, 1))],
    ],
  );
}

/** `npm run bench -- detect`: KDRILL_BENCH_DETECT_ALERTS (20) and KDRILL_BENCH_SAMPLING_SECONDS (60) size it. */
export async function benchDetect(): Promise<void> {
  await alertLatency();
  await samplingCpu();
}
