import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab } from '../packages/lab/src/lab.js';
import { systemClock } from '../src/time/clock.js';
import { fmt, percentile, report } from './stats.js';
import { stopwatch } from './stopwatch.js';

/** Time for the lab Velero to back up the seeded Thanos namespace, Backup created → Completed. */
export async function benchLabBackup(): Promise<void> {
  const lab = await startLab({
    dir: await mkdtemp(join(tmpdir(), 'kdrill-bench-backup-')),
    startDelayMs: 50,
    seed: { apps: [], withThanos: true, backups: 1 },
  });
  const kube = lab.clusters[0]!.kube;
  const times: number[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const name = `bench-${i}`;
      const elapsed = stopwatch();
      await kube.create({
        apiVersion: 'velero.io/v1',
        kind: 'Backup',
        metadata: { name, namespace: 'velero' },
        spec: { includedNamespaces: ['thanos'] },
      });
      for (;;) {
        const b = await kube.get({ apiVersion: 'velero.io/v1', kind: 'Backup', namespace: 'velero', name });
        if (b?.status?.phase === 'Completed') break;
        if (['Failed', 'PartiallyFailed', 'FailedValidation'].includes(String(b?.status?.phase)))
          throw new Error(`backup ${name} ${b?.status?.phase}`);
        await systemClock.sleep(5);
      }
      times.push(elapsed());
    }
  } finally {
    await lab.stop();
  }
  report('Lab Velero: backup of the Thanos namespace (5 runs)', [
    ['median / max', `${fmt(percentile(times, 50))} / ${fmt(Math.max(...times))}  (goal: < 1 s)`],
  ]);
}
