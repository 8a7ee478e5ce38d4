import { rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DrillResult } from '../drill/types.js';
import { drillMetrics } from '../report/metrics.js';
import { systemClock, type Clock } from '../time/clock.js';
import { openHistory, type HistoryOptions } from './open.js';
import { recordOf } from './record.js';
import { makeDir } from '../fs/make-dir.js';

const PUSH_TIMEOUT_MS = 15_000;

/** Where a finished drill is remembered and announced. Kept in the journal, so `resume` does the same. */
export interface PublishOptions extends HistoryOptions {
  metricsFile?: string;
  pushgateway?: string;
}

/**
 * After the reports are written: appends the run to the history, then writes the metrics file and
 * pushes to the Pushgateway. A failure here never changes the verdict (the evidence is already on
 * disk) but is reported, and the "has not run in 26h" alert is there for the silent case.
 */
export async function publishRun(
  r: DrillResult,
  o: PublishOptions,
  warn: (msg: string) => void,
  clock: Clock = systemClock,
): Promise<string[]> {
  const done: string[] = [];
  const record = recordOf(r);
  let lastSuccessAt = r.verdict === 'pass' ? r.startedAt : undefined;
  try {
    const store = openHistory(o);
    if (store) {
      const earlier = await store.list(r.scenario);
      lastSuccessAt ??= earlier.filter((x) => x.verdict === 'pass').pop()?.startedAt;
      await store.append(record);
      done.push(`history ${store.where}`);
    }
  } catch (e) {
    warn(`history not written: ${(e as Error).message}`);
  }
  const text = drillMetrics(record, lastSuccessAt);
  if (o.metricsFile) {
    try {
      await writeAtomically(o.metricsFile, text);
      done.push(`metrics ${o.metricsFile}`);
    } catch (e) {
      warn(`metrics file not written: ${(e as Error).message}`);
    }
  }
  if (o.pushgateway) {
    try {
      await push(o.pushgateway, r.scenario, text, clock);
      done.push(`pushed to ${new URL(o.pushgateway).origin}`);
    } catch (e) {
      warn(`metrics not pushed to the Pushgateway: ${(e as Error).message}`);
    }
  }
  return done;
}

/** The textfile collector may read at any moment: it must see the old file or the new one, never half. */
async function writeAtomically(file: string, text: string): Promise<void> {
  await makeDir(dirname(file), 'the textfile collector directory');
  const tmp = join(dirname(file), `.${process.pid}.kdrill.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, file);
}

/** PUT replaces this scenario's group, so a series that went away (an RTO never measured) goes away there too. */
async function push(base: string, scenario: string, text: string, clock: Clock): Promise<void> {
  const url = `${base.replace(/\/+$/, '')}/metrics/job/kdrill/scenario/${encodeURIComponent(scenario)}`;
  const ac = new AbortController();
  // AbortSignal.timeout's reason, so the warning reads as it always has; the answer's body is read within it too
  const deadline = clock.timeout(
    () => ac.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    PUSH_TIMEOUT_MS,
  );
  try {
    const res = await fetch(url, {
      method: 'PUT',
      body: text,
      headers: { 'Content-Type': 'text/plain; version=0.0.4' },
      signal: ac.signal,
    });
    if (!res.ok)
      throw new Error(`HTTP ${res.status} from ${new URL(url).origin}: ${(await res.text()).trim().slice(0, 200)}`);
  } finally {
    deadline.clear();
  }
}
