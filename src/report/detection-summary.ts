import type { DrillResult } from '../drill/types.js';

// no scenario/duration here: the CLI's command module imports this, and --help must not load zod
const secs = (x: number): string => `${x.toFixed(1)}s`;

/** The lines the terminal prints after RTO and RPO. */
export function detectionSummary(r: DrillResult): string {
  const d = r.detection;
  const lines: string[] = [];
  if (d) {
    const fired = d.alerts.filter((a) => a.fired).length;
    lines.push(
      `  TTD ${d.ttdSeconds === null ? 'n/a' : secs(d.ttdSeconds)}${d.objectiveSeconds !== undefined ? ` (objective ${secs(d.objectiveSeconds)})` : ''}: ${fired}/${d.alerts.length} expected alert(s) fired${d.ttpSeconds != null ? `, first page after ${secs(d.ttpSeconds)}` : ''}; heartbeat ${d.heartbeat?.ok ? 'firing' : 'MISSING'}`,
    );
  }
  for (const a of r.availability ?? [])
    lines.push(`  downtime ${secs(a.downtimeSeconds)} of ${a.target} (${a.availabilityPercent ?? '?'}% available)`);
  return lines.map((l) => `${l}\n`).join('');
}
