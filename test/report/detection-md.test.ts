import { describe, expect, it } from 'vitest';
import type { AlertRecord, DetectionResult } from '../../src/detect/types.js';
import type { DrillResult } from '../../src/drill/types.js';
import { howWeFoundOut } from '../../src/report/detection-md.js';

function alert(name: string, priority: 'P1' | 'P2', ttd: number | undefined, notified = true): AlertRecord {
  const fired = ttd !== undefined;
  return {
    alert: name,
    matchers: ['namespace="thanos"'],
    expectedPriority: priority,
    fired,
    met: fired,
    detail: '',
    ...(fired ? { priority, ttdSeconds: ttd, firedAt: new Date(1000 * ttd).toISOString() } : {}),
    ...(fired && notified ? { notifiedAt: new Date(1000 * (ttd + 1)).toISOString(), ttpSeconds: ttd + 1 } : {}),
  };
}

function found(alerts: AlertRecord[], notify = true): string {
  const detection: DetectionResult = {
    source: 'Alertmanager http://127.0.0.1:9093',
    startedAt: new Date(0).toISOString(),
    endedAt: new Date(60_000).toISOString(),
    timeoutSeconds: 60,
    priorityLabel: 'severity',
    ttdSeconds: null,
    met: true,
    notify,
    alerts,
  };
  const r = { drill: { discovery: 'Page: KubeNamespaceGone (P1).' }, detection } as unknown as DrillResult;
  return howWeFoundOut(r).join('\n');
}

describe('"How did we find out?"', () => {
  it('the page is the most urgent alert that fired; a less urgent one that fired first is named beside it', () => {
    const text = found([alert('KubeNamespaceGone', 'P1', 3.6), alert('TargetDown', 'P2', 3.5)]);
    expect(text).toContain(
      'The team would have found out from `KubeNamespaceGone{namespace="thanos"}`, a P1, 3.6s after the disaster, and the page reached the receiver. `TargetDown{namespace="thanos"}`, a P2, fired before it, 3.5s after the disaster.',
    );
  });

  it('among alerts of one priority, the first to fire; without notify, nothing is said of pages', () => {
    const text = found([alert('KubeStatefulSetGone', 'P1', 4), alert('KubeNamespaceGone', 'P1', 2)], false);
    expect(text).toContain(
      'The team would have found out from `KubeNamespaceGone{namespace="thanos"}`, a P1, 2.0s after the disaster.\n',
    );
  });

  it('only a P2 fired: it is how the team found out; a page that never arrived is said', () => {
    const text = found([alert('KubeNamespaceGone', 'P1', undefined), alert('TargetDown', 'P2', 5, false)]);
    expect(text).toContain(
      'The team would have found out from `TargetDown{namespace="thanos"}`, a P2, 5.0s after the disaster, but no page reached the receiver.\n',
    );
  });

  it('nothing fired: nobody would have been paged', () => {
    expect(found([alert('KubeNamespaceGone', 'P1', undefined)])).toContain(
      '**No expected alert fired: nobody would have been paged.**',
    );
  });
});
