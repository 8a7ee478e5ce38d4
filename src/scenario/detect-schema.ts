import { z } from 'zod';
import { expectStatus } from './http-status.js';
import { parseMatcher } from '../detect/matchers.js';
import { duration, positiveDuration, timeout } from './duration.js';

/**
 * The scenario's `detect:` and `availability:` (DESIGN §1, the detect phase): which alerts the
 * disaster must make fire, with which priority and how soon, and which endpoints to sample for downtime.
 */
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a lowercase DNS label, e.g. "monitoring"');
const priority = z.enum(['P1', 'P2', 'P3'], {
  error: 'a priority is P1, P2 or P3 (the guide: 2 AM, business day, review)',
});

const service = z.strictObject({
  namespace: dnsLabel,
  name: dnsLabel,
  port: z.union([
    z.number().int().min(1, 'a port is 1 to 65535').max(65535, 'a port is 1 to 65535'),
    z.string().min(1),
  ]),
  path: z.string().default('/'),
});

/** An HTTP endpoint: a URL, or a Service reached through the API server's proxy. */
const endpoint = z
  .strictObject({
    url: z.string().url().optional(),
    service: service.optional().meta({ description: 'A Service in the cluster, through the API server proxy' }),
  })
  .superRefine((e, ctx) => {
    if ((e.url === undefined) === (e.service === undefined))
      ctx.addIssue({ code: 'custom', message: 'give either `url` or `service`, not both and not neither' });
  });

const source = z
  .strictObject({
    alertmanager: endpoint.optional().meta({ description: "Alertmanager's API (v2): a URL or its Service" }),
    prometheus: endpoint.optional().meta({ description: "Prometheus's rules API, instead of Alertmanager" }),
    lab: z.enum(['alertmanager', 'prometheus']).optional().meta({
      description: "The lab's own (`kdrill run --lab` with `lab: { monitoring: true }`)",
    }),
  })
  .superRefine((s, ctx) => {
    const given = [s.alertmanager, s.prometheus, s.lab].filter((x) => x !== undefined).length;
    if (given !== 1)
      ctx.addIssue({
        code: 'custom',
        message: 'name one source: `alertmanager` (a url or service), `prometheus`, or `lab: alertmanager`',
      });
  });

const matchers = z
  .array(z.string())
  .default([])
  .superRefine((ms, ctx) => {
    ms.forEach((m, i) => {
      const r = parseMatcher(m);
      if (typeof r === 'string') ctx.addIssue({ code: 'custom', path: [i], message: r });
    });
  })
  .meta({
    description: 'Label matchers in Alertmanager\'s syntax: namespace="thanos", pod=~"thanos-.*", severity!="info"',
  });

const labels = z
  .record(z.string(), z.string())
  .default({})
  .meta({ description: 'Labels the alert must carry, exactly' });

const expectation = z.strictObject({
  alert: z.string().min(1).meta({ description: 'The alert name (its alertname label)' }),
  labels,
  matchers,
  priority: priority.meta({ description: 'The priority the guide gives it: P1, P2 or P3; checked against its label' }),
  objective: positiveDuration('the time to detect')
    .optional()
    .meta({ description: 'Overrides detect.objective for this alert' }),
});

const heartbeat = z.strictObject({
  alert: z.string().min(1).default('Watchdog'),
  labels,
  matchers,
});

/** The receiver kdrill runs for Alertmanager's webhook (notify: true). */
const receiver = z.strictObject({
  listen: z
    .string()
    .regex(/^[^\s:]+:\d{1,5}$/, 'host:port, e.g. 0.0.0.0:9095')
    .default('127.0.0.1:9095')
    .meta({
      description: "Where kdrill listens; point an Alertmanager webhook_configs url at it (the lab's is set for you)",
    }),
});

export const detectSchema = z
  .strictObject({
    source,
    expect: z.array(expectation).min(1, 'expect at least one alert: which alert should the disaster fire?'),
    objective: positiveDuration('the time to detect')
      .optional()
      .meta({ description: 'Time to detect: from the disaster to each expected alert firing' }),
    timeout: timeout('the detect timeout')
      .prefault('5m')
      .refine((v) => v > 0, 'the detect timeout must be longer than zero')
      .meta({ description: 'How long after the disaster an expected alert may take to fire' }),
    pollInterval: duration('the poll interval')
      .prefault('500ms')
      .refine((v) => v >= 0.05 && v <= 60, 'poll the source every 50ms to 60s'),
    priorityLabel: z.string().min(1).default('severity').meta({
      description: 'The label an alert carries its priority in (default severity: critical, warning, info)',
    }),
    priorities: z.record(z.string(), priority).optional().meta({
      description:
        'What each value of the priority label means (default: critical P1, warning P2, info P3; P1–P3 as such)',
    }),
    heartbeat: heartbeat.prefault({}).meta({
      description:
        'The always-firing alert that must fire before the disaster ("who watches the watchers"); default Watchdog',
    }),
    notify: z.boolean().default(false).meta({
      description: "Also time the notification: when Alertmanager's webhook reached kdrill's receiver (time to page)",
    }),
    receiver: receiver.prefault({}),
    holdRecovery: z.boolean().default(false).meta({
      description:
        'Start the recovery only once every expected alert fired (or the timeout passed), as a team starts when it is paged; the RTO then includes the time to detect',
    }),
  })
  .meta({ description: 'Did anyone notice? The alerts the disaster must fire, and how soon' });

/** An endpoint to sample from the disaster's start to the end of verification: its downtime. */
export const availabilityTarget = z
  .strictObject({
    url: z.string().url().optional(),
    service: service.optional(),
    interval: duration('the sampling interval')
      .prefault('1s')
      .refine((v) => v >= 0.1, 'sample at most every 100ms: faster measures the sampler, not the service'),
    timeout: duration('the request timeout')
      .prefault('1s')
      .refine((v) => v >= 0.01 && v <= 60, 'a request timeout is 10ms to 60s'),
    expectStatus: expectStatus(),
    bodyRegex: z.string().optional(),
  })
  .superRefine((e, ctx) => {
    if ((e.url === undefined) === (e.service === undefined))
      ctx.addIssue({ code: 'custom', message: 'give either `url` or `service`, not both and not neither' });
  });

export type DetectSpec = z.output<typeof detectSchema>;
export type AvailabilityTarget = z.output<typeof availabilityTarget>;
export type Expectation = DetectSpec['expect'][number];

/** Cross-field rules: the lab's source needs the lab's monitoring. */
export function checkDetect(spec: { detect?: DetectSpec; lab?: { monitoring?: boolean } }, ctx: z.RefinementCtx): void {
  if (spec.detect?.source.lab && !spec.lab?.monitoring)
    ctx.addIssue({
      code: 'custom',
      path: ['detect', 'source', 'lab'],
      message: "the lab's Alertmanager runs only with `lab: { monitoring: true }`",
    });
}
