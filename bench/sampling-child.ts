// One 10 Hz sampling loop in a process of its own, so that its CPU is all that process.cpuUsage counts:
// `node --import tsx bench/sampling-child.ts <kdrill|bare|idle> <seconds> <url>` prints one JSON line.
import { Agent, request } from 'node:http';
import { Sampler } from '../src/availability/sampler.js';
import { urlProbe } from '../src/availability/probe.js';
import { systemClock } from '../src/time/clock.js';

const [variant = 'kdrill', seconds = '60', url = ''] = process.argv.slice(2);
const ms = Number(seconds) * 1000;

/** A loop on the grid, as the sampler keeps it, around one call. */
async function tenHertz(once: () => Promise<unknown>): Promise<number> {
  const end = Date.now() + ms;
  let next = Date.now();
  let n = 0;
  while (Date.now() < end) {
    await once();
    n++;
    next += 100;
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
  return n;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const bare = (): Promise<void> =>
  new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', () => resolve());
    req.end();
  });

const cpu0 = process.cpuUsage();
const t0 = performance.now();
async function sample(): Promise<{ samples: number; up: number }> {
  if (variant !== 'kdrill') {
    const n = await tenHertz(variant === 'bare' ? bare : () => Promise.resolve());
    return { samples: n, up: n };
  }
  const s = new Sampler(urlProbe(url, { expectStatus: 200, bodyRegex: 'ready' }, systemClock), 100, 1000, systemClock);
  s.start();
  await systemClock.sleep(ms);
  const all = await s.stop();
  return { samples: all.length, up: all.filter((x) => x.up).length };
}
const { samples, up } = await sample();
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ share: (cpu.user + cpu.system) / 1000 / (performance.now() - t0), samples, up }));
process.exit(0);
