import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectKube } from '../src/kube/client-node.js';
import { LabApiServer } from '../packages/lab/src/apiserver/server.js';
import { labKubeconfig } from '../packages/lab/src/kubeconfig.js';
import { installVeleroCrds } from '../packages/lab/src/velero/crds.js';
import { systemClock } from '../src/time/clock.js';
import { RESTORE_TERMINAL, V } from '../src/velero/velero.js';
import { waitForVelero } from '../src/velero/wait.js';
import { fmt, percentile, report } from './stats.js';
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

/** `kdrill --help` against `node -e 0`, medians of 15 runs each. */
function coldStart(): void {
  const time = (args: string[]): number => {
    const xs: number[] = [];
    for (let i = 0; i < 15; i++) {
      const elapsed = stopwatch();
      spawnSync(process.execPath, args, { stdio: 'ignore' });
      xs.push(elapsed());
    }
    return percentile(xs, 50);
  };
  const base = time(['-e', '0']);
  const help = time(['bin/kdrill.mjs', '--help']);
  report('Cold start', [
    ['node -e 0 (median)', fmt(base)],
    ['kdrill --help (median)', fmt(help)],
    ['ratio', `${(help / base).toFixed(2)}x  (goal: <= 1.5x)`],
  ]);
}

export async function benchDrill(): Promise<void> {
  await detection();
  cpuShare();
  coldStart();
}
