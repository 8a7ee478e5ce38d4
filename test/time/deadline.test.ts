import { describe, expect, it } from 'vitest';
import { deadlineSignal } from '../../src/time/deadline.js';
import { FakeClock } from '../support/fakes/fake-clock.js';

describe('deadlineSignal: a request timeout from the injected clock', () => {
  it('aborts with a TimeoutError when the fake time reaches the deadline, not before', () => {
    const clock = new FakeClock();
    const d = deadlineSignal(clock, 30_000);
    clock.advance(29_999);
    expect(d.signal.aborted).toBe(false);
    clock.advance(1);
    expect(d.signal.aborted).toBe(true);
    expect((d.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('follows its parent signal, and once cleared never fires', () => {
    const clock = new FakeClock();
    const parent = new AbortController();
    const d = deadlineSignal(clock, 1_000, parent.signal);
    parent.abort(new Error('interrupted'));
    expect((d.signal.reason as Error).message).toBe('interrupted');
    const e = deadlineSignal(clock, 1_000);
    e.clear();
    clock.advance(5_000);
    expect(e.signal.aborted).toBe(false);
  });
});
