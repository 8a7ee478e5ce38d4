import type { Clock } from '../../../src/time/clock.js';

/**
 * A Clock whose time moves only when told to, or by exactly `ms` when something sleeps, so durations
 * such as "RTO = 95 s" come out exact. A sleep resolves on the next turn of the event loop, not at
 * once, so that other async work interleaves as it would with real time.
 */
export class FakeClock implements Clock {
  /** Every sleep asked for, in order (to assert a poll interval or a backoff). */
  readonly sleeps: number[] = [];
  private t: number;

  constructor(start: Date = new Date('2026-12-01T00:00:00Z')) {
    this.t = start.getTime();
  }

  now(): Date {
    return new Date(this.t);
  }

  advance(ms: number): void {
    this.t += ms;
    this.fireDue();
  }

  set(date: Date): void {
    this.t = date.getTime();
    this.fireDue();
  }

  /** Deadlines fire when time reaches them: by advance(), set() or a sleep, never by the wall clock. */
  timeout(fn: () => void, ms: number): { clear(): void } {
    const timer = { at: this.t + Math.max(0, ms), fn };
    this.timers.add(timer);
    return { clear: () => void this.timers.delete(timer) };
  }

  private readonly timers = new Set<{ at: number; fn: () => void }>();

  private fireDue(): void {
    for (const timer of [...this.timers].filter((x) => x.at <= this.t).sort((a, b) => a.at - b.at)) {
      this.timers.delete(timer);
      timer.fn();
    }
  }

  /** Time moves forward by `ms` as the sleep resolves; an aborted sleep rejects and moves nothing. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const onAbort = (): void => {
        clearImmediate(handle);
        reject(signal!.reason as Error);
      };
      const handle = setImmediate(() => {
        signal?.removeEventListener('abort', onAbort);
        this.t += Math.max(0, ms);
        this.fireDue();
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
