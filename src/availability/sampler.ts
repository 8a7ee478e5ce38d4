import type { Clock } from '../time/clock.js';
import { sleepOnTimer } from '../time/timer-sleep.js';
import type { Probe } from './probe.js';

/** One sample: when it was asked (ms since the epoch), and whether the endpoint was up. */
export interface Sample {
  at: number;
  up: boolean;
  detail?: string;
}

/**
 * Samples one endpoint at a fixed interval, one request at a time: a request that hangs until its
 * timeout delays the next, and the time it took counts as it went (down). Ticks stay on the grid
 * (start + k × interval), so slow answers never make it drift. It waits on the clock's timers and
 * never moves time itself (see sleepOnTimer).
 */
export class Sampler {
  readonly samples: Sample[] = [];
  private readonly ac = new AbortController();
  private running?: Promise<void>;
  private readonly probe: Probe;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly clock: Clock;

  constructor(probe: Probe, intervalMs: number, timeoutMs: number, clock: Clock) {
    this.probe = probe;
    this.intervalMs = intervalMs;
    this.timeoutMs = timeoutMs;
    this.clock = clock;
  }

  start(signal?: AbortSignal): void {
    signal?.addEventListener('abort', () => this.ac.abort(), { once: true });
    this.running ??= this.loop().catch(() => undefined);
  }

  private async loop(): Promise<void> {
    let next = this.clock.now().getTime();
    while (!this.ac.signal.aborted) {
      const at = this.clock.now().getTime();
      const r = await this.probe(this.timeoutMs);
      if (this.ac.signal.aborted) return;
      this.samples.push(r.up ? { at, up: true } : { at, up: false, detail: r.detail });
      const now = this.clock.now().getTime();
      next += this.intervalMs;
      if (next < now) next += Math.ceil((now - next) / this.intervalMs) * this.intervalMs;
      await sleepOnTimer(this.clock, next - now, this.ac.signal);
    }
  }

  /**
   * Stops after one last look, so the window ends with an observation: a service that came back less
   * than an interval before verification ended would otherwise read as never recovered. The look is
   * bounded by the probe's timeout; a request in flight before it is not counted.
   */
  async close(): Promise<Sample[]> {
    this.ac.abort();
    await this.running;
    const at = this.clock.now().getTime();
    const r = await this.probe(this.timeoutMs);
    this.samples.push(r.up ? { at, up: true } : { at, up: false, detail: r.detail });
    return this.samples;
  }

  /** Stops at once: a request in flight is not waited for, and not counted. */
  async stop(): Promise<Sample[]> {
    this.ac.abort();
    await this.running;
    return this.samples;
  }
}
