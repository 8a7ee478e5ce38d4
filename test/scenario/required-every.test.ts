import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.js';

const scenario = (every?: string) => `apiVersion: kdrill.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  objectives: {rto: 4h, rpo: 24h, retention: 7d}
  drill: {goals: [g], leader: l, discovery: d, cause: c}
${every === undefined ? '' : `  requiredEvery: ${every}\n`}  target: {namespaces: [thanos]}
  backup: {from: latest, schedule: nightly}
  disaster:
    - type: delete-namespace
      namespaces: [thanos]
  verify:
    - type: workloads-ready
`;

describe('spec.requiredEvery: how often a scenario must run', () => {
  it('is a duration, in seconds once loaded; optional', () => {
    const r = parseScenario(scenario('30d'));
    expect(r.ok && r.scenario.spec.requiredEvery).toBe(30 * 86400);
    const none = parseScenario(scenario());
    expect(none.ok && none.scenario.spec.requiredEvery).toBeUndefined();
  });

  it.each([
    ['fortnight', /"fortnight" is not a duration/],
    ['0s', /requiredEvery must be longer than zero/],
    ['30m', /requiredEvery is at least 1h/],
    ['3651d', /longer than requiredEvery may be/],
    ['-30d', /negative/],
  ])('refuses %s, at its line', (every, message) => {
    const r = parseScenario(scenario(every));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      expect.objectContaining({ line: 7, path: 'spec.requiredEvery', message: expect.stringMatching(message) }),
    ]);
  });
});
