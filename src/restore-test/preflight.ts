import type { DrillContext, PhaseOutcome, RunDeps } from '../drill/context.js';
import { preflight } from '../drill/phases/preflight.js';
import { rpoAtStartFinding } from '../drill/rpo-at-start.js';
import { DrillError, ExitCode } from '../errors.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { Scenario } from '../scenario/schema.js';
import { secondsBetween } from '../time/k8s-time.js';
import { isVeleroServer } from '../velero/health.js';
import { expectedInventory } from './expected.js';
import { isolationChanges, isolationRules } from './isolation-patches.js';
import { readBackupManifests } from './manifests.js';
import { modifierName, ownSandbox } from './names.js';
import { pickBackup, type PickedBackup } from './pick.js';

/** Merge patches in resource modifiers came with Velero v1.13. */
const MIN_VELERO: [number, number] = [1, 13];

/** The drill's preflight on the backup picked, with the sandbox cluster free to hold the source names. */
function asDrill(s: Scenario, picked: PickedBackup): Scenario {
  const backup = picked.name
    ? { ...s.spec.backup, name: picked.name, from: undefined, pick: undefined }
    : s.spec.backup;
  return { ...s, spec: { ...s.spec, backup, recovery: { ...s.spec.recovery, allowExisting: true } } };
}

/** A restore test writes only into its own sandbox: the destructive allow-list is not what guards it. */
const allowingItsContexts = (deps: RunDeps): RunDeps['allowed'] => ({
  ...deps.allowed,
  contexts: new Set([...deps.allowed.contexts, deps.kube.context, deps.recoveryKube.context]),
});

async function veleroCanModify(kube: KubeApi, ns: string, notes: string[]): Promise<void> {
  const servers = (await kube.list({ apiVersion: 'apps/v1', kind: 'Deployment' }, { namespace: ns })).items.filter(
    isVeleroServer,
  );
  const images = servers.flatMap((d) =>
    ((d.spec?.template?.spec?.containers ?? []) as { image?: string }[]).map((c) => c.image ?? ''),
  );
  const v = images.map((i) => /\/velero:v(\d+)\.(\d+)/.exec(i)).find(Boolean);
  if (!v) {
    notes.push(
      `the Velero version in context "${kube.context}" is not in its image (${images.join(', ') || 'none'}): kdrill checks after the restore that the sandbox's changes were applied`,
    );
    return;
  }
  const [major, minor] = [Number(v[1]), Number(v[2])];
  if (major > MIN_VELERO[0] || (major === MIN_VELERO[0] && minor >= MIN_VELERO[1])) return;
  throw new DrillError(
    'VELERO_TOO_OLD',
    `Velero v${major}.${minor} in context "${kube.context}" cannot fence a sandbox off as it restores: resource modifier merge patches need v1.13 or later`,
    ExitCode.Precondition,
    { hint: 'upgrade Velero (kdrill supports v1.14 and v1.18)' },
  );
}

async function sandboxFree(kube: KubeApi, mapping: Record<string, string>, runId: string): Promise<void> {
  for (const name of Object.values(mapping)) {
    const ns = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name });
    if (ns && !ownSandbox(ns.metadata?.labels, runId))
      throw new DrillError(
        'SANDBOX_EXISTS',
        `namespace ${name} already exists in context "${kube.context}": a restore test restores only into namespaces it creates`,
        ExitCode.Precondition,
        {
          hint: `give the sandbox another name (spec.sandbox.namespaces), or remove ${name} if it is an old sandbox (kdrill gc --context ${kube.context})`,
        },
      );
  }
  if (!(await kube.serves({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' })))
    throw new DrillError(
      'ISOLATION_UNAVAILABLE',
      `context "${kube.context}" serves no networking.k8s.io/v1 NetworkPolicy: the sandbox could not be fenced off`,
      ExitCode.Precondition,
      { hint: 'restore-test into a cluster with NetworkPolicies (and a network plugin that enforces them)' },
    );
}

/** Outside the RPO now? The newest backup says, not an older one the test picked. */
function rpoFindings(ctx: DrillContext, picked: PickedBackup): void {
  const pf = ctx.state.preflight!;
  if (!picked.rpoBackup) return;
  pf.findings = pf.findings.filter((f) => !(f.code === 'RPO_BREACHED_AT_START' && f.key === pf.backup.name));
  const age = secondsBetween(picked.rpoBackup.startTimestamp, ctx.deps.clock.now());
  const late = rpoAtStartFinding(picked.rpoBackup.name, age, ctx.s.spec.objectives.rpo);
  if (late) pf.findings.push(late);
}

/**
 * A restore test's preflight: the backup picked (newest, named, or random in the window), then the
 * drill's own preflight on it (Velero running, the backup holding every source namespace, its
 * protection audited), then what only a restore test needs: Velero new enough to apply the sandbox's
 * changes, sandbox names that nothing holds, NetworkPolicies served, and the backup's manifests, from
 * which the isolation rules and the expected sandbox are planned. Nothing is written.
 */
export async function restoreTestPreflight(ctx: DrillContext): Promise<PhaseOutcome> {
  const { deps, s, state } = ctx;
  const rt = state.restoreTest!;
  const picked = await pickBackup(deps.kube, s, deps.clock.now());
  const out = await preflight({ ...ctx, s: asDrill(s, picked), deps: { ...deps, allowed: allowingItsContexts(deps) } });
  rpoFindings(ctx, picked);
  await veleroCanModify(deps.recoveryKube, s.spec.backup.veleroNamespace, state.notes);
  await sandboxFree(deps.recoveryKube, rt.mapping, state.runId);
  const bucket = await deps.storeFor(deps.kube, s.spec.backup.veleroNamespace, s.spec.backup.storageLocation);
  const manifests = await readBackupManifests(
    {
      kube: deps.kube,
      veleroNamespace: s.spec.backup.veleroNamespace,
      store: bucket,
      download: { clock: deps.clock, signal: deps.signal, fetch: deps.fetchUrl },
    },
    state.preflight!.backup.name,
    s.spec.target.namespaces,
  );
  rt.plan = {
    pick: picked.pick,
    rpoBackup: picked.rpoBackup,
    modifier: { name: modifierName(s), rules: isolationRules(manifests, s.spec.target.namespaces) },
    changes: isolationChanges(manifests),
    expected: expectedInventory(manifests, rt.mapping),
    newerThanBackup: [],
  };
  deps.journal.append('restore-test-planned', { plan: rt.plan }, deps.clock.now());
  const how = picked.pick.how === 'random' ? `, picked at random of ${picked.pick.candidates}` : '';
  return {
    ok: out.ok && !state.preflight!.findings.some((f) => f.severity !== 'P3'),
    detail: `${out.detail}${how}; sandbox ${Object.values(rt.mapping).join(', ')} in ${deps.recoveryKube.context}; ${rt.plan.changes.length} object(s) to fence off`,
  };
}
