import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { connectKube } from '../src/kube/client-node.js';
import { LabApiServer } from '../packages/lab/src/apiserver/server.js';
import { labKubeconfig } from '../packages/lab/src/kubeconfig.js';
import { installVeleroCrds } from '../packages/lab/src/velero/crds.js';
import { systemClock } from '../src/time/clock.js';
import { RESTORE_TERMINAL, V } from '../src/velero/velero.js';
import { waitForVelero } from '../src/velero/wait.js';
import { fmt, percentile, report } from './stats.js';
import { bundleChild } from './bundle.js';
import { stopwatch } from './stopwatch.js';

/** Restore-complete detection: kdrill's watch against a 1 s polling loop, on Restores the bench flips. */
async function detection(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kdrill-bench-detect-'));
  const api = new LabApiServer();
  const kc = join(dir, 'kubeconfig');
  await writeFile(kc, labKubeconfig(await api.listen(0)));
  const kube = connectKube({ kubeconfig: kc });
  await installVeleroCrds(kube);
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'velero' } });
  const N = 40;
  const watchLat: number[] = [];
  const pollLat: number[] = [];
  for (let i = 0; i < N; i++) {
    const name = `r-${i}`;
    await kube.create({ ...V('Restore'), metadata: { name, namespace: 'velero' }, spec: { backupName: 'b' } });
    const watching = waitForVelero(kube, {
      kind: 'Restore',
      namespace: 'velero',
      name,
      terminal: RESTORE_TERMINAL,
      timeoutMs: 10_000,
      clock: systemClock,
    });
    // the polling loop a script would write: GET every second until terminal
    const polling = (async () => {
      for (;;) {
        const r = await kube.get({ ...V('Restore'), namespace: 'velero', name });
        if (RESTORE_TERMINAL.has(String(r?.status?.phase))) return systemClock.now().getTime();
        await systemClock.sleep(1000);
      }
    })();
    await systemClock.sleep(100 + Math.random() * 900); // flips land anywhere in a poll interval
    const flippedAt = systemClock.now().getTime();
    await kube.patchStatus({ ...V('Restore'), namespace: 'velero', name }, { phase: 'Completed' });
    watchLat.push((await watching).seenAt.getTime() - flippedAt);
    pollLat.push((await polling) - flippedAt);
  }
  await api.close();
  const wm = percentile(watchLat, 50);
  const pm = percentile(pollLat, 50);
  report(`Restore-complete detection (${N} restores flipped to Completed)`, [
    ['watch (kdrill): median / p99', `${fmt(wm)} / ${fmt(percentile(watchLat, 99))}  (goal: median < 50 ms)`],
    ['1 s polling loop: median / p99', `${fmt(pm)} / ${fmt(percentile(pollLat, 99))}`],
    ['polling / watch (median)', `${(pm / Math.max(wm, 0.001)).toFixed(0)}x  (goal: >= 10x)`],
  ]);
}

/** CPU time of the kdrill process (the lab runs in its own) as a share of a lab drill's wall time. */
function cpuShare(): void {
  const out = execFileSync('mktemp', ['-d']).toString().trim();
  const elapsed = stopwatch();
  const r = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      '%U %S',
      process.execPath,
      'bin/kdrill.mjs',
      'run',
      'scenarios/namespace-loss.yaml',
      '--lab',
      '--out',
      join(out, 'r'),
    ],
    { encoding: 'utf8' },
  );
  const wall = elapsed() / 1000;
  const [user, sys] = (r.stderr.trim().split('\n').pop() ?? '0 0').split(' ').map(Number);
  const cpu = (user ?? 0) + (sys ?? 0);
  const res = JSON.parse(readFileSync(join(out, 'r', 'result.json'), 'utf8')) as {
    resources?: { cpuSeconds: number; wallSeconds: number };
    timeline: { phase: string; startedAt: string; endedAt?: string; cpuSeconds?: number }[];
  };
  const inRun = res.resources ?? { cpuSeconds: NaN, wallSeconds: NaN };
  report('Orchestrator CPU during a lab drill (namespace-loss)', [
    ['exit code', String(r.status)],
    [
      'whole process: CPU / wall',
      `${cpu.toFixed(2)} s / ${wall.toFixed(2)} s = ${((cpu / wall) * 100).toFixed(1)}%  (includes Node start-up, module loading and lab start)`,
    ],
    [
      'the drill itself (run start → report)',
      `${inRun.cpuSeconds.toFixed(2)} s / ${inRun.wallSeconds.toFixed(2)} s = ${((inRun.cpuSeconds / inRun.wallSeconds) * 100).toFixed(1)}%  (goal: <= 0.15 s of CPU)`,
    ],
    // where it goes: kdrill's CPU is roughly fixed per drill (S3 audit, two inventories, the restores' watches),
    // so its share falls as recovery takes longer; the lab recovers in about a second
    ...res.timeline.map((t): [string, string] => [
      `  ${t.phase}: CPU / wall`,
      `${(t.cpuSeconds ?? NaN).toFixed(3)} s / ${((Date.parse(t.endedAt ?? t.startedAt) - Date.parse(t.startedAt)) / 1000).toFixed(2)} s`,
    ]),
  ]);
}

