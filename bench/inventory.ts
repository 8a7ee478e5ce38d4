import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labKubeconfig } from '../packages/lab/src/kubeconfig.js';
import { report } from './stats.js';
import { bundleChild } from './bundle.js';

type Figures = Record<string, number>;

/** The lab API server in its own process (bench/lab-api-server.ts), seeded with `n` ConfigMaps. */
async function seededLab(n: number): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [...process.execArgv, 'bench/lab-api-server.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_CONFIGMAPS: String(n) },
  });
  const url = await new Promise<string>((res) => child.stdout.once('data', (d: Buffer) => res(d.toString().trim())));
  return { url, stop: () => child.kill('SIGTERM') };
}

function measure(child: string, kubeconfig: string, mode: 'bare' | 'inventory'): Figures {
  const r = spawnSync(process.execPath, [child, kubeconfig, mode], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`inventory bench (${mode}) failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Figures;
}

async function one(n: number, goalSeconds: number): Promise<void> {
  const lab = await seededLab(n);
  try {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-bench-inv-'));
    const kc = join(dir, 'kubeconfig');
    await writeFile(kc, labKubeconfig(lab.url));
    const child = await bundleChild('bench/inventory-child.ts', join(dir, 'inventory-child.mjs'));
    const bare = measure(child, kc, 'bare');
    const inv = measure(child, kc, 'inventory');
    const total = inv.snapshotSeconds! + inv.secondAndDiffSeconds!;
    report(`Inventory of ${inv.objects} ConfigMaps in the lab (server in its own process)`, [
      [
        'bare paged list, same client (baseline)',
        `${bare.listSeconds!.toFixed(2)} s, peak RSS ${bare.peakRssMB!.toFixed(0)} MB`,
      ],
      ['snapshot', `${inv.snapshotSeconds!.toFixed(2)} s`],
      [
        'second inventory, compared as listed',
        `${inv.secondAndDiffSeconds!.toFixed(2)} s  (${inv.differences} differences)`,
      ],
      ['snapshot + second inventory + diff', `${total.toFixed(2)} s  (goal: <= ${goalSeconds} s)`],
      ['snapshot / bare list', `${(inv.snapshotSeconds! / bare.listSeconds!).toFixed(2)}x`],
      ['CPU of the inventory process', `${inv.cpuSeconds!.toFixed(2)} s`],
      [
        'RSS of the inventory process: loaded → peak',
        `${inv.loadedRssMB!.toFixed(0)} MB → ${inv.peakRssMB!.toFixed(0)} MB  (goal: <= 200 MB)`,
      ],
    ]);
  } finally {
    lab.stop();
  }
}

/** Snapshot, then a second inventory compared against it as it is listed, of 20,000 ConfigMaps; 100,000 too with KDRILL_BENCH_INVENTORY_BIG=1. */
export async function benchInventory(): Promise<void> {
  await one(20_000, 1);
  if (process.env.KDRILL_BENCH_INVENTORY_BIG === '1') await one(100_000, 5);
  else report('Inventory of 100,000 ConfigMaps', [['skipped', 'set KDRILL_BENCH_INVENTORY_BIG=1']]);
}
