import { DrillError, ExitCode } from '../errors.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { Clock } from '../time/clock.js';
import { V, asVelero, type VeleroKind, type VeleroObjects } from './objects.js';

export interface WaitFor<K extends VeleroKind> {
  kind: K;
  namespace: string;
  name: string;
  /** The phases that end the wait. */
  terminal: ReadonlySet<string>;
  /** The deadline, from the clock: a fake clock's deadline fires when the fake time reaches it. */
  timeoutMs: number;
  clock: Clock;
  signal?: AbortSignal;
}

export interface Waited<K extends VeleroKind> {
  object: VeleroObjects[K];
  seenAt: Date;
}

const reason = (signal: AbortSignal): Error => (signal.reason instanceof Error ? signal.reason : new Error('aborted'));

const timedOut = (w: WaitFor<VeleroKind>): DrillError =>
  new DrillError(
    'VELERO_TIMEOUT',
    `${w.kind} ${w.namespace}/${w.name} did not finish within ${Math.round(w.timeoutMs / 1000)}s`,
    ExitCode.ObjectivesBreached,
    { hint: `kubectl -n ${w.namespace} get ${w.kind.toLowerCase()}s.velero.io ${w.name} -o yaml` },
  );

/**
 * Waits by watch (list, then watch from that version; the watch re-lists after a 410 or a drop)
 * until the object reaches a terminal phase. Resolves with the object and when it was seen; rejects
 * at the clock's deadline (VELERO_TIMEOUT), on abort, or when the watch cannot start.
 */
export function waitForVelero<K extends VeleroKind>(kube: KubeApi, w: WaitFor<K>): Promise<Waited<K>> {
  // a signal that already fired never fires its listener again: refuse at once
  if (w.signal?.aborted) return Promise.reject(reason(w.signal));
  return new Promise((resolve, reject) => {
    let done = false;
    const cleanups: (() => void)[] = [];
    const finish = (fn: () => void): void => {
      if (done) return;
      done = true;
      for (const c of cleanups) c();
      fn();
    };
    const onAbort = (): void => finish(() => reject(reason(w.signal!)));
    w.signal?.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => w.signal?.removeEventListener('abort', onAbort));
    const timer = w.clock.timeout(() => finish(() => reject(timedOut(w))), w.timeoutMs);
    cleanups.push(() => timer.clear());
    // a deadline of 0 fires at once, before there is anything to watch
    if (done) return;
    const watch = kube.watch(V(w.kind), {
      namespace: w.namespace,
      fieldSelector: `metadata.name=${w.name}`,
      onEvent: (e) => {
        if (e.type === 'DELETED' || e.object.metadata?.name !== w.name) return;
        const object = asVelero(w.kind, e.object);
        if (w.terminal.has(object.status?.phase ?? '')) finish(() => resolve({ object, seenAt: w.clock.now() }));
      },
      signal: w.signal,
    });
    cleanups.push(() => watch.stop());
    watch.ready.catch((e: unknown) => finish(() => reject(e instanceof Error ? e : new Error('watch failed'))));
  });
}
