import { createServer, type Socket } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labKubeconfig } from '../packages/lab/src/kubeconfig.js';
import { kdrill } from '../test/support/cli.js';
import { labAudit, S3_FAULTS } from '../test/support/faulty-audit.js';
import { faultyDrill } from '../test/support/faulty-drill.js';
import { percentile, report } from './stats.js';
import { stopwatch } from './stopwatch.js';

/** Lab drills of namespace-loss under API faults (10 % 500, 10 % 429, watch cuts), two at a time. */
async function drillsUnderFaults(): Promise<void> {
  const n = Number(process.env.KDRILL_BENCH_FAULT_DRILLS ?? 50);
  const results: Awaited<ReturnType<typeof faultyDrill>>[] = [];
  for (let i = 1; i <= n; i += 2) {
    results.push(...(await Promise.all([i, i + 1].filter((s) => s <= n).map((s) => faultyDrill(s)))));
    process.stderr.write(`\r  fault drills: ${results.length}/${n}`);
  }
  process.stderr.write('\n');
  const ok = results.filter(
    (r) => r.code === 0 && r.result?.verdict === 'pass' && new Set(r.restoresCreated).size === r.restoresCreated.length,
  );
  const bad = results.map((r, i) => ({ seed: i + 1, r })).filter(({ r }) => !ok.includes(r));
  const secs = results.map((r) => r.seconds);
  const sum = (k: 'e500' | 'e429' | 'cuts') => results.reduce((a, r) => a + r.stats[k], 0);
  report(`Lab drills under API faults (${n} drills; 10% 500, 10% 429 Retry-After 1, watch cuts every 2-5 s)`, [
    ['correct (pass, one Restore per phase)', `${ok.length} / ${n}  (goal: >= 49 / 50)`],
    ['not correct: seed, exit', bad.length ? bad.map(({ seed, r }) => `${seed}: exit ${r.code}`).join(', ') : 'none'],
    [
      'exit codes of the others',
      bad.every(({ r }) => r.code === 5) ? 'all 5 (recovery unfinished, resumable) or none' : 'some not 5: a bug',
    ],
    ['faults injected: 500 / 429 / cuts', `${sum('e500')} / ${sum('e429')} / ${sum('cuts')}`],
    ['drill wall time: median / max', `${percentile(secs, 50).toFixed(1)} s / ${Math.max(...secs).toFixed(1)} s`],
  ]);
}

/** Audits of a lab bucket with 10 % 503 SlowDown and 5 % resets, against the fault-free verdict. */
async function auditsUnderFaults(): Promise<void> {
  const n = Number(process.env.KDRILL_BENCH_FAULT_AUDITS ?? 20);
  const lab = join(await mkdtemp(join(tmpdir(), 'kdrill-bench-s3faults-')), 'lab');
  const up = await kdrill(['lab', 'up', '--dir', lab, '--start-delay', '100'], { timeoutMs: 120_000 });
  if (up.code !== 0) throw new Error(`lab up: ${up.stderr}`);
  try {
    const clean = JSON.stringify(await labAudit(lab).then((r) => [r.code, r.verdict]));
    let same = 0;
    let faults = 0;
    for (let seed = 1; seed <= n; seed++) {
      const r = await labAudit(lab, S3_FAULTS, seed);
      if (JSON.stringify([r.code, r.verdict]) === clean) same++;
      faults += r.stats!.slowDown + r.stats!.resets;
    }
    report(`Audits under S3 faults (${n} audits; 10% 503 SlowDown, 5% reset connections)`, [
      ['same verdict as without faults', `${same} / ${n}  (goal: ${n} / ${n})`],
      ['faults injected', String(faults)],
    ]);
  } finally {
    await kdrill(['lab', 'down', '--dir', lab]);
  }
}

/** How long kdrill takes to give up on a server that accepts TCP and never answers, with the defaults. */
async function silentServer(): Promise<void> {
  const sockets: Socket[] = [];
  const server = createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'kdrill-bench-silent-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, labKubeconfig(url, 'hung'));
  const timed = async (args: string[], env?: Record<string, string>): Promise<string> => {
    const elapsed = stopwatch();
    const r = await kdrill(args, { timeoutMs: 600_000, env });
    return `${(elapsed() / 1000).toFixed(1)} s, exit ${r.code}`;
  };
  const [cluster, run, audit] = await Promise.all([
    timed(['cluster', '--kubeconfig', kubeconfig]),
    timed([
      'run',
      'scenarios/namespace-loss.yaml',
      '--kubeconfig',
      kubeconfig,
      '--allow-context',
      'hung',
      '--out',
      join(dir, 'r'),
    ]),
    timed(['audit', '--s3-endpoint', url, '--bucket', 'b'], { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' }),
  ]);
  for (const s of sockets) s.destroy();
  server.close();
  report('Giving up on a silent server (accepts TCP, never answers; default --request-timeout 30s)', [
    ['kdrill cluster (Kubernetes API)', `${cluster}  (goal: <= 30 s + start-up, exit 4)`],
    ['kdrill run (Kubernetes API)', run],
    ['kdrill audit (S3)', audit],
  ]);
}

export async function benchFaults(): Promise<void> {
  await silentServer();
  await auditsUnderFaults();
  await drillsUnderFaults();
}
