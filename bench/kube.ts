import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { connectKube } from '../src/kube/client-node.js';
import type { KubeApi } from '../src/kube/kube-api.js';
import { LabApiServer } from '../packages/lab/src/apiserver/server.js';
import { labKubeconfig } from '../packages/lab/src/kubeconfig.js';
import { systemClock } from '../src/time/clock.js';
import { fmt, percentile, report } from './stats.js';
import { stopwatch } from './stopwatch.js';

/** Write → watch callback latency through the real client-node adapter. */
async function watchLatency(kube: KubeApi, n: number): Promise<number[]> {
  const ns = `bench-${systemClock.now().getTime().toString(36)}`;
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const started = new Map<string, () => number>();
  const lat: number[] = [];
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const w = kube.watch(
    { apiVersion: 'v1', kind: 'ConfigMap' },
    {
      namespace: ns,
      onEvent: (e) => {
        const since = started.get(e.object.metadata?.name ?? '');
        if (e.type === 'ADDED' && since !== undefined) {
          lat.push(since());
          if (lat.length === n) resolveDone();
        }
      },
    },
  );
  await w.ready;
  for (let i = 0; i < n; i++) {
    const name = `cm-${i}`;
    started.set(name, stopwatch());
    await kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: ns },
      data: { i: String(i) },
    });
  }
  await done;
  w.stop();
  await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
  return lat;
}

function rssOf(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((s) => Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) / 1024);
}

/** Creates through keep-alive HTTP with `concurrency` requests in flight. */
async function createMany(
  server: string,
  ns: string,
  from: number,
  count: number,
  concurrency: number,
): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL(`${server}/api/v1/namespaces/${ns}/configmaps`);
  let next = from;
  const elapsed = stopwatch();
  const worker = async (): Promise<void> => {
    while (next < from + count) {
      const i = next++;
      const body = JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `c-${i}`, labels: { bench: 'rss' } },
        data: { payload: 'x'.repeat(200), i: String(i) },
      });
      await new Promise<void>((res, rej) => {
        const r = request(
          url,
          {
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (resp) => {
            resp.resume();
            resp.on('end', () => (resp.statusCode === 201 ? res() : rej(new Error(`HTTP ${resp.statusCode}`))));
          },
        );
        r.on('error', rej);
        r.end(body);
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return count / (elapsed() / 1000);
}

export async function benchKube(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kdrill-bench-'));
  const api = new LabApiServer();
  const kc = join(dir, 'kubeconfig');
  await writeFile(kc, labKubeconfig(await api.listen(0)));
  const N = 300;
  await watchLatency(connectKube({ kubeconfig: kc }), 30); // warm-up
  const lab = await watchLatency(connectKube({ kubeconfig: kc }), N);
  await api.close();
  const rows: [string, string][] = [
    [
      `lab: median / p99 (${N} writes)`,
      `${fmt(percentile(lab, 50))} / ${fmt(percentile(lab, 99))}  (goal: median < 10 ms)`,
    ],
  ];
  const real = process.env.KDRILL_TEST_KUBECONFIG;
  if (real) {
    const r = await watchLatency(connectKube({ kubeconfig: real }), N);
    rows.push([`real kube-apiserver: median / p99`, `${fmt(percentile(r, 50))} / ${fmt(percentile(r, 99))}`]);
    rows.push(['lab median / real median', (percentile(lab, 50) / percentile(r, 50)).toFixed(2)]);
  } else rows.push(['real kube-apiserver', 'skipped: KDRILL_TEST_KUBECONFIG is not set']);
  report('Watch latency: write → client-node watch callback', rows);

  // The lab as `kdrill lab up` runs it: its own process, so its RSS is its own.
  const labDir = join(dir, 'lab');
  const up = spawnSync(process.execPath, ['bin/kdrill.mjs', 'lab', 'up', '--dir', labDir], { encoding: 'utf8' });
  if (up.status !== 0) throw new Error(`lab up failed: ${up.stderr}`);
  const state = JSON.parse(await readFile(join(labDir, 'state.json'), 'utf8')) as { pid: number; apiServer: string };
  try {
    const rss0 = await rssOf(state.pid);
    const rate = await createMany(state.apiServer, 'default', 0, 10_000, 16);
    await createMany(state.apiServer, 'default', 10_000, 10_000, 16);
    const rss = await rssOf(state.pid);
    report('Lab API server', [
      ['creates/s, 10,000 ConfigMaps (16 in flight)', rate.toFixed(0)],
      ['RSS idle → with 20,000 objects', `${rss0.toFixed(0)} MB → ${rss.toFixed(0)} MB  (goal: < 200 MB)`],
    ]);
  } finally {
    spawnSync(process.execPath, ['bin/kdrill.mjs', 'lab', 'down', '--dir', labDir]);
  }
}
