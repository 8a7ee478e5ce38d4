import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DrillResult } from '../drill/types.js';
import { usageError } from '../errors.js';
import type { CarriedActionItem } from './types.js';

/** A run's own tracked items and those it carried over, read from its result.json. */
export async function actionsOfRun(dir: string): Promise<CarriedActionItem[]> {
  let r: DrillResult;
  try {
    r = JSON.parse(await readFile(join(dir, 'result.json'), 'utf8')) as DrillResult;
  } catch (e) {
    throw usageError(`cannot read ${join(dir, 'result.json')}: ${(e as Error).message}`, 'give a run directory');
  }
  const own = (r.actionItems ?? [])
    .filter((a) => a.id && a.owner && a.due && a.raisedIn && a.raisedAt)
    .map((a) => ({ ...a, scenario: r.scenario, seenIn: [r.runId] }) as CarriedActionItem);
  return [...own, ...(r.carriedOver ?? [])];
}
