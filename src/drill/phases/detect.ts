import { serviceProbe, urlProbe, type Probe } from '../../availability/probe.js';
import { Sampler } from '../../availability/sampler.js';
import { summarize } from '../../availability/summary.js';
import { alertmanagerSource } from '../../detect/alertmanager.js';
import { checkHeartbeat } from '../../detect/heartbeat.js';
import { prometheusSource } from '../../detect/prometheus.js';
import { WebhookReceiver } from '../../detect/receiver.js';
import { detectionResult } from '../../detect/result.js';
import { endpointName, httpGetter, type AlertSource } from '../../detect/source.js';
import type { AvailabilityRecord, DetectionResult, HeartbeatRecord } from '../../detect/types.js';
import { AlertWatch } from '../../detect/watch.js';
import { DrillError, ExitCode } from '../../errors.js';
import type { DetectSpec } from '../../scenario/detect-schema.js';
import type { Scenario } from '../../scenario/schema.js';
import { iso, type DrillContext } from '../context.js';
import type { Finding, TimelineEntry } from '../types.js';

/** Where the alerts are read: the scenario's Alertmanager or Prometheus (a URL or a Service), or the lab's. */
export function alertSource(ctx: DrillContext, d: DetectSpec): AlertSource {
  if (d.source.lab) {
    const m = ctx.deps.monitoring;
    if (!m)
      throw new DrillError(
        'DETECT_NO_LAB_MONITORING',
        `detect.source.lab reads the lab's ${d.source.lab}, and this run has no lab with monitoring`,
        ExitCode.Usage,
        {
          hint: 'run with --lab (the scenario has lab: { monitoring: true }), or name the source: detect.source.alertmanager.url',
        },
      );
    const url = d.source.lab === 'prometheus' ? m.prometheus : m.alertmanager;
    const get = httpGetter({ url });
    return d.source.lab === 'prometheus' ? prometheusSource(get, url) : alertmanagerSource(get, url);
  }
  const ep = (d.source.alertmanager ?? d.source.prometheus)!;
  const get = httpGetter(ep, ctx.deps.kube);
  return d.source.alertmanager ? alertmanagerSource(get, endpointName(ep)) : prometheusSource(get, endpointName(ep));
}

/** Where kdrill's receiver listens: the lab's Alertmanager posts to the address the lab gave it. */
const listenAddress = (ctx: DrillContext, d: DetectSpec): string =>
  d.source.lab && ctx.deps.monitoring ? ctx.deps.monitoring.receiver : d.receiver.listen;

/**
 * Preflight of the detect phase, before anything is touched: the source answers (else exit 4), the
 * receiver can listen, and the heartbeat fires (else a P1 finding: the drill goes on and says so).
 */
export async function detectPreflight(ctx: DrillContext, findings: Finding[]): Promise<HeartbeatRecord | undefined> {
  const d = ctx.s.spec.detect;
  if (!d) return undefined;
  const { clock, signal, reporter } = ctx.deps;
  const source = alertSource(ctx, d);
  const r = await checkHeartbeat(source, d.heartbeat, clock.now(), signal);
  findings.push(...r.findings);
  reporter.info(`  heartbeat: ${r.heartbeat.detail}`);
  if (d.notify) await (await WebhookReceiver.start(listenAddress(ctx, d), clock)).close();
  return r.heartbeat;
}

interface Target {
  name: string;
  from: AvailabilityRecord['from'];
  interval: number;
  timeout: number;
  probe: (ctx: DrillContext) => Probe;
}

/** Every http verify check, and the scenario's `availability:` list (which wins for the same endpoint). */
export function availabilityTargets(s: Scenario): Target[] {
  const out = new Map<string, Target>();
  const add = (
    e: { url?: string; service?: { namespace: string; name: string; port: number | string; path: string } },
    x: { expectStatus: number; bodyRegex?: string; interval: number; timeout: number },
    from: Target['from'],
  ): void => {
    const name = e.url ?? `service/${e.service!.namespace}/${e.service!.name}:${e.service!.port}${e.service!.path}`;
    const expect = { expectStatus: x.expectStatus, bodyRegex: x.bodyRegex };
    out.set(name, {
      name,
      from,
      interval: x.interval,
      timeout: x.timeout,
      probe: (ctx) =>
        e.url
          ? urlProbe(e.url, expect, ctx.deps.clock)
          : serviceProbe(ctx.deps.recoveryKube, e.service!, expect, ctx.deps.clock),
    });
  };
  for (const v of s.spec.verify) if (v.type === 'http') add(v, { ...v, interval: 1, timeout: 1 }, 'verify');
  for (const a of s.spec.availability ?? []) add(a, a, 'availability');
  return [...out.values()];
}

/** The running detect phase: `hold` for holdRecovery, `finish` at the end of verification. */
export interface Detecting {
  hold(): Promise<void>;
  finish(interrupted: boolean): Promise<void>;
}

/**
 * Starts the detect phase just before the disaster: samples each endpoint, and (with `detect:`)
 * watches the source for each expected alert, with kdrill's receiver for the notifications.
 * Undefined when the scenario samples and expects nothing, or when a resumed run already ended it.
 */
