import type { Clock } from './clock.js';

/**
 * Waits for `ms` to pass without making it pass: on the system clock it is a sleep; on a test's
 * fake clock it fires when the code under test moves time, so a background sampler never changes
 * the durations a test measures. Resolves early (never rejects) when `signal` aborts.
 */
export function sleepOnTimer(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      t.clear();
      resolve();
    };
    const t = clock.timeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
