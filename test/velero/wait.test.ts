import { describe, expect, it } from 'vitest';
import { isDrillError } from '../../src/errors.js';
import { V } from '../../src/velero/objects.js';
import { RESTORE_TERMINAL, waitForBackupSync } from '../../src/velero/velero.js';
import { waitForVelero } from '../../src/velero/wait.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { FakeKube } from '../support/fakes/fake-kube.js';

const DAY = 86_400_000;
const settled = async <T>(p: Promise<T>): Promise<{ state: 'pending' | 'done' | 'failed'; error?: unknown }> => {
  const tag = await Promise.race([
    p.then(
      () => ({ state: 'done' as const }),
      (error: unknown) => ({ state: 'failed' as const, error }),
    ),
    new Promise<{ state: 'pending' }>((r) => setTimeout(() => r({ state: 'pending' }), 20)),
  ]);
  return tag;
};

function world() {
  const clock = new FakeClock();
  const kube = new FakeKube({ clock });
  kube.seed([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'velero' } }]);
  return { clock, kube };
}

describe('waitForVelero: the deadline is the injected clock', () => {
  it('a 30-day deadline fires when the fake time reaches it, not before, and not by the wall clock', async () => {
    const { clock, kube } = world();
    await kube.create({ ...V('Restore'), metadata: { name: 'r1', namespace: 'velero' }, spec: { backupName: 'b' } });
    const w = waitForVelero(kube, {
      kind: 'Restore',
      namespace: 'velero',
      name: 'r1',
      terminal: RESTORE_TERMINAL,
      timeoutMs: 30 * DAY,
      clock,
    });
    await kube.idle();
    clock.advance(30 * DAY - 1);
    expect((await settled(w)).state).toBe('pending');
    clock.advance(1);
    const r = await settled(w);
    expect(r.state).toBe('failed');
    expect(isDrillError(r.error) && r.error.code).toBe('VELERO_TIMEOUT');
    expect((r.error as Error).message).toBe('Restore velero/r1 did not finish within 2592000s');
  });

  it('resolves with the typed object at a terminal phase, seen at the clock’s time, and clears its deadline', async () => {
    const { clock, kube } = world();
    await kube.create({ ...V('Restore'), metadata: { name: 'r1', namespace: 'velero' }, spec: { backupName: 'b' } });
    const w = waitForVelero(kube, {
      kind: 'Restore',
      namespace: 'velero',
      name: 'r1',
      terminal: RESTORE_TERMINAL,
      timeoutMs: 60_000,
      clock,
    });
    await kube.idle();
    await kube.patchStatus({ ...V('Restore'), namespace: 'velero', name: 'r1' }, { phase: 'InProgress' });
    await kube.idle();
    expect((await settled(w)).state).toBe('pending');
    clock.advance(5_000);
    await kube.patchStatus({ ...V('Restore'), namespace: 'velero', name: 'r1' }, { phase: 'Completed', warnings: 2 });
    const done = await w;
    expect(done.object.status?.phase).toBe('Completed');
    expect(done.object.status?.warnings).toBe(2);
    expect(done.seenAt).toEqual(clock.now());
    clock.advance(DAY); // a deadline left armed would throw into nothing here; it must be gone
  });

  it('an abort ends the wait at once, whatever the deadline', async () => {
    const { clock, kube } = world();
    const abort = new AbortController();
    const w = waitForVelero(kube, {
      kind: 'Backup',
      namespace: 'velero',
      name: 'b1',
      terminal: new Set(['Completed']),
      timeoutMs: DAY,
      clock,
      signal: abort.signal,
    });
    abort.abort(new Error('interrupted'));
    await expect(w).rejects.toThrow('interrupted');
  });

  it('a backup that never syncs into the recovery cluster is BACKUP_NOT_SYNCED at the fake deadline', async () => {
    const { clock, kube } = world();
    const w = waitForBackupSync(kube, { namespace: 'velero', name: 'nightly-1', timeoutMs: 300_000, clock });
    await kube.idle();
    expect((await settled(w)).state).toBe('pending');
    clock.advance(300_000);
    await expect(w).rejects.toMatchObject({ code: 'BACKUP_NOT_SYNCED', exitCode: 4 });
  });
});
