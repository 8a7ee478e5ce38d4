import type { Clock } from './core.js';

/**
 * Polls `check` until it holds, `everyMs` apart on the clock; once `timeoutMs` have passed on it,
 * throws what `timedOut` makes. The lab's one wait loop: a FakeClock makes it instant in tests.
 */
export async function pollUntil(
  clock: Clock,
  check: () => Promise<boolean>,
  o: { timeoutMs: number; everyMs: number; timedOut: () => Error },
): Promise<void> {
  const deadline = clock.now().getTime() + o.timeoutMs;
  while (!(await check())) {
    if (clock.now().getTime() > deadline) throw o.timedOut();
    await clock.sleep(o.everyMs);
  }
}
