import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { DrillResult } from '../../src/drill/types.js';
import { kdrill } from './cli.js';
import { startFaultProxy, type FaultPlan, type FaultProxy } from './fault-proxy.js';

/** The faults of issue I: 10 % 500, 10 % 429 (Retry-After: 1), watch streams cut every 2-5 s. */
export const API_FAULTS: FaultPlan = { error500: 0.1, error429: 0.1, retryAfterSeconds: 1, cutStreamsMs: [2000, 5000] };

export interface FaultyDrill {
  code: number | null;
  stderr: string;
  result?: DrillResult;
  stats: FaultProxy['stats'];
  seconds: number;
  /** Restores this run created (one per phase, or the run repeated one). */
  restoresCreated: string[];
}

/**
 * A namespace-loss drill of a fresh lab, with every request kdrill makes to the API server going
 * through the fault proxy (the lab's own controllers and Velero talk to it directly).
 */
export async function faultyDrill(seed: number, plan: FaultPlan = API_FAULTS): Promise<FaultyDrill> {
  const work = await mkdtemp(join(tmpdir(), `kdrill-faulty-${seed}-`));
  const lab = join(work, 'lab');
  const up = await kdrill(['lab', 'up', '--dir', lab, '--start-delay', '100'], { timeoutMs: 120_000 });
  if (up.code !== 0) throw new Error(`lab up: ${up.stderr}`);
  try {
    const kc = parse(await readFile(join(lab, 'kubeconfig'), 'utf8')) as {
      clusters: { name: string; cluster: { server: string } }[];
      contexts: { name: string; context: { cluster: string; user: string } }[];
      users: { name: string }[];
      'current-context': string;
    };
    const proxy = await startFaultProxy(kc.clusters[0]!.cluster.server, plan, seed);
    try {
      kc.clusters[0]!.cluster.server = proxy.url;
      kc.contexts[0]!.name = 'faulty';
      kc['current-context'] = 'faulty';
      const file = join(work, 'faulty.kubeconfig');
      await writeFile(file, stringify(kc));
      const out = join(work, 'report');
      const t0 = Date.now();
      const r = await kdrill(
        ['run', 'scenarios/namespace-loss.yaml', '--kubeconfig', file, '--allow-context', 'faulty', '--out', out],
        { timeoutMs: 600_000 },
      );
      const seconds = (Date.now() - t0) / 1000;
      const result = await readFile(join(out, 'result.json'), 'utf8').then(
        (x) => JSON.parse(x) as DrillResult,
        () => undefined,
      );
      const journal = await readFile(join(out, 'journal.jsonl'), 'utf8').catch(() => '');
      const restoresCreated = journal
        .split('\n')
        .filter((l) => l.includes('"restore-creating"'))
        .map((l) => (JSON.parse(l) as { name: string }).name);
      return { code: r.code, stderr: r.stderr, result, stats: { ...proxy.stats }, seconds, restoresCreated };
    } finally {
      await proxy.stop();
    }
  } finally {
    await kdrill(['lab', 'down', '--dir', lab]);
  }
}
