import { DrillError, ExitCode } from './core.js';
import type { Clock, KubeApi, KubeObject } from './core.js';
import { pollUntil } from './poll.js';

/**
 * Waits while namespace `ns` is Terminating. A real API server refuses every create in such a namespace
 * (NamespaceLifecycle admission: "unable to create new content in namespace … because it is being
 * terminated") until the namespace controller has emptied and removed it, which takes seconds after an
 * earlier lab or drill deleted it. Returns at once for a namespace that is absent or active: the live
 * namespace, or undefined when there is none (then, or once it went).
 */
export async function untilNotTerminating(
  kube: KubeApi,
  ns: string,
  clock: Clock,
  timeoutMs = 120_000,
): Promise<KubeObject | undefined> {
  let live: KubeObject | undefined;
  const settled = async (): Promise<boolean> => {
    live = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    return !live || (!live.metadata?.deletionTimestamp && live.status?.phase !== 'Terminating');
  };
  await pollUntil(clock, settled, {
    timeoutMs,
    everyMs: 250,
    timedOut: () =>
      new DrillError(
        'NAMESPACE_TERMINATING',
        `namespace ${ns} is still Terminating after ${Math.round(timeoutMs / 1000)}s`,
        ExitCode.Precondition,
        {
          hint: `something holds it open (a finalizer, an unavailable API service): kubectl get namespace ${ns} -o yaml shows its conditions`,
        },
      ),
  });
  return live;
}
