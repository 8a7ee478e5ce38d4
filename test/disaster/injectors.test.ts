import { describe, expect, it } from 'vitest';
import { inject, nodeControlFor, revert } from '../../src/disaster/injectors.js';
import { LAB_NODE_LABEL } from '../../src/disaster/lab-nodes.js';
import type { InjectContext } from '../../src/disaster/types.js';
import type { CommandRunner } from '../../src/exec/command.js';
import { isDrillError } from '../../src/errors.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { FakeKube } from '../support/fakes/fake-kube.js';

const ZONE = 'topology.kubernetes.io/zone';
const ready = (at: string) => ({
  type: 'Ready',
  status: 'True',
  reason: 'KubeletReady',
  lastHeartbeatTime: at,
  lastTransitionTime: at,
});

function lab(exec?: CommandRunner): { ctx: InjectContext; kube: FakeKube; clock: FakeClock } {
  const clock = new FakeClock(new Date('2026-12-01T03:00:00Z'));
  const kube = new FakeKube({ clock });
  kube.seed(
    ['a-1', 'a-2', 'b-1'].map((name) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { [LAB_NODE_LABEL]: 'true', [ZONE]: `zone-${name[0]}` } },
      status: { conditions: [ready('2026-11-30T00:00:00Z')] },
    })),
  );
  const none: CommandRunner = {
    run: async () => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false }),
    runZx: async () => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false }),
  };
  return { ctx: { kube, clock, exec: exec ?? none, nodeControl: () => nodeControlFor(kube) }, kube, clock };
}

const conditionOf = async (kube: FakeKube, name: string) =>
  (await kube.get({ apiVersion: 'v1', kind: 'Node', name }))?.status?.conditions?.[0];

describe('the disaster injectors, one per type', () => {
  it('lose-zone stops the zone’s lab nodes at the clock’s time, asserts they are NotReady, and its revert starts them', async () => {
    const { ctx, kube, clock } = lab();
    const r = await inject(ctx, { type: 'lose-zone', zone: 'zone-a' });
    expect(r.detail).toBe('lost zone zone-a: stopped a-1, a-2 (lab nodes go NotReady)');
    expect(await conditionOf(kube, 'a-1')).toMatchObject({
      status: 'False',
      lastTransitionTime: '2026-12-01T03:00:00Z',
    });
    expect((await conditionOf(kube, 'b-1')).status).toBe('True');
    clock.advance(60_000);
    expect(await revert(ctx, r.revert!)).toBe('started a-1, a-2');
    expect(await conditionOf(kube, 'a-2')).toMatchObject({
      status: 'True',
      lastTransitionTime: '2026-12-01T03:01:00Z',
    });
  });

  it('a step that matches no node is refused before anything is touched', async () => {
    const { ctx } = lab();
    await expect(inject(ctx, { type: 'stop-nodes', nodes: [] })).rejects.toMatchObject({ code: 'DISASTER_NO_NODES' });
  });

  it('a command step that fails is DISASTER_COMMAND_FAILED; one that succeeds carries its revert', async () => {
    const argvs: string[][] = [];
    const exec: CommandRunner = {
      run: async (argv) => {
        argvs.push(argv);
        return { exitCode: argv[0] === 'false' ? 1 : 0, stdout: '', stderr: 'boom', timedOut: false };
      },
      runZx: async () => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false }),
    };
    const { ctx } = lab(exec);
    const e = await inject(ctx, { type: 'command', argv: ['false'], timeout: 5 }).catch((x: unknown) => x);
    expect(isDrillError(e) && [e.code, e.message]).toEqual([
      'DISASTER_COMMAND_FAILED',
      'the disaster command failed (exit 1): boom',
    ]);
    const ok = await inject(ctx, { type: 'command', argv: ['break', 'it'], revert: ['mend', 'it'], timeout: 5 });
    expect(ok).toEqual({ detail: 'ran break it', revert: { kind: 'command', argv: ['mend', 'it'] } });
    expect(await revert(ctx, ok.revert!)).toBe('ran mend it');
    expect(argvs).toEqual([['false'], ['break', 'it'], ['mend', 'it']]);
  });
});
