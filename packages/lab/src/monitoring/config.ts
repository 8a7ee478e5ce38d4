import { stringify } from 'yaml';
import type { ServiceTarget } from './exporter.js';

/** Seconds-long intervals: a lab drill takes seconds, and its alerts must fire within them. */
export const SCRAPE_INTERVAL = '1s';
export const EVALUATION_INTERVAL = '1s';

/**
 * prometheus.yml: kube-state-metrics and the app's Services (through the lab's exporter), the rules
 * file, and the lab's Alertmanager. `honor_labels` keeps the namespace of each series as exported.
 */
export function prometheusConfig(o: {
  exporter: string;
  alertmanager: string;
  rulesFile: string;
  services: ServiceTarget[];
}): string {
  const exporter = new URL(o.exporter).host;
  return stringify({
    global: {
      scrape_interval: SCRAPE_INTERVAL,
      scrape_timeout: SCRAPE_INTERVAL,
      evaluation_interval: EVALUATION_INTERVAL,
    },
    rule_files: [o.rulesFile],
    alerting: { alertmanagers: [{ api_version: 'v2', static_configs: [{ targets: [new URL(o.alertmanager).host] }] }] },
    scrape_configs: [
      { job_name: 'kube-state-metrics', honor_labels: true, static_configs: [{ targets: [exporter] }] },
      {
        job_name: 'lab-services',
        static_configs: o.services.map((s) => ({
          targets: [exporter],
          labels: {
            namespace: s.namespace,
            service: s.name,
            __metrics_path__: `/targets/${encodeURIComponent(s.namespace)}/${encodeURIComponent(s.name)}/metrics`,
          },
        })),
      },
    ],
  });
}

/**
 * alertmanager.yml: everything to kdrill's webhook receiver, grouped by alert and namespace, with a
 * one-second group_wait so that the time to page is the pipeline's, not a batching delay's.
 */
export function alertmanagerConfig(o: { receiver: string }): string {
  return stringify({
    route: {
      receiver: 'kdrill',
      group_by: ['alertname', 'namespace'],
      group_wait: '1s',
      group_interval: '2s',
      repeat_interval: '1h',
    },
    receivers: [{ name: 'kdrill', webhook_configs: [{ url: o.receiver, send_resolved: true }] }],
  });
}
