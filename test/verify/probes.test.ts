import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { CommandRunner } from '../../src/exec/command.js';
import { runProbe } from '../../src/verify/probes.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { FakeKube } from '../support/fakes/fake-kube.js';

const exec: CommandRunner = {
  run: async (argv) => ({ exitCode: argv[0] === 'true' ? 0 : 2, stdout: '', stderr: 'nope', timedOut: false }),
  runZx: async () => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false }),
};

describe('runProbe', () => {
  it('an HTTP check of a URL that never answers gives up at the clock’s 10 s request deadline', async () => {
    let arrived!: () => void;
    const request = new Promise<void>((r) => (arrived = r));
    const server = createServer(() => arrived()); // accepts, never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const clock = new FakeClock();
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
      const ctx = { kube: new FakeKube({ clock }), exec, clock, namespaces: ['shop'], expectedWorkloads: [] };
      const probe = runProbe(ctx, { type: 'http', url, expectStatus: 200, timeout: 1 });
      await request;
      clock.advance(10_000);
      // promptly: a deadline on the wall clock would still be 10 s away
      const wall = new Promise((r) => setTimeout(() => r('still waiting on the wall clock'), 2_000));
      expect(await Promise.race([probe, wall])).toEqual({
        passed: false,
        detail: 'after 1s: The operation was aborted due to timeout',
      });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('a command check passes on the expected exit code, and says what it got otherwise', async () => {
    const clock = new FakeClock();
    const ctx = { kube: new FakeKube({ clock }), exec, clock, namespaces: ['shop'], expectedWorkloads: [] };
    expect(await runProbe(ctx, { type: 'command', argv: ['true'], expectExit: 0, timeout: 5 })).toEqual({
      passed: true,
      detail: 'true exited 0',
    });
    expect(await runProbe(ctx, { type: 'command', argv: ['check'], expectExit: 0, timeout: 5 })).toEqual({
      passed: false,
      detail: 'check exited 2, expected 0: nope',
    });
  });

  it('sentinel and inventory are the runner’s: a probe of them is a bug', async () => {
    const clock = new FakeClock();
    const ctx = { kube: new FakeKube({ clock }), exec, clock, namespaces: ['shop'], expectedWorkloads: [] };
    await expect(runProbe(ctx, { type: 'sentinel' })).rejects.toThrow('sentinel is checked by the runner');
  });
});
