/**
 * Elapsed time for the benchmarks: monotonic, below the millisecond. The Clock port gives wall time as
 * a Date, to the millisecond, and may be a fake: right for kdrill's deadlines and timelines, wrong for
 * measuring kdrill itself. This is the benchmarks' one stopwatch, and the one place they read
 * performance.now; every other time read or wait in bench/ goes through systemClock.
 */
export function stopwatch(): () => number {
  const t0 = performance.now();
  return () => performance.now() - t0;
}
