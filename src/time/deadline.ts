import type { Clock } from './clock.js';

/**
 * An AbortSignal that aborts at the clock's deadline, or when `parent` does: a request's timeout
 * from the injected clock (AbortSignal.timeout reads the wall clock). Clear it once the request is
 * done, or the deadline keeps its timer.
 */
export function deadlineSignal(clock: Clock, ms: number, parent?: AbortSignal): { signal: AbortSignal; clear(): void } {
  const c = new AbortController();
  // the reason AbortSignal.timeout gives, so that what a timed-out request says stays the same
  const timer = clock.timeout(
    () => c.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    ms,
  );
  const onAbort = (): void => c.abort(parent!.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: c.signal,
    clear: () => {
      timer.clear();
      parent?.removeEventListener('abort', onAbort);
    },
  };
}
