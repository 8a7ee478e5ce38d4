import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, setLongTimeout } from '../../src/time/long-timeout.js';

describe('setLongTimeout', () => {
  afterEach(() => void vi.useRealTimers());

  it('waits a deadline longer than Node can hold in one timer (30 days), and not a second less', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const thirtyDays = 30 * 86400_000;
    expect(thirtyDays).toBeGreaterThan(MAX_TIMER_MS);
    setLongTimeout(fired, thirtyDays);
    vi.advanceTimersByTime(MAX_TIMER_MS + 1000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(thirtyDays - MAX_TIMER_MS - 2000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('can be cleared', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    setLongTimeout(fired, 1000).clear();
    vi.advanceTimersByTime(2000);
    expect(fired).not.toHaveBeenCalled();
  });
});
