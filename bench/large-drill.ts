import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { report } from './stats.js';
import { stopwatch } from './stopwatch.js';

const OBJECTS = Number(process.env.KDRILL_BENCH_DRILL_OBJECTS ?? 5000);
const NS = 'bulk';

/** An app of OBJECTS objects: ConfigMaps and Secrets of a few hundred bytes each, a Deployment and a policy. */
function bulkApp(): string {
  const docs: object[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default', namespace: NS },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS, labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    },
  ];
  for (let i = docs.length; i < OBJECTS; i++)
    docs.push(
      i % 5 === 0
        ? {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: `s-${i}`, namespace: NS, labels: { tier: String(i % 7) } },
            stringData: { token: `t-${i}`.padEnd(64, 'x') },
          }
        : {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: `c-${i}`, namespace: NS, labels: { tier: String(i % 7) }, annotations: { n: String(i) } },
            data: { 'config.yaml': `key: ${i}\n`.padEnd(200, '#') },
          },
    );
  return docs.map((d) => stringify(d)).join('---\n');
}

const scenario = stringify({
  apiVersion: 'kdrill.dev/v1alpha1',
  kind: 'Scenario',
  metadata: { name: 'bulk-loss' },
  spec: {
    objectives: { rto: '1h', rpo: '24h', retention: '7d' },
    drill: { goals: ['measure kdrill on a large namespace'], leader: 'bench', discovery: 'bench', cause: 'bench' },
    target: { namespaces: [NS] },
    backup: { from: 'latest', schedule: 'nightly' },
    disaster: [{ type: 'delete-namespace', namespaces: [NS] }],
    recovery: { mode: 'velero' },
    verify: [{ type: 'workloads-ready', timeout: '5m' }, { type: 'inventory' }],
  },
});

const kdrill = (args: string[]) => spawnSync(process.execPath, ['bin/kdrill.mjs', ...args], { encoding: 'utf8' });

/**
 * kdrill's own CPU in a namespace-loss drill of a namespace of OBJECTS objects, on a lab running in a
 * process of its own (so its CPU is not counted): the figure the drill records (run start to report),
 * against the goal, with the phases.
 */
export async function benchLargeDrill(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kdrill-bench-bulk-'));
  await mkdir(join(dir, 'app'));
  await writeFile(join(dir, 'app', 'bulk.yaml'), bulkApp());
  await writeFile(join(dir, 'bulk-loss.yaml'), scenario);
  const lab = join(dir, 'lab');
  const seeded = stopwatch();
  const up = kdrill(['lab', 'up', '--dir', lab, '--app', join(dir, 'app')]);
  const seedSeconds = seeded() / 1000;
  try {
    if (up.status !== 0) throw new Error(`lab up failed (${up.status}): ${up.stderr.slice(-400)}`);
    const r = kdrill([
      'run',
      join(dir, 'bulk-loss.yaml'),
      '--kubeconfig',
      join(lab, 'kubeconfig'),
      '--out',
      join(dir, 'r'),
    ]);
    const res = JSON.parse(await readFile(join(dir, 'r', 'result.json'), 'utf8')) as {
      verdict: string;
      resources?: { cpuSeconds: number; wallSeconds: number };
      verify: { type: string; detail: string }[];
      timeline: { phase: string; cpuSeconds?: number }[];
    };
    const cpu = res.resources?.cpuSeconds ?? NaN;
    report(`A lab drill of a namespace of ${OBJECTS} objects (namespace-loss, lab in its own process)`, [
      ['lab up with the app (seed and nightly backups)', `${seedSeconds.toFixed(1)} s`],
      ['exit code / verdict', `${r.status} / ${res.verdict}`],
      ['inventory check', res.verify.find((v) => v.type === 'inventory')?.detail.slice(0, 90) ?? 'none'],
      [
        "kdrill's CPU (run start → report)",
        `${cpu.toFixed(2)} s in ${(res.resources?.wallSeconds ?? NaN).toFixed(2)} s  (goal: <= 1.5 s)`,
      ],
      ...res.timeline.map((t): [string, string] => [`  ${t.phase}`, `${(t.cpuSeconds ?? NaN).toFixed(3)} s of CPU`]),
    ]);
  } finally {
    kdrill(['lab', 'down', '--dir', lab]);
    await rm(dir, { recursive: true, force: true });
  }
}
