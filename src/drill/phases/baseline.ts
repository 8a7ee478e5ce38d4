import { readTarEntry } from '../../backupstore/tarball.js';
import { DrillError, ExitCode } from '../../errors.js';
import type { BackupContents } from '../../velero/contents.js';
import { inventoryKey, snapshotInventory, type InventoryItem } from '../../verify/inventory.js';
import { iso, type DrillContext, type PhaseOutcome } from '../context.js';

const WORKLOAD_KINDS = ['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet'];

/** `apps/Deployment thanos/query` → the name a workload check uses: `Deployment thanos/query`. */
export const workloadName = (i: InventoryItem): string => `${i.kind.split('/')[1]} ${i.namespace}/${i.name}`;

/** Objects live now that the backup does not hold: created after it, or left out by the Schedule's filters. */
export function scopeGap(inventory: InventoryItem[], contents: BackupContents): string[] {
  const held = new Set(contents.items.map((i) => `${i.kind} ${i.namespace ?? ''}/${i.name}`));
  return inventory.map(inventoryKey).filter((k) => !held.has(k));
}

/**
 * Baseline: what the targets hold before the disaster, the picture the restore is judged against.
 * Each target namespace must hold objects kdrill inventories (TARGET_EMPTY otherwise, exit 4); the
 * backup's contents are compared with what is live (the scope gap); the sentinel is read from the
 * backup, or written before a fresh one. The inventory comes first: until the sentinel is written,
 * nothing has been touched.
 */
export async function baseline(ctx: DrillContext): Promise<PhaseOutcome> {
  const { deps, s, state } = ctx;
  const spec = s.spec;
  // nothing was touched since preflight's discovery: its kinds are the ones there are
  const inventory = await snapshotInventory(deps.kube, spec.target.namespaces, undefined, { reuseDiscovery: true });
  const empty = spec.target.namespaces.filter((n) => !inventory.some((i) => i.namespace === n));
  if (empty.length) {
    throw new DrillError(
      'TARGET_EMPTY',
      `target namespace${empty.length > 1 ? 's' : ''} ${empty.join(', ')} ${empty.length > 1 ? 'hold' : 'holds'} nothing a restore would bring back (no Deployments, ConfigMaps, Services, … of its own)`,
      ExitCode.Precondition,
      {
        hint: 'a restore of an empty namespace proves nothing: point the scenario at the namespaces where the application lives',
      },
    );
  }
  const contents = state.preflight?.contents;
  const gap = contents ? scopeGap(inventory, contents) : undefined;
  const workloads = inventory.filter((i) => WORKLOAD_KINDS.includes(i.kind)).map(workloadName);
  const sentinelExpected = await sentinel(ctx);
  state.baseline = { inventory, workloads, sentinelExpected, scopeGap: gap };
  const detail = `${inventory.length} objects, ${workloads.length} workloads${sentinelExpected ? `; sentinel "${sentinelExpected}"` : ''}${gap?.length ? `; ${gap.length} not in the backup` : ''}`;
  return { ok: !gap?.length, detail };
}

/** The value the sentinel check expects back: written now before a fresh backup, else what the backup holds. */
async function sentinel(ctx: DrillContext): Promise<string | undefined> {
  const { deps, s, state } = ctx;
  const spec = s.spec;
  if (!spec.verify.some((v) => v.type === 'sentinel')) return undefined;
  const cmd = spec.sentinel?.command;
  if (cmd) {
    if (spec.backup.take) {
      const w = await deps.exec.run(cmd.write, {
        env: { ...process.env, KDRILL_RUN_ID: state.runId },
        timeoutMs: 300_000,
        signal: deps.signal,
      });
      if (w.exitCode !== 0)
        throw new DrillError(
          'SENTINEL_WRITE_FAILED',
          `the sentinel write command exited ${w.exitCode}: ${w.stderr.trim().slice(0, 200)}`,
          ExitCode.Precondition,
          { hint: 'it runs before anything is injected; fix it and rerun' },
        );
      return state.runId;
    }
    // without a fresh backup, what it reads now is taken as what the backup holds
    const r = await deps.exec.run(cmd.read, { timeoutMs: 300_000, signal: deps.signal });
    return r.exitCode === 0 ? r.stdout.trim() : undefined;
  }
  const ns = spec.sentinel?.namespace ?? spec.target.namespaces[0]!;
  const name = spec.sentinel?.configMap ?? 'kdrill-sentinel';
  const key = spec.sentinel?.key ?? 'runId';
  if (spec.backup.take) {
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name };
    const data = { [key]: state.runId, writtenAt: iso(deps.clock.now()) };
    if (await deps.kube.get(ref)) await deps.kube.patch(ref, { data });
    else
      await deps.kube.create({
        ...ref,
        metadata: { name, namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'kdrill' } },
        data,
      });
    return state.runId;
  }
  return sentinelInBackup(ctx, { namespace: ns, name, key });
}

/** The sentinel value the chosen backup holds, read from its tarball in the bucket (stopping at that entry). */
async function sentinelInBackup(
  ctx: DrillContext,
  sentinel: { namespace: string; name: string; key: string },
): Promise<string | undefined> {
  const { namespace: ns, name, key } = sentinel;
  const { deps, s, state } = ctx;
  const backup = state.preflight!.backup.name;
  const { store, prefix } = await deps.storeFor(
    deps.kube,
    s.spec.backup.veleroNamespace,
    s.spec.backup.storageLocation,
  );
  const gz = await store.get(`${prefix}backups/${backup}/${backup}.tar.gz`);
  if (!gz) return undefined;
  try {
    const f = await readTarEntry(gz, `resources/configmaps/namespaces/${ns}/${name}.json`);
    return f ? (JSON.parse(f.toString()) as { data?: Record<string, string> }).data?.[key] : undefined;
  } catch {
    return undefined;
  }
}
