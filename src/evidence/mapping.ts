import type { DrillResult } from '../drill/types.js';
import { CONTROLS, FACTS, type Control, type ControlEvidence } from './controls.js';
import { factsOf, type RunFacts } from './facts.js';

/** Applies the control table to a run's facts: each point is evidenced only when every fact it needs holds. */
export function evaluateControls(facts: RunFacts, controls: readonly Control[] = CONTROLS): ControlEvidence[] {
  return controls.map((c) => {
    const points = c.points.map((p) => {
      const evidenced = p.requires.every((f) => facts[f].holds);
      return {
        id: p.id,
        text: p.text,
        evidenced,
        by: evidenced ? p.requires.map((f) => facts[f].by) : [],
        missing: p.requires.filter((f) => !facts[f].holds).map((f) => `${FACTS[f]} (${facts[f].by})`),
      };
    });
    const n = points.filter((p) => p.evidenced).length;
    return {
      id: c.id,
      framework: c.framework,
      ref: c.ref,
      title: c.title,
      status: n === points.length ? 'evidenced' : n > 0 ? 'partial' : 'not-evidenced',
      points,
      ...(c.overTime ? { overTime: c.overTime } : {}),
    };
  });
}

/** The controls a run evidences, from its result.json and the scenario as run. */
export const controlsOf = (r: DrillResult, scenario?: unknown): ControlEvidence[] =>
  evaluateControls(factsOf(r, scenario));
