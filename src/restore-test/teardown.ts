import type { RunDeps } from '../drill/context.js';
import type { RunState } from '../drill/state.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { Scenario } from '../scenario/schema.js';
import { RESTORE_TERMINAL, V } from '../velero/velero.js';
import { waitForVelero } from '../velero/wait.js';
import { ownSandbox } from './names.js';
import type { TeardownRecord } from './state.js';

const GONE_TIMEOUT_MS = 300_000;
const POLL_MS = 500;

/**
 * A Restore still running would create the namespace again as soon as it is gone (Velero ensures the
 * namespace of every item): wait for the Restores of this run to end first, up to the recovery timeout.
 */
async function restoresEnded(
  deps: Pick<RunDeps, 'clock'>,
  k: KubeApi,
  s: Scenario,
  st: RunState,
  failures: string[],
): Promise<void> {
  const ns = s.spec.backup.veleroNamespace;
  for (const r of st.restoresCreated) {
    const now = await k.get({ ...V('Restore'), namespace: ns, name: r.name }).catch(() => undefined);
    if (!now || RESTORE_TERMINAL.has(String(now.status?.phase ?? ''))) continue;
    await waitForVelero(k, {
      kind: 'Restore',
      namespace: ns,
      name: r.name,
      terminal: RESTORE_TERMINAL,
      timeoutMs: s.spec.recovery.timeout * 1000,
      clock: deps.clock,
    }).catch((e: Error) =>
      failures.push(`Restore ${r.name} did not end (${e.message.split('\n')[0]}): it may still write into the sandbox`),
    );
  }
}

async function deleteNamespace(
  deps: Pick<RunDeps, 'clock'>,
  k: KubeApi,
  name: string,
  runId: string,
): Promise<string | undefined> {
  const ref = { apiVersion: 'v1', kind: 'Namespace', name };
  const ns = await k.get(ref);
  if (!ns) return undefined;
  // never a namespace this run did not make, whatever the journal says
  if (!ownSandbox(ns.metadata?.labels, runId))
    return `namespace ${name} is not labelled as this run's sandbox: left alone`;
  if (!ns.metadata?.deletionTimestamp) await k.delete(ref, { propagationPolicy: 'Background' });
  const deadline = deps.clock.now().getTime() + GONE_TIMEOUT_MS;
  while (await k.get(ref)) {
    if (deps.clock.now().getTime() > deadline)
      return `namespace ${name} is still Terminating after ${GONE_TIMEOUT_MS / 1000}s`;
    await deps.clock.sleep(POLL_MS);
  }
  return undefined;
}

/**
 * Tears the sandbox down, whatever happened (a failure, Ctrl-C): its Restores waited for, then each
 * namespace this run made deleted and waited for until gone, then the modifier ConfigMap. With --keep
 * the namespaces stay for inspection, with their expiry label for `kdrill gc`. Every request goes to
 * the cluster even after Ctrl-C: the ports here are not the abortable ones.
 */
export async function tearDown(
  deps: Pick<RunDeps, 'recoveryKube' | 'clock' | 'journal' | 'reporter'>,
  s: Scenario,
  st: RunState,
): Promise<TeardownRecord> {
  const rt = st.restoreTest!;
  const k = deps.recoveryKube;
  const failures: string[] = [];
  const deleted: string[] = [];
  if (!rt.keep && rt.created.namespaces.length) await restoresEnded(deps, k, s, st, failures);
  if (!rt.keep)
    for (const name of rt.created.namespaces) {
      const why = await deleteNamespace(deps, k, name, st.runId).catch(
        (e: Error) => `namespace ${name}: ${e.message.split('\n')[0]}`,
      );
      if (why) failures.push(why);
      else deleted.push(name);
    }
  if (rt.created.configMap)
    await k
      .delete({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: s.spec.backup.veleroNamespace,
        name: rt.created.configMap,
      })
      .catch((e: Error) =>
        failures.push(
          `ConfigMap ${s.spec.backup.veleroNamespace}/${rt.created.configMap}: ${e.message.split('\n')[0]}`,
        ),
      );
  const record: TeardownRecord = { at: deps.clock.now().toISOString(), kept: rt.keep, deleted, failures };
  rt.teardown = record;
  deps.journal.append('sandbox-torn-down', { teardown: record }, deps.clock.now());
  return record;
}
