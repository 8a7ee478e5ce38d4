import { usageError } from '../errors.js';
import type { PublishOptions } from './publish.js';
import { parseHistoryLocation } from './store.js';

/**
 * Checks where a run will be recorded before anything is touched (`run`, and the CronJob `schedule`
 * writes): a typo here is exit 2, not a lost record.
 */
export function checkPublishOptions(o: PublishOptions): PublishOptions {
  if (typeof o.history === 'string') parseHistoryLocation(o.history);
  if (o.pushgateway !== undefined && !/^https?:\/\/[^/]/.test(o.pushgateway))
    throw usageError(
      `--pushgateway ${o.pushgateway} is not an http(s) URL`,
      'e.g. --pushgateway http://pushgateway.monitoring:9091',
    );
  if (o.metricsFile !== undefined && !o.metricsFile.endsWith('.prom'))
    throw usageError(
      `--metrics-file ${o.metricsFile} does not end in .prom`,
      "node_exporter's textfile collector reads only *.prom files",
    );
  return o;
}
