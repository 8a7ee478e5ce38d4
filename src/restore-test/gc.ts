import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import { RESTORE_TERMINAL, V } from '../velero/velero.js';
import { EXPIRES_LABEL, RUN_LABEL, SANDBOX_LABEL, SOURCE_LABEL } from './names.js';

export interface GcEntry {
  kind: 'Namespace' | 'ConfigMap';
  name: string;
  runId: string;
  source?: string;
  expiresAt?: string;
  action: 'deleted' | 'would delete' | 'kept';
  why: string;
}

export interface GcReport {
  context: string;
  entries: GcEntry[];
}

const iso = (unix: string | undefined): string | undefined =>
  unix && /^\d+$/.test(unix) ? new Date(Number(unix) * 1000).toISOString() : undefined;

/** Run ids with a Restore still running: their sandboxes would be made again as soon as they go. */
async function busyRuns(kube: KubeApi, veleroNamespace: string): Promise<Set<string>> {
  const all = (await kube.list(V('Restore'), { namespace: veleroNamespace, labelSelector: RUN_LABEL })).items;
  return new Set(
    all
      .filter((r) => !RESTORE_TERMINAL.has(String(r.status?.phase ?? '')))
      .map((r) => r.metadata?.labels?.[RUN_LABEL] ?? ''),
  );
}

type GcOptions = { now: Date; dryRun: boolean; veleroNamespace: string };

/** One sandbox namespace: removed when it is kdrill's, expired, and no Restore of its run still writes into it. */
async function collectNamespace(kube: KubeApi, ns: KubeObject, busy: Set<string>, o: GcOptions): Promise<GcEntry> {
  const l = ns.metadata?.labels ?? {};
  const runId = l[RUN_LABEL] ?? '';
  const expiresAt = iso(l[EXPIRES_LABEL]);
  const base = { kind: 'Namespace' as const, name: ns.metadata?.name ?? '', runId, source: l[SOURCE_LABEL], expiresAt };
  if (!runId || !l[SOURCE_LABEL] || !expiresAt)
    return { ...base, action: 'kept', why: "not all of kdrill's sandbox labels: not kdrill's to remove" };
  if (Date.parse(expiresAt) > o.now.getTime()) return { ...base, action: 'kept', why: `expires at ${expiresAt}` };
  if (busy.has(runId)) return { ...base, action: 'kept', why: `a Restore of run ${runId} is still running` };
  if (ns.metadata?.deletionTimestamp) return { ...base, action: 'deleted', why: 'already terminating' };
  if (!o.dryRun)
    await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: base.name }, { propagationPolicy: 'Background' });
  return { ...base, action: o.dryRun ? 'would delete' : 'deleted', why: `expired at ${expiresAt}` };
}

/** The resource-modifier ConfigMaps of runs that have no sandbox left. */
async function collectConfigMaps(kube: KubeApi, live: Set<string>, o: GcOptions): Promise<GcEntry[]> {
  const selector = `${RUN_LABEL},app.kubernetes.io/managed-by=kdrill`;
  const cms = (
    await kube.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: o.veleroNamespace, labelSelector: selector })
  ).items;
  const out: GcEntry[] = [];
  for (const cm of cms.filter((c) => c.metadata?.name?.startsWith('kdrill-rt-'))) {
    const runId = cm.metadata?.labels?.[RUN_LABEL] ?? '';
    const base = { kind: 'ConfigMap' as const, name: `${o.veleroNamespace}/${cm.metadata?.name ?? ''}`, runId };
    if (live.has(runId)) {
      out.push({ ...base, action: 'kept', why: `run ${runId} still has a sandbox or a Restore` });
      continue;
    }
    if (!o.dryRun)
      await kube.delete({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: o.veleroNamespace,
        name: cm.metadata?.name ?? '',
      });
    out.push({
      ...base,
      action: o.dryRun ? 'would delete' : 'deleted',
      why: `the resource modifiers of run ${runId}, which has no sandbox left`,
    });
  }
  return out;
}

/**
 * `kdrill gc`: the sandboxes a crashed or kept restore test left. A namespace goes only when it
 * carries all of kdrill's sandbox labels, its expiry has passed, and no Restore of its run is still
 * running; the resource-modifier ConfigMaps of runs without a live sandbox go with them.
 */
export async function collectSandboxes(kube: KubeApi, o: GcOptions): Promise<GcReport> {
  const busy = await busyRuns(kube, o.veleroNamespace);
  const sandboxes = (
    await kube.list({ apiVersion: 'v1', kind: 'Namespace' }, { labelSelector: `${SANDBOX_LABEL}=true` })
  ).items;
  const entries: GcEntry[] = [];
  for (const ns of sandboxes) entries.push(await collectNamespace(kube, ns, busy, o));
  const live = new Set([...busy, ...entries.filter((e) => e.action === 'kept').map((e) => e.runId)]);
  entries.push(...(await collectConfigMaps(kube, live, o)));
  return { context: kube.context, entries };
}

export function renderGc(r: GcReport): string {
  if (!r.entries.length) return `no restore-test sandbox in context "${r.context}"\n`;
  return `${r.entries.map((e) => `${e.action.padEnd(12)} ${e.kind} ${e.name}${e.source ? ` (sandbox of ${e.source}, run ${e.runId})` : ''}: ${e.why}`).join('\n')}\n`;
}
