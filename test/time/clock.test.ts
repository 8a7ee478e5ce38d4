import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/time/clock.js';
import { FakeClock } from '../support/fakes/fake-clock.js';

describe('Clock.timeout: deadlines through the clock', () => {
  it('the fake clock fires a deadline when time reaches it, in order, and never after clear()', async () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.timeout(() => fired.push('b'), 2_000);
    clock.timeout(() => fired.push('a'), 1_000);
    const c = clock.timeout(() => fired.push('cleared'), 1_500);
    c.clear();
    clock.advance(999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(['a']);
    await clock.sleep(5_000);
    expect(fired).toEqual(['a', 'b']);
  });

  it('the system clock fires after the time and not before', async () => {
    const t0 = Date.now();
    const at = await new Promise<number>((r) => systemClock.timeout(() => r(Date.now()), 50));
    expect(at - t0).toBeGreaterThanOrEqual(49);
    let fired = false;
    systemClock.timeout(() => (fired = true), 20).clear();
    await new Promise((r) => setTimeout(r, 60));
    expect(fired).toBe(false);
  });
});
