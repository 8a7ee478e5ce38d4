import type { Expectation } from '../scenario/detect-schema.js';
import type { Clock } from '../time/clock.js';
import { expectationMatchers, labelsKey, matcherText, matches, type Matcher } from './matchers.js';
import { priorityOf } from './priority.js';
import type { WebhookReceiver } from './receiver.js';
import type { AlertSource } from './source.js';
import type { AlertRecord, Priority, SeenAlert } from './types.js';

export interface WatchSpec {
  expect: Expectation[];
  objective?: number;
  timeout: number;
  pollInterval: number;
  priorityLabel: string;
  priorities?: Record<string, Priority>;
  notify: boolean;
}

export interface WatchDeps {
  source: AlertSource;
  clock: Clock;
  signal: AbortSignal;
  receiver?: WebhookReceiver;
  /** Each alert as it is first seen firing, and as its notification arrives (to journal it). */
  onRecord?: (index: number, r: AlertRecord) => void;
}

const round3 = (s: number): number => Math.round(s * 1000) / 1000;
const secondsBetween = (a: string, b: string): number => round3((Date.parse(b) - Date.parse(a)) / 1000);

/**
 * Watches the source for each expected alert from the disaster's start: the first matching alert
 * that was not already firing before the disaster is its detection. Ends when every expected alert
 * fired (and, with notify, was notified), at the timeout after the disaster, or when stopped.
 */
export class AlertWatch {
  readonly records: AlertRecord[];
  polls = 0;
  errors = 0;
  /** When the watch ended: everything detected, the timeout, or stopped. */
  endedAt?: string;
  lastError = '';
  private readonly ms: Matcher[][];
  private readonly before: Set<string>[];
  private stopped = false;
  private done?: Promise<void>;
  private readonly spec: WatchSpec;
  private readonly deps: WatchDeps;

  /** `earlier` and `before`: what a resumed run had already seen (from the journal). */
  constructor(spec: WatchSpec, deps: WatchDeps, earlier: (AlertRecord | undefined)[] = [], before: string[][] = []) {
    this.spec = spec;
    this.deps = deps;
    this.ms = spec.expect.map(expectationMatchers);
    this.before = spec.expect.map((_, i) => new Set<string>(before[i] ?? []));
    this.records = spec.expect.map((e, i) => earlier[i] ?? this.pending(e, i));
  }

  private pending(e: Expectation, i: number): AlertRecord {
    const objective = e.objective ?? this.spec.objective;
    return {
      alert: e.alert,
      matchers: this.ms[i]!.slice(1).map(matcherText),
      expectedPriority: e.priority,
      fired: false,
      ...(objective !== undefined ? { objectiveSeconds: objective } : {}),
      met: false,
      detail: 'did not fire',
    };
  }

  /** What fires before the disaster says nothing about it: those alert instances are left out. */
  async baseline(): Promise<void> {
    const alerts = await this.deps.source.firing(this.deps.signal);
    alerts.forEach((a) =>
      this.ms.forEach((m, i) => {
        if (matches(a.labels, m)) this.before[i]!.add(labelsKey(a.labels));
      }),
    );
    this.records.forEach((r, i) => {
      if (this.before[i]!.size) r.firingBefore = this.before[i]!.size;
    });
  }

  beforeKeys(): string[][] {
    return this.before.map((b) => [...b]);
  }

  /** Starts polling; `disasterAt` is read on every poll, for the watch starts just before the disaster does. */
  start(disasterAt: () => string | undefined): Promise<void> {
    this.done ??= this.loop(disasterAt)
      .catch(() => undefined)
      .then(() => {
        this.endedAt = this.deps.clock.now().toISOString();
      });
    return this.done;
  }

  /** Resolves when the watch ended on its own (everything detected, or the timeout). */
  finished(): Promise<void> {
    return this.done ?? Promise.resolve();
  }

  stop(): void {
    this.stopped = true;
  }

  private complete(r: AlertRecord): boolean {
    return r.fired && (!this.spec.notify || r.notifiedAt !== undefined);
  }

  private async loop(disasterAt: () => string | undefined): Promise<void> {
    const { clock, signal } = this.deps;
    const pollMs = this.spec.pollInterval * 1000;
    while (!this.stopped && !signal.aborted) {
      const at = disasterAt();
      if (at) {
        if (clock.now().getTime() > Date.parse(at) + this.spec.timeout * 1000) return;
        await this.poll(at);
        if (this.records.every((r) => this.complete(r))) return;
      }
      await clock.sleep(pollMs, signal);
    }
  }

  private async poll(disasterAt: string): Promise<void> {
    let alerts: SeenAlert[] | undefined;
    this.polls++;
    try {
      alerts = await this.deps.source.firing(this.deps.signal);
    } catch (e) {
      this.errors++;
      this.lastError = (e as Error).message.split('\n')[0] ?? '';
    }
    const seenAt = this.deps.clock.now().toISOString();
    this.records.forEach((r, i) => {
      const fresh = (labels: Record<string, string>): boolean => !this.before[i]!.has(labelsKey(labels));
      if (!r.fired && alerts) {
        const hit = alerts
          .filter((a) => matches(a.labels, this.ms[i]!) && fresh(a.labels))
          .sort((a, b) => a.firedAt.localeCompare(b.firedAt))[0];
        if (hit) this.fired(i, hit, seenAt, disasterAt);
      }
      if (this.spec.notify && r.fired && !r.notifiedAt) {
        const n = this.deps.receiver?.first(this.ms[i]!, fresh);
        if (n) {
          Object.assign(r, { notifiedAt: n.receivedAt, ttpSeconds: secondsBetween(disasterAt, n.receivedAt) });
          this.deps.onRecord?.(i, r);
        }
      }
    });
  }

  private fired(i: number, a: SeenAlert, seenAt: string, disasterAt: string): void {
    const r = this.records[i]!;
    const skewed = Date.parse(a.firedAt) < Date.parse(disasterAt);
    // a start before the disaster by the source's clock: time it by when kdrill saw it, an upper bound
    const ttd = secondsBetween(disasterAt, skewed ? seenAt : a.firedAt);
    const p = priorityOf(a.labels, this.spec.priorityLabel, this.spec.priorities);
    const late = r.objectiveSeconds !== undefined && ttd > r.objectiveSeconds;
    Object.assign(r, {
      fired: true,
      firedAt: a.firedAt,
      seenAt,
      ttdSeconds: ttd,
      labels: a.labels,
      priority: p.priority,
      ...(p.raw !== undefined ? { priorityLabel: p.raw } : {}),
      ...(a.suppressed ? { suppressed: true } : {}),
      met: !late,
      detail: `fired ${ttd}s after the disaster${skewed ? " (its start is before the disaster by the source's clock: timed by when kdrill saw it)" : ''}`,
    });
    this.deps.onRecord?.(i, r);
  }
}