/**
 * The floor under the drill's CPU: the same drill on a lab in its own process, its requests recorded
 * (bench/request-log.cjs), then replayed in fresh processes as kdrill runs (bundled, plain node): the kube
 * GETs with bare keep-alive HTTP and a JSON.parse each, and the S3 requests as kdrill sends them (the AWS
 * SDK, HEADs signed without it). What the drill spends above them is kdrill's own work (hashing, journal,
 * checks), client-node's stack and the GC.
 */
async function drillFloor(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kdrill-bench-floor-'));
  const lab = join(dir, 'lab');
  const kdrill = (pre: string[], args: string[], env = process.env) =>
    spawnSync(process.execPath, [...pre, 'bin/kdrill.mjs', ...args], { encoding: 'utf8', env });
  try {
    const up = kdrill([], ['lab', 'up', '--dir', lab]);
    if (up.status !== 0) throw new Error(`lab up failed (${up.status}): ${up.stderr.slice(-400)}`);
    const log = join(dir, 'requests.txt');
    const run = kdrill(
      ['--require', './bench/request-log.cjs'],
      ['run', 'scenarios/namespace-loss.yaml', '--kubeconfig', join(lab, 'kubeconfig'), '--out', join(dir, 'r')],
      { ...process.env, KDRILL_BENCH_REQUEST_LOG: log },
    );
    if (run.status !== 0) throw new Error(`the recorded drill failed (${run.status}): ${run.stderr.slice(-400)}`);
    const drillCpu = (
      JSON.parse(readFileSync(join(dir, 'r', 'result.json'), 'utf8')) as { resources: { cpuSeconds: number } }
    ).resources.cpuSeconds;
    const child = await bundleChild('bench/floor-child.ts', join(dir, 'floor-child.mjs'));
    const state = join(lab, 'state.json');
    const server = (JSON.parse(readFileSync(state, 'utf8')) as { apiServer: string }).apiServer;
    const median = (args: string[]): Record<string, number> => {
      const runs = Array.from({ length: 7 }, () => {
        const r = spawnSync(process.execPath, [child, ...args], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`floor child ${args[0]} failed: ${r.stderr.slice(-400)}`);
        return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
      });
      return runs.sort((a, b) => a.cpuSeconds! - b.cpuSeconds!)[3]!;
    };
    const k = median(['kube', server, log]);
    const s = median(['s3', state]);
    report("The floor under the lab drill's CPU (its requests replayed in fresh processes; medians of 7)", [
      ['this drill (recorded): CPU', `${drillCpu.toFixed(3)} s`],
      [
        'its kube GETs, bare HTTP + JSON.parse',
        `${k.cpuSeconds!.toFixed(3)} s  (${k.requests} requests, ${(k.bytes! / 1024).toFixed(0)} KiB)`,
      ],
      [
        'its S3 requests (HEADs bare, the rest via the SDK)',
        `${s.cpuSeconds!.toFixed(3)} s  (${s.requests} requests; loading the SDK ${s.importSeconds!.toFixed(3)} s more)`,
      ],
      // the drill loads the SDK inside its window too (the S3 chunk is imported on first use)
      [
        'GETs + S3 + loading the SDK / the goal of 0.15 s',
        `${((k.cpuSeconds! + s.cpuSeconds! + s.importSeconds!) / 0.15).toFixed(2)}  (above 1: the goal is under the floor)`,
      ],
    ]);
  } finally {
    kdrill([], ['lab', 'down', '--dir', lab]);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The smallest CLI built on yargs, bundled as kdrill's is (one ESM file, esbuild): 14 commands with a
 * positional each, strict, `--help`. What any yargs CLI pays at start-up, apart from kdrill's own code.
 */
async function minimalYargsCli(dir: string): Promise<string> {
  const out = join(dir, 'yargs-cli.mjs');
  await build({
    stdin: {
      contents: [
        "import yargs from 'yargs';",
        "let y = yargs(process.argv.slice(2)).scriptName('cli');",
        'for (let i = 0; i < 14; i++)',
        "  y = y.command(`cmd${i} <scenario>`, `What command ${i} does, in a sentence of the usual length`, (b) => b.positional('scenario', { type: 'string' }));",
        "y.option('debug', { type: 'boolean', describe: 'Print stack traces' }).strict().help().parse();",
      ].join('\n'),
      resolveDir: process.cwd(),
      loader: 'js',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    outfile: out,
    logLevel: 'warning',
  });
  return out;
}

/**
 * `kdrill --help` against `node -e 0` and against a minimal yargs CLI: 21 pairs, run in turn (A B A B …),
 * the median of the pairs' ratios, so that a drift in the machine's speed moves both sides alike.
 */
async function coldStart(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kdrill-bench-cold-'));
  const yargsCli = await minimalYargsCli(dir);
  const once = (args: string[], env: NodeJS.ProcessEnv): number => {
    const elapsed = stopwatch();
    spawnSync(process.execPath, args, { stdio: 'ignore', env });
    return elapsed();
  };
  const paired = (a: string[], b: string[], env: NodeJS.ProcessEnv): { a: number; b: number; ratio: number } => {
    const as: number[] = [];
    const bs: number[] = [];
    const ratios: number[] = [];
    for (let i = 0; i < 24; i++) {
      const ta = once(a, env);
      const tb = once(b, env);
      if (i < 3) continue; // warm-up: the page cache, the first fork
      as.push(ta);
      bs.push(tb);
      ratios.push(ta / tb);
    }
    return { a: percentile(as, 50), b: percentile(bs, 50), ratio: percentile(ratios, 50) };
  };
  const help = ['bin/kdrill.mjs', '--help'];
  // NODE_EXTRA_CA_CERTS makes every Node start read and parse a CA bundle (tens of ms on both sides): the
  // ratio without it is kdrill's own start-up; with it, what this machine's users see
  const { NODE_EXTRA_CA_CERTS: extraCa, ...plain } = process.env;
  const vsNode = paired(help, ['-e', '0'], plain);
  const vsYargs = paired(help, [yargsCli, '--help'], plain);
  const yargsVsNode = paired([yargsCli, '--help'], ['-e', '0'], plain);
  const rows: [string, string][] = [
    ['node -e 0 (median)', fmt(vsNode.b)],
    ['kdrill --help (median)', fmt(vsNode.a)],
    ['kdrill --help / node -e 0', `${vsNode.ratio.toFixed(2)}x  (goal: <= 1.5x)`],
    ['a minimal yargs CLI --help / node -e 0', `${yargsVsNode.ratio.toFixed(2)}x  (the floor of any CLI on yargs)`],
    ['kdrill --help / minimal yargs CLI --help', `${vsYargs.ratio.toFixed(2)}x  (kdrill's own code on top of yargs)`],
  ];
  if (extraCa !== undefined) {
    const withCa = paired(help, ['-e', '0'], process.env);
    rows.push([
      'with NODE_EXTRA_CA_CERTS as set here',
      `${withCa.ratio.toFixed(2)}x  (node -e 0 ${fmt(withCa.b)}: the CA bundle read at every start)`,
    ]);
  }
  report('Cold start (paired runs; children without NODE_EXTRA_CA_CERTS)', rows);
}

export async function benchDrill(): Promise<void> {
  await detection();
  cpuShare();
  await drillFloor();
  await coldStart();
}
