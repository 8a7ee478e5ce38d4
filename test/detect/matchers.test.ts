import { describe, expect, it } from 'vitest';
import { expectationMatchers, labelsKey, matches, parseMatcher } from '../../src/detect/matchers.js';
import { priorityOf } from '../../src/detect/priority.js';

describe("label matchers, as Alertmanager's", () => {
  const labels = { alertname: 'TargetDown', namespace: 'thanos', service: 'thanos-query', severity: 'warning' };
  it.each([
    ['namespace="thanos"', true],
    ['namespace=thanos', true],
    ['namespace!="thanos"', false],
    ['service=~"thanos-.*"', true],
    ['service=~"thanos"', false], // anchored, as Alertmanager's
    ['service!~"minio|thanos-store"', true],
    ['pod=""', true], // a missing label is the empty string
    ['pod=~".+"', false],
  ])('%s → %s', (m, want) => {
    const parsed = parseMatcher(m);
    expect(typeof parsed).toBe('object');
    expect(matches(labels, [parsed as Exclude<typeof parsed, string>])).toBe(want);
  });

  it('says what is wrong with a matcher that is not one', () => {
    expect(parseMatcher('thanos')).toMatch(/is not a label matcher/);
    expect(parseMatcher('a=~"("')).toMatch(/Invalid regular expression/);
  });

  it('an expectation is its alertname, its exact labels, then its matchers', () => {
    const ms = expectationMatchers({
      alert: 'TargetDown',
      labels: { namespace: 'thanos' },
      matchers: ['service=~"thanos-q.*"'],
    });
    expect(matches(labels, ms)).toBe(true);
    expect(matches({ ...labels, alertname: 'Watchdog' }, ms)).toBe(false);
    expect(labelsKey({ b: '1', a: '2' })).toBe(labelsKey({ a: '2', b: '1' }));
  });

  it("a priority from kube-prometheus's severities, P1-P3 as such, or the scenario's own table", () => {
    expect(priorityOf({ severity: 'critical' }, 'severity')).toEqual({ priority: 'P1', raw: 'critical' });
    expect(priorityOf({ severity: 'Warning' }, 'severity').priority).toBe('P2');
    expect(priorityOf({ priority: 'P3' }, 'priority').priority).toBe('P3');
    expect(priorityOf({ severity: 'none' }, 'severity')).toEqual({ priority: null, raw: 'none' });
    expect(priorityOf({}, 'severity')).toEqual({ priority: null });
    expect(priorityOf({ severity: 'page' }, 'severity', { page: 'P1' }).priority).toBe('P1');
  });
});
