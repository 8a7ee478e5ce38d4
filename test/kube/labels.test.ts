import { describe, expect, it } from 'vitest';
import {
  matchesLabelSelector,
  matchesRequirements,
  parseLabelSelector,
  selectorToString,
  SelectorSyntaxError,
} from '../../src/kube/labels.js';

describe('label selectors', () => {
  const labels = { app: 'thanos', tier: 'query', 'app.kubernetes.io/name': 'thanos-query' };

  it('parses and matches every operator of the query syntax', () => {
    const cases: [string, boolean][] = [
      ['app=thanos', true],
      ['app==thanos', true],
      ['app!=thanos', false],
      ['app in (thanos,minio)', true],
      ['app notin (thanos)', false],
      ['tier', true],
      ['!tier', false],
      ['!missing', true],
      ['app=thanos,tier=store', false],
      ['app.kubernetes.io/name=thanos-query, tier in (query)', true],
      ['', true],
    ];
    for (const [sel, want] of cases) expect(matchesRequirements(labels, parseLabelSelector(sel)), sel).toBe(want);
  });

  it('refuses malformed selectors', () => {
    for (const bad of ['a=b,', 'a in b', '=x', 'a b'])
      expect(() => parseLabelSelector(bad), bad).toThrow(SelectorSyntaxError);
  });

  it('matches LabelSelector objects; an empty one selects everything', () => {
    expect(matchesLabelSelector(labels, {})).toBe(true);
    expect(matchesLabelSelector(labels, { matchLabels: { app: 'thanos' } })).toBe(true);
    expect(matchesLabelSelector(labels, { matchLabels: { app: 'other' } })).toBe(false);
    expect(
      matchesLabelSelector(labels, { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['query'] }] }),
    ).toBe(false);
    expect(matchesLabelSelector(labels, { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] })).toBe(true);
  });

  it('renders a LabelSelector as the query syntax it is equivalent to', () => {
    const sel = {
      matchLabels: { app: 'thanos' },
      matchExpressions: [
        { key: 'tier', operator: 'In' as const, values: ['query', 'store'] },
        { key: 'x', operator: 'DoesNotExist' as const },
      ],
    };
    const text = selectorToString(sel);
    expect(text).toBe('app=thanos,tier in (query,store),!x');
    const samples: Record<string, string>[] = [
      labels,
      { app: 'thanos', tier: 'store' },
      { app: 'thanos', tier: 'x', x: '1' },
    ];
    for (const l of samples) {
      expect(matchesRequirements(l, parseLabelSelector(text))).toBe(matchesLabelSelector(l, sel));
    }
  });
});
