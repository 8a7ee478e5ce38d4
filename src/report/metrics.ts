import type { HistoryRecord } from '../history/record.js';
import { detectionFamilies } from './detection-metrics.js';

const SEVERITIES = ['P1', 'P2', 'P3'] as const;

interface Family {
  name: string;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

/**
 * The Prometheus text exposition of one drill, for node_exporter's textfile collector or a
 * Pushgateway. `lastSuccessAt` comes from the history when this run failed, so an alert can compare
 * the last success with the last run; it is left out when the scenario never passed.
 */
export function drillMetrics(r: HistoryRecord, lastSuccessAt: string | undefined): string {
  return families(r, lastSuccessAt)
    .map((f) =>
      [
        `# HELP ${f.name} ${f.help}`,
        `# TYPE ${f.name} gauge`,
        ...f.samples.map((s) => `${f.name}{${labelText(s.labels)}} ${num(s.value)}`),
      ].join('\n'),
    )
    .join('\n')
    .concat('\n');
}

function families(r: HistoryRecord, lastSuccessAt: string | undefined): Family[] {
  const scenario = { scenario: r.scenario };
  const ts = (iso: string): number => Date.parse(iso) / 1000;
  return [
    {
      name: 'kdrill_drill_last_run_timestamp_seconds',
      help: 'When the last drill of this scenario started (Unix time).',
      samples: [{ labels: scenario, value: ts(r.startedAt) }],
    },
    {
      name: 'kdrill_drill_info',
      help: 'How the last drill of this scenario ran: mode run, guide, guide --yes, or restore-test (a sandbox, no disaster).',
      samples: [{ labels: { ...scenario, mode: r.mode ?? 'run' }, value: 1 }],
    },
    {
      name: 'kdrill_drill_last_success_timestamp_seconds',
      help: 'When the last passing drill of this scenario started (Unix time).',
      samples: lastSuccessAt ? [{ labels: scenario, value: ts(lastSuccessAt) }] : [],
    },
    {
      name: 'kdrill_drill_rto_seconds',
      help: 'Recovery time measured by the last drill: from the disaster to verified recovery.',
      samples: r.rtoSeconds === null ? [] : [{ labels: scenario, value: r.rtoSeconds }],
    },
    {
      name: 'kdrill_drill_rpo_seconds',
      help: 'Data lost in the last drill: the disaster time minus the start of the backup restored.',
      samples: r.rpoSeconds === null ? [] : [{ labels: scenario, value: r.rpoSeconds }],
    },
    {
      name: 'kdrill_drill_objective_met',
      help: 'Whether the last drill met the objective (1) or not (0).',
      samples: (['rto', 'rpo', 'retention'] as const).map((o) => ({
        labels: { ...scenario, objective: o },
        value: r.objectives[o] ? 1 : 0,
      })),
    },
    {
      name: 'kdrill_backup_audit_findings',
      help: 'Backup audit findings of the last drill, by severity.',
      samples: SEVERITIES.map((severity) => ({
        labels: { ...scenario, severity },
        value: r.findingsBySeverity[severity] ?? 0,
      })),
    },
    {
      name: 'kdrill_backup_lock_enforced',
      help: 'Whether the backups are under an Object Lock the store enforces (1) or not (0).',
      samples: r.lockEnforced === undefined ? [] : [{ labels: scenario, value: r.lockEnforced ? 1 : 0 }],
    },
    ...detectionFamilies(r),
  ];
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
    .join(',');
}

const num = (v: number): string => (Number.isFinite(v) ? String(Math.round(v * 1000) / 1000) : 'NaN');
