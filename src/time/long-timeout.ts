/** Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timeout of any length: waits in chunks Node's timer can hold, so a 30-day deadline never fires early. */
export function setLongTimeout(fn: () => void, ms: number): { clear(): void } {
  let handle: ReturnType<typeof setTimeout> | undefined;
  const end = Date.now() + ms;
  const arm = (): void => {
    const left = end - Date.now();
    if (left <= 0) return fn();
    handle = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
  };
  arm();
  return { clear: () => clearTimeout(handle) };
}
