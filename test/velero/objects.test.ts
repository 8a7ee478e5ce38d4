import { describe, expect, it } from 'vitest';
import { V, asRestore, getVelero, listVelero, type RestorePhase } from '../../src/velero/objects.js';
import { FakeKube } from '../support/fakes/fake-kube.js';

describe('typed Velero objects over the KubeApi port', () => {
  it('get and list return Velero kinds as their CRDs type them', async () => {
    const kube = new FakeKube();
    kube.seed([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'velero' } },
      {
        ...V('Backup'),
        metadata: { name: 'b1', namespace: 'velero' },
        status: { phase: 'Completed', startTimestamp: '2026-12-01T00:00:00Z' },
      },
    ]);
    const b = await getVelero(kube, { kind: 'Backup', namespace: 'velero', name: 'b1' });
    expect(b?.status?.startTimestamp).toBe('2026-12-01T00:00:00Z');
    expect(await getVelero(kube, { kind: 'Backup', namespace: 'velero', name: 'nope' })).toBeUndefined();
    expect((await listVelero(kube, 'Backup', { namespace: 'velero' })).map((x) => x.status?.phase)).toEqual([
      'Completed',
    ]);
  });

  it('refuses an object of another kind or group rather than read it with the wrong type', () => {
    expect(asRestore({ metadata: { name: 'r' } }).metadata?.name).toBe('r');
    expect(() => asRestore({ ...V('Backup'), metadata: { name: 'b' } })).toThrow(
      'expected a velero.io Restore, got velero.io/v1 Backup',
    );
    expect(() => asRestore({ apiVersion: 'v1', kind: 'Restore' })).toThrow(/expected a velero.io Restore/);
  });
});

describe('the generated phases', () => {
  it('are the ones Velero declares (checked by tsc, which the test tier runs)', () => {
    const terminal = ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation'] satisfies RestorePhase[];
    // @ts-expect-error a phase Velero does not have
    const bogus: RestorePhase = 'Done';
    expect([...terminal, bogus]).toHaveLength(5);
  });
});
