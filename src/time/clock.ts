import { setLongTimeout } from './long-timeout.js';

/** Time as the engine sees it: injected, so tests can make "RTO = 95 s" exact. */
export interface Clock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` once `ms` have passed (a deadline); of any length, for Node's timer limit is handled here. */
  timeout(fn: () => void, ms: number): { clear(): void };
}

export const systemClock: Clock = {
  now: () => new Date(),
  timeout: setLongTimeout,
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(t);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