export async function startDetect(ctx: DrillContext): Promise<Detecting | undefined> {
  const { deps, s, state } = ctx;
  if (state.detection || state.availability || state.verify) return undefined;
  const targets = availabilityTargets(s);
  const d = s.spec.detect;
  if (!d && !targets.length) return undefined;
  const sampledFrom = deps.clock.now().getTime();
  const samplers = targets.map((t) => ({
    t,
    sampler: new Sampler(t.probe(ctx), t.interval * 1000, t.timeout * 1000, deps.clock),
  }));
  for (const x of samplers) x.sampler.start(deps.signal);
  const alerts = d ? await startAlerts(ctx, d) : undefined;
  const availability = async (end: number, interrupted: boolean): Promise<AvailabilityRecord[]> => {
    const start = state.injectStartedAt ? Date.parse(state.injectStartedAt) : undefined;
    const got = await Promise.all(
      samplers.map(async (x) => ({ x, samples: await (interrupted ? x.sampler.stop() : x.sampler.close()) })),
    );
    if (start === undefined) return [];
    // the window ends with each sampler's last look (taken as verification ended)
    const last = Math.max(end, ...got.map(({ samples }) => samples[samples.length - 1]?.at ?? end));
    const window = { start, end: last, unsampledMs: Math.max(0, sampledFrom - start) };
    return got.map(({ x, samples }) =>
      summarize(samples, window, {
        target: x.t.name,
        from: x.t.from,
        intervalSeconds: x.t.interval,
        timeoutSeconds: x.t.timeout,
      }),
    );
  };
  return {
    hold: async () => alerts?.hold(),
    finish: async (interrupted) => {
      const end = deps.clock.now().getTime();
      // an interrupted run takes no last look: its ports are aborted, and the look would read as down
      state.availability = await availability(end, !!interrupted);
      state.detection = await alerts?.finish(interrupted);
      deps.journal.append(
        'detect-done',
        { detection: state.detection, availability: state.availability },
        deps.clock.now(),
      );
      for (const a of state.availability)
        deps.reporter.info(
          `  availability ${a.target}: down ${a.downtimeSeconds}s of the drill (${a.availabilityPercent ?? '?'}% up, ${a.samples} samples)`,
        );
    },
  };
}

/** The watch, resumed from the journal when a run is: what fired before the disaster, what was seen since. */
async function newWatch(
  ctx: DrillContext,
  d: DetectSpec,
  source: AlertSource,
  receiver?: WebhookReceiver,
): Promise<AlertWatch> {
  const { deps, state } = ctx;
  const { clock, journal, reporter } = deps;
  const watch = new AlertWatch(
    d,
    {
      source,
      clock,
      signal: deps.signal,
      receiver,
      onRecord: (index, record) => {
        state.detect!.alerts[index] = record;
        journal.append('detect-alert', { index, record }, clock.now());
        reporter.info(
          `  detect: ${record.alert} ${record.notifiedAt ? `notified ${record.ttpSeconds}s` : `fired ${record.ttdSeconds}s`} after the disaster`,
        );
      },
    },
    state.detect?.alerts,
    state.detect?.before,
  );
  if (!state.detect) {
    await watch
      .baseline()
      .catch((e: Error) => state.notes.push(`detect: what fired before the disaster could not be read: ${e.message}`));
    state.detect = { before: watch.beforeKeys(), alerts: [] };
    journal.append('detect-started', { before: state.detect.before }, clock.now());
  }
  return watch;
}

/** The detect phase's evidence, and its timeline entry closed. */
function closeAlerts(
  ctx: DrillContext,
  o: {
    d: DetectSpec;
    entry: TimelineEntry;
    watch: AlertWatch;
    source: AlertSource;
    receiver?: WebhookReceiver;
    held?: number;
    interrupted: boolean;
  },
): DetectionResult {
  const { state, deps } = ctx;
  const { watch, entry, interrupted } = o;
  const result = detectionResult({
    spec: o.d,
    source: o.source.name,
    startedAt: entry.startedAt,
    endedAt: watch.endedAt ?? iso(deps.clock.now()),
    disasterAt: state.injectStartedAt,
    alerts: watch.records,
    receiver: o.receiver?.url,
    notifications: o.receiver?.notified.length,
    heldRecoverySeconds: o.held,
    sourceErrors: { count: watch.errors, polls: watch.polls, last: watch.lastError },
  });
  const fired = result.alerts.filter((a) => a.fired).length;
  const detail = `${fired}/${result.alerts.length} expected alert(s) fired${result.ttdSeconds !== null ? `, the first ${result.ttdSeconds}s after the disaster` : ''}`;
  const end = { ok: result.met, detail, ...(interrupted ? { interrupted } : {}) };
  Object.assign(entry, { endedAt: result.endedAt, ...end });
  deps.journal.append('phase-ended', { phase: 'detect', ...end }, deps.clock.now());
  return result;
}

/** The alert watch of a running drill, journaled as it goes, on the timeline as the `detect` phase. */
async function startAlerts(
  ctx: DrillContext,
  d: DetectSpec,
): Promise<{ hold(): Promise<void>; finish(interrupted: boolean): Promise<DetectionResult> }> {
  const { deps, state } = ctx;
  const { clock, journal, reporter } = deps;
  const source = alertSource(ctx, d);
  const receiver = d.notify ? await WebhookReceiver.start(listenAddress(ctx, d), clock) : undefined;
  const watch = await newWatch(ctx, d, source, receiver);
  const entry: TimelineEntry = { phase: 'detect', startedAt: iso(clock.now()) };
  state.timeline.push(entry);
  journal.append('phase-started', { phase: 'detect' }, clock.now());
  void watch.start(() => state.injectStartedAt);
  let held: number | undefined;
  return {
    hold: async () => {
      if (!d.holdRecovery) return;
      reporter.info(`  holding the recovery until the expected alerts fire (at most ${d.timeout}s after the disaster)`);
      await watch.finished();
      if (state.injectStartedAt) held = (clock.now().getTime() - Date.parse(state.injectStartedAt)) / 1000;
    },
    finish: async (interrupted) => {
      if (interrupted) watch.stop();
      await watch.finished();
      await receiver?.close();
      return closeAlerts(ctx, { d, entry, watch, source, receiver, held, interrupted });
    },
  };
}
