import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { runWatch } from '../../src/kube/watch-loop.js';

describe('runWatch', () => {
  it("a stopped watch takes its listener off the run's signal: a long drill of many waits leaks none", async () => {
    const ac = new AbortController();
    for (let i = 0; i < 50; i++) {
      const w = runWatch(
        {
          list: async () => ({ items: [], resourceVersion: '1' }),
          stream: async () => () => undefined,
        },
        { onEvent: () => undefined, signal: ac.signal },
      );
      await w.ready;
      w.stop();
    }
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});
