import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.js';

const BASE = `apiVersion: kdrill.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  objectives: {rto: 4h, rpo: 24h, retention: 7d}
  drill: {goals: [g], leader: l, discovery: d, cause: c}
  target: {namespaces: [thanos]}
  backup: {from: latest, schedule: nightly}
  disaster:
    - type: delete-namespace
      namespaces: [thanos]
  verify:
    - type: workloads-ready
`;

const DETECT = `  detect:
    source:
      alertmanager: {url: "http://alertmanager.monitoring:9093"}
    expect:
      - alert: KubeNamespaceGone
        labels: {namespace: thanos}
        matchers: ['severity=~"critical|warning"']
        priority: P1
    objective: 2m
`;

const problems = (text: string): string => {
  const r = parseScenario(text, 's.yaml');
  if (r.ok) return '';
  return r.problems.map((p) => `${p.line}: ${p.path}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`).join('\n');
};

describe('scenario detect: and availability:', () => {
  it('a detect section with defaults: Watchdog heartbeat, severity label, 5m timeout, no notify', () => {
    const r = parseScenario(BASE + DETECT, 's.yaml');
    expect(r.ok, problems(BASE + DETECT)).toBe(true);
    if (!r.ok) return;
    expect(r.scenario.spec.detect).toMatchObject({
      objective: 120,
      timeout: 300,
      pollInterval: 0.5,
      priorityLabel: 'severity',
      heartbeat: { alert: 'Watchdog', labels: {}, matchers: [] },
      notify: false,
      receiver: { listen: '127.0.0.1:9095' },
      holdRecovery: false,
      expect: [{ alert: 'KubeNamespaceGone', priority: 'P1', labels: { namespace: 'thanos' } }],
    });
  });

  it('availability: 1s by default; 100ms the fastest; a per-request timeout', () => {
    const text = `${BASE}  availability:
    - url: http://thanos-query.thanos:9090/-/ready
    - service: {namespace: thanos, name: thanos-query, port: 9090, path: /-/ready}
      interval: 100ms
      timeout: 250ms
`;
    const r = parseScenario(text, 's.yaml');
    expect(r.ok, problems(text)).toBe(true);
    if (!r.ok) return;
    expect(r.scenario.spec.availability).toMatchObject([
      { url: 'http://thanos-query.thanos:9090/-/ready', interval: 1, timeout: 1, expectStatus: 200 },
      { service: { name: 'thanos-query', port: 9090 }, interval: 0.1, timeout: 0.25 },
    ]);
  });

  const broken: [string, string, RegExp][] = [
    [
      'no alert expected',
      DETECT.replace(/ {4}expect:[\s\S]*?priority: P1\n/, '    expect: []\n'),
      /expect at least one alert/,
    ],
    [
      'a priority the guide does not know',
      DETECT.replace('priority: P1', 'priority: P0'),
      /^21: spec\.detect\.expect\[0\]\.priority: "P0" is not allowed here \(one of: "P1", "P2", "P3"\)/,
    ],
    [
      'a broken matcher',
      DETECT.replace(`'severity=~"critical|warning"'`, `'severity=~"(critical"'`),
      /spec\.detect\.expect\[0\]\.matchers\[0\]: .*Invalid regular expression/,
    ],
    [
      'not a matcher at all',
      DETECT.replace(`'severity=~"critical|warning"'`, `'critical'`),
      /"critical" is not a label matcher/,
    ],
    [
      'two sources',
      DETECT.replace('    source:\n', '    source:\n      prometheus: {url: "http://p:9090"}\n'),
      /name one source/,
    ],
    [
      'url and service at once',
      DETECT.replace(
        '{url: "http://alertmanager.monitoring:9093"}',
        '{url: "http://a:9093", service: {namespace: m, name: a, port: 9093}}',
      ),
      /give either `url` or `service`/,
    ],
    [
      "the lab's Alertmanager without the lab's monitoring",
      DETECT.replace('alertmanager: {url: "http://alertmanager.monitoring:9093"}', 'lab: alertmanager'),
      /spec\.detect\.source\.lab: the lab's Alertmanager runs only with `lab: \{ monitoring: true \}`/,
    ],
    [
      'a zero objective',
      DETECT.replace('objective: 2m', 'objective: 0s'),
      /the time to detect must be longer than zero/,
    ],
    ['a receiver that is not host:port', `${DETECT}    notify: true\n    receiver: {listen: "9095"}\n`, /host:port/],
    [
      'sampling faster than 100ms',
      '  availability:\n    - url: http://x:9090/\n      interval: 50ms\n',
      /sample at most every 100ms/,
    ],
    [
      'an availability target with neither url nor service',
      '  availability:\n    - interval: 1s\n',
      /give either `url` or `service`/,
    ],
  ];
  it.each(broken)('%s: a clear message at the field', (_what, tail, pattern) => {
    expect(problems(BASE + tail)).toMatch(pattern);
  });

  it("the lab's Alertmanager with the lab's monitoring is valid", () => {
    const text = `${BASE}${DETECT.replace('alertmanager: {url: "http://alertmanager.monitoring:9093"}', 'lab: alertmanager')}  lab: {monitoring: true}\n`;
    expect(problems(text)).toBe('');
  });
});
