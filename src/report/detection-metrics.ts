import type { DrillResult } from '../drill/types.js';
import type { HistoryRecord } from '../history/record.js';

/** What the history keeps of detection and downtime: the first alert's time to detect, each endpoint's downtime. */
export function detectionRecord(r: DrillResult): Pick<HistoryRecord, 'ttdSeconds' | 'downtime'> {
  return {
    ...(r.detection ? { ttdSeconds: r.detection.ttdSeconds } : {}),
    ...(r.availability?.length
      ? { downtime: r.availability.map((a) => ({ target: a.target, seconds: a.downtimeSeconds })) }
      : {}),
  };
}

/** The metric families of detection and downtime, in drillMetrics' shape. */
export function detectionFamilies(r: HistoryRecord): {
  name: string;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}[] {
  const scenario = { scenario: r.scenario };
  return [
    {
      name: 'kdrill_drill_ttd_seconds',
      help: 'Time to detect in the last drill: from the disaster to the first expected alert firing.',
      samples: typeof r.ttdSeconds === 'number' ? [{ labels: scenario, value: r.ttdSeconds }] : [],
    },
    {
      name: 'kdrill_drill_downtime_seconds',
      help: 'Downtime of each sampled endpoint in the last drill, from the disaster to the end of verification.',
      samples: (r.downtime ?? []).map((d) => ({ labels: { ...scenario, target: d.target }, value: d.seconds })),
    },
  ];
}
