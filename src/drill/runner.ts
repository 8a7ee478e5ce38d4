import type { ObjectStore } from '../backupstore/object-store.js';
import { auditBackups } from '../backupstore/audit.js';
import { AwsObjectStore } from '../backupstore/aws-object-store.js';
import { parseAwsCredentials } from '../backupstore/bsl.js';
import { inject, nodeControlFor, revert } from '../disaster/injectors.js';
import type { InjectContext } from '../disaster/types.js';
import { DrillError, ExitCode } from '../errors.js';
import type { CommandRunner } from '../exec/command.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import { untarGz } from '../lab/velero/tar.js';
import type { Scenario } from '../scenario/schema.js';
import type { Clock } from '../time/clock.js';
import { secondsBetween } from '../time/k8s-time.js';
import { diffInventory, snapshotInventory } from '../verify/inventory.js';
import { runProbe } from '../verify/probes.js';
import { BACKUP_TERMINAL, RESTORE_TERMINAL, V, chooseBackup, restoreFailedItems, veleroReachable, waitForBackupSync, waitForPhase } from '../velero/velero.js';
import type { Journal } from './journal.js';
import { restorePhases } from './plan.js';
import type { BackupInfo, RunState } from './state.js';
import type { Finding, Phase, RestoreRecord, VerifyRecord } from './types.js';

export interface Reporter {
  phase(phase: Phase, status: 'start' | 'ok' | 'fail' | 'skip', detail?: string): void;
  info(msg: string): void;
}

export interface RunDeps {
  kube: KubeApi;
  recoveryKube: KubeApi;
  /** The S3 behind a BSL, and its prefix. */
  storeFor(kube: KubeApi, namespace: string, bsl: string): Promise<{ store: ObjectStore; prefix: string }>;
  exec: CommandRunner;
  clock: Clock;
  reporter: Reporter;
  signal: AbortSignal;
  journal: Journal;
  allowed: { contexts: Set<string>; sources: string[] };
  /** Recovery by something other than kdrill's Velero restores: a runbook (kdrill guide). */
  recoverWith?: () => Promise<{ ok: boolean; detail: string }>;
}

const iso = (d: Date): string => d.toISOString();
const backupInfo = (b: KubeObject): BackupInfo => ({
  name: b.metadata?.name ?? '',
  phase: String(b.status?.phase ?? ''),
  startTimestamp: String(b.status?.startTimestamp ?? ''),
  completionTimestamp: b.status?.completionTimestamp as string | undefined,
  expiration: b.status?.expiration as string | undefined,
});

/**
 * Runs (or resumes) a drill: preflight → baseline → [backup] → inject → recover → verify, each phase
 * journaled before it acts, every revert pushed on the cleanup stack. Failures of the drill itself
 * become findings and a `fail` verdict; only preconditions (exit 4) and interrupts (130) throw.
 */
export async function runDrill(deps: RunDeps, s: Scenario, state: RunState): Promise<void> {
  const { kube, clock, reporter, journal, signal } = deps;
  const spec = s.spec;
  const veleroNs = spec.backup.veleroNamespace;
  const sentinelNs = spec.sentinel?.namespace ?? spec.target.namespaces[0]!;
  let control: Promise<'lab' | 'kind' | 'none'> | undefined;
  const injectCtx = async (): Promise<InjectContext> => ({ kube, clock, exec: deps.exec, signal, nodeControl: () => (control ??= nodeControlFor(kube)) });

  const phase = async <T>(name: Phase, fn: () => Promise<T>, done?: (r: T) => string | undefined): Promise<T> => {
    journal.append('phase-started', { phase: name }, clock.now());
    state.timeline.push({ phase: name, startedAt: iso(clock.now()) });
    reporter.phase(name, 'start');
    const cpu0 = process.cpuUsage();
    try {
      const r = await fn();
      const detail = done?.(r);
      end(name, true, detail, cpu0);
      return r;
    } catch (e) {
      end(name, false, (e as Error).message.split('\n')[0], cpu0);
      throw e;
    }
  };
  const end = (name: Phase, ok: boolean, detail?: string, cpu0?: NodeJS.CpuUsage): void => {
    journal.append('phase-ended', { phase: name, ok, detail }, clock.now());
    const t = [...state.timeline].reverse().find((x) => x.phase === name && !x.endedAt);
    // kdrill's own CPU in the phase: where the orchestrator spends it (bench, and a slow drill's first question)
    const cpu = cpu0 ? process.cpuUsage(cpu0) : undefined;
    if (t) Object.assign(t, { endedAt: iso(clock.now()), ok, detail, ...(cpu ? { cpuSeconds: (cpu.user + cpu.system) / 1e6 } : {}) });
    reporter.phase(name, ok ? 'ok' : 'fail', detail);
  };

  // ---- preflight: nothing is touched until every check passes (exit 4 otherwise)
  if (!state.preflight) {
    state.preflight = await phase(
      'preflight',
      async () => {
        for (const ctx of new Set([kube.context, deps.recoveryKube.context])) {
          if (!deps.allowed.contexts.has(ctx)) {
            throw new DrillError('CONTEXT_NOT_ALLOWED', `context "${ctx}" is not allow-listed for destructive drills`, ExitCode.Precondition, {
              hint: `allow it with --allow-context ${ctx}, KDRILL_ALLOW_CONTEXTS, or allowContexts in .kdrill.yaml (now from: ${deps.allowed.sources.join(', ')})`,
            });
          }
        }
        await veleroReachable(kube, veleroNs, spec.backup.storageLocation);
        if (deps.recoveryKube !== kube) await veleroReachable(deps.recoveryKube, veleroNs, spec.backup.storageLocation);
        const findings: Finding[] = [];
        let chosen: BackupInfo;
        let all: BackupInfo[];
        if (spec.backup.take) {
          chosen = { name: '(taken during the drill)', phase: 'New', startTimestamp: '' };
          all = (await chooseBackup(kube, veleroNs, { allowPartiallyFailed: true }).catch(() => ({ all: [] as KubeObject[] }))).all.map(backupInfo);
        } else {
          const c = await chooseBackup(kube, veleroNs, { name: spec.backup.name, schedule: spec.backup.schedule, allowPartiallyFailed: spec.backup.allowPartiallyFailed });
          chosen = backupInfo(c.backup);
          all = c.all.map(backupInfo);
          const age = secondsBetween(chosen.startTimestamp, clock.now());
          if (age > spec.objectives.rpo) {
            findings.push({ severity: 'P2', code: 'RPO_BREACHED_AT_START', message: `the newest usable backup (${chosen.name}) is ${Math.round(age / 3600)}h old: a disaster now loses more than the ${Math.round(spec.objectives.rpo / 3600)}h RPO allows`, fix: 'check the Schedule runs and its backups complete (velero schedule describe)' });
          }
        }
        const stale = (await kube.list(V('Restore'), { namespace: veleroNs, labelSelector: `kdrill.dev/scenario=${s.metadata.name}` })).items.filter((r) => !RESTORE_TERMINAL.has(String(r.status?.phase ?? '')));
        if (stale.length) {
          throw new DrillError('STALE_RESTORE', `an unfinished Restore from an earlier run exists: ${stale.map((r) => r.metadata?.name).join(', ')}`, ExitCode.Precondition, { hint: 'let it finish, or delete it (and resume the earlier run with `kdrill resume <dir>` if that is what it was)' });
        }
        // the same audit as `kdrill audit`, for the backup this drill restores
        const { store, prefix } = await deps.storeFor(kube, veleroNs, spec.backup.storageLocation);
        const report = await auditBackups({
          store,
          prefix,
          backups: spec.backup.take ? [] : [chosen],
          policy: spec.protection.objectLock,
          marginSeconds: 86400,
          canary: { enabled: spec.protection.objectLock.canary, key: `kdrill-canary-${state.runId}`, retentionSeconds: 600 },
          replica: spec.protection.replica ? await replicaStore(kube, spec.protection.replica) : undefined,
          concurrency: 32,
          now: clock.now(),
        });
        findings.push(...report.findings);
        if (spec.protection.objectLock.required && report.findings.some((f) => f.severity === 'P1')) {
          reporter.info('backup protection has P1 findings: the drill continues, and the verdict will say so');
        }
        return { backup: chosen, allBackups: all, findings, protection: report };
      },
      (r) => `backup ${r.backup.name}; ${r.findings.length} finding(s)`,
    );
    journal.append('preflight-done', { preflight: state.preflight }, clock.now());
  }

  // ---- baseline: inventory, and the sentinel written before a fresh backup
  if (!state.baseline) {
    state.baseline = await phase(
      'baseline',
      async () => {
        let sentinelExpected: string | undefined;
        const cmd = spec.sentinel?.command;
        if (spec.verify.some((v) => v.type === 'sentinel') && cmd) {
          if (spec.backup.take) {
            const w = await deps.exec.run(cmd.write, { env: { ...process.env, KDRILL_RUN_ID: state.runId }, timeoutMs: 300_000, signal });
            if (w.exitCode !== 0) throw new DrillError('SENTINEL_WRITE_FAILED', `the sentinel write command exited ${w.exitCode}: ${w.stderr.trim().slice(0, 200)}`, ExitCode.Precondition, { hint: 'it runs before anything is injected; fix it and rerun' });
            sentinelExpected = state.runId;
          } else {
            // without a fresh backup, what it reads now is taken as what the backup holds
            const r = await deps.exec.run(cmd.read, { timeoutMs: 300_000, signal });
            sentinelExpected = r.exitCode === 0 ? r.stdout.trim() : undefined;
          }
        } else if (spec.verify.some((v) => v.type === 'sentinel')) {
          const cmName = spec.sentinel?.configMap ?? 'kdrill-sentinel';
          const key = spec.sentinel?.key ?? 'runId';
          if (spec.backup.take) {
            sentinelExpected = state.runId;
            const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: sentinelNs, name: cmName };
            const body = { ...ref, metadata: { name: cmName, namespace: sentinelNs, labels: { 'app.kubernetes.io/managed-by': 'kdrill' } }, data: { [key]: state.runId, writtenAt: iso(clock.now()) } };
            if (await kube.get(ref)) await kube.patch(ref, { data: body.data });
            else await kube.create(body);
          } else {
            sentinelExpected = await sentinelInBackup(deps, veleroNs, spec.backup.storageLocation, state.preflight!.backup.name, sentinelNs, cmName, key);
          }
        }
        const inventory = await snapshotInventory(kube, spec.target.namespaces);
        const workloads = inventory.filter((i) => ['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet'].includes(i.kind)).map((i) => `${i.kind.split('/')[1]} ${i.namespace}/${i.name}`);
        return { inventory, workloads, sentinelExpected };
      },
      (b) => `${b.inventory.length} objects, ${b.workloads.length} workloads${b.sentinelExpected ? `; sentinel "${b.sentinelExpected}"` : ''}`,
    );
    journal.append('baseline-done', { baseline: state.baseline }, clock.now());
  }

  // ---- backup (optional): a fresh one, taken and waited for
  if (spec.backup.take && state.preflight.backup.phase !== 'Completed') {
    const b = await phase('backup', async () => {
      const name = state.takenBackup ?? `${s.metadata.name}-${state.runId}`;
      if (!state.takenBackup) {
        journal.append('backup-created', { name }, clock.now());
        state.takenBackup = name;
        await kube.create({ ...V('Backup'), metadata: { name, namespace: veleroNs, labels: { 'kdrill.dev/run-id': state.runId, 'kdrill.dev/scenario': s.metadata.name } }, spec: { includedNamespaces: spec.target.namespaces, storageLocation: spec.backup.storageLocation, ttl: '720h0m0s' } });
      }
      const r = await waitForPhase(kube, 'Backup', veleroNs, name, BACKUP_TERMINAL, { timeoutMs: spec.backup.timeout * 1000, clock, signal });
      const info = backupInfo(r.object);
      if (info.phase !== 'Completed' && !(info.phase === 'PartiallyFailed' && spec.backup.allowPartiallyFailed)) {
        throw new DrillError('BACKUP_FAILED', `the drill's backup ${name} ended ${info.phase}${r.object.status?.failureReason ? `: ${r.object.status.failureReason}` : ''}`, ExitCode.Precondition, { hint: `velero backup describe ${name} --details` });
      }
      return info;
    }, (i) => `${i.name} ${i.phase}`);
    state.preflight.backup = b;
    journal.append('backup-done', { backup: b }, clock.now());
  }

  // ---- inject: each step asserted to have happened; its revert goes on the cleanup stack
  if (!state.injectDone) {
    await phase('inject', async () => {
      if (!state.injectStartedAt) {
        state.injectStartedAt = iso(clock.now());
        journal.append('inject-started', {}, clock.now());
      }
      const ctx = await injectCtx();
      for (const [index, step] of spec.disaster.entries()) {
        if (state.injected.some((x) => x.index === index)) continue;
        signal.throwIfAborted();
        journal.append('inject-step-started', { index, type: step.type }, clock.now());
        const r = await inject(ctx, step);
        const at = iso(clock.now());
        state.injected.push({ index, type: step.type, detail: r.detail, at, revert: r.revert });
        journal.append('inject-step-done', { index, type: step.type, detail: r.detail, revert: r.revert }, clock.now());
        reporter.info(`  ${r.detail}`);
      }
      state.injectDone = true;
      journal.append('inject-done', {}, clock.now());
    }, () => `${state.injected.length} step(s); the disaster happened`);
  }

  // ---- recover: one Restore per phase, each waited on by watch; recovery into another cluster waits for sync
  if (!state.recoverDone) {
    await phase('recover', async () => {
      const rk = deps.recoveryKube;
      if (deps.recoverWith) {
        const r = await deps.recoverWith();
        if (!r.ok) state.notes.push(`the runbook stopped: ${r.detail}`);
        state.recoverDone = true;
        journal.append('recover-done', {}, clock.now());
        return;
      }
      if (spec.recovery.mode === 'command') {
        const r = await deps.exec.run(spec.recovery.command ?? [], { timeoutMs: spec.recovery.timeout * 1000, signal });
        if (r.exitCode !== 0) state.notes.push(`the recovery command exited ${r.exitCode}: ${r.stderr.trim().slice(0, 200)}`);
        return;
      }
      if (spec.recovery.mode === 'runbook') throw new DrillError('RUNBOOK_MODE', 'recovery mode "runbook" is run by `kdrill guide`, not `kdrill run`', ExitCode.Usage, { hint: `kdrill guide ${spec.recovery.runbook ?? 'runbooks/<file>.md'} --scenario <this file>` });
      const backupName = state.preflight!.backup.name;
      if (rk !== kube) {
        reporter.info(`  waiting for backup ${backupName} to sync into context ${rk.context}`);
        await waitForBackupSync(rk, veleroNs, backupName, { timeoutMs: 300_000, clock, signal });
      }
      const { store, prefix } = await deps.storeFor(rk, veleroNs, spec.backup.storageLocation);
      for (const [i, p] of restorePhases(s).entries()) {
        if (state.restores.some((r) => r.name.endsWith(`-${i + 1}`) && r.name.startsWith(`${s.metadata.name}-${state.runId}`))) continue;
        const name = `${s.metadata.name}-${state.runId}-${i + 1}`;
        if (!state.restoresCreated.some((r) => r.name === name)) {
          journal.append('restore-creating', { phase: i + 1, name }, clock.now());
          state.restoresCreated.push({ phase: i + 1, name });
        }
        // a restore created before a crash is waited on, not created again
        if (!(await rk.get({ ...V('Restore'), namespace: veleroNs, name }))) {
          await rk.create({
            ...V('Restore'),
            metadata: { name, namespace: veleroNs, labels: { 'kdrill.dev/run-id': state.runId, 'kdrill.dev/scenario': s.metadata.name, 'kdrill.dev/phase': String(i + 1) } },
            spec: { backupName, includedNamespaces: spec.target.namespaces, ...(p.include ? { includedResources: p.include } : {}), ...(p.exclude ? { excludedResources: p.exclude } : {}), existingResourcePolicy: spec.recovery.existingResourcePolicy, restorePVs: true },
          });
        }
        reporter.info(`  restore ${name}${p.include ? ` (include ${p.include.join(', ')})` : ''}${p.exclude ? ` (exclude ${p.exclude.join(', ')})` : ''}`);
        const done = await waitForPhase(rk, 'Restore', veleroNs, name, RESTORE_TERMINAL, { timeoutMs: spec.recovery.timeout * 1000, clock, signal });
        const st = done.object.status ?? {};
        const failed = st.phase === 'PartiallyFailed' || st.phase === 'Failed' ? await restoreFailedItems(store, prefix, name).catch(() => ({ items: [], warnings: [] })) : { items: [], warnings: [] };
        const record: RestoreRecord = {
          name,
          context: rk.context,
          phase: String(st.phase),
          includedResources: p.include ?? [],
          excludedResources: p.exclude ?? [],
          startedAt: st.startTimestamp as string | undefined,
          completedAt: (st.completionTimestamp as string | undefined) ?? iso(done.seenAt),
          errors: Number(st.errors ?? failed.items.length),
          warnings: Number(st.warnings ?? 0),
          failedItems: failed.items,
          failureReason: (st.failureReason as string | undefined) ?? ((st.validationErrors as string[] | undefined)?.join('; ') || undefined),
        };
        state.restores.push(record);
        journal.append('restore-ended', { record }, clock.now());
        reporter.info(`  ${name}: ${record.phase}${record.failedItems.length ? `, ${record.failedItems.length} item(s) failed` : ''}`);
        if (record.phase === 'Failed' || record.phase === 'FailedValidation') break;
      }
      state.recoverDone = true;
      journal.append('recover-done', {}, clock.now());
    }, () => state.restores.map((r) => `${r.name} ${r.phase}`).join(', ') || 'done');
  }

  // ---- verify: readiness, probes, sentinel, inventory; RTO ends when all pass
  if (!state.verify) {
    const records = await phase('verify', async () => {
      const rk = deps.recoveryKube;
      const out: VerifyRecord[] = [];
      const ctx = { kube: rk, exec: deps.exec, clock, signal, namespaces: spec.target.namespaces, expectedWorkloads: state.baseline!.workloads };
      for (const v of spec.verify) {
        signal.throwIfAborted();
        let r: { passed: boolean; detail: string };
        if (v.type === 'sentinel' && spec.sentinel?.command) {
          const got = await deps.exec.run(spec.sentinel.command.read, { timeoutMs: 300_000, signal });
          const value = got.stdout.trim();
          const expected = state.baseline!.sentinelExpected;
          r = got.exitCode !== 0 ? { passed: false, detail: `the sentinel read command exited ${got.exitCode}: ${got.stderr.trim().slice(0, 200)}` } : { passed: value === expected, detail: value === expected ? `read back "${value}"` : `read "${value}", expected "${expected ?? '<none>'}"` };
        } else if (v.type === 'sentinel') r = await checkSentinel(rk, sentinelNs, spec.sentinel?.configMap ?? 'kdrill-sentinel', spec.sentinel?.key ?? 'runId', state.baseline!.sentinelExpected);
        else if (v.type === 'inventory') {
          const d = diffInventory(state.baseline!.inventory, await snapshotInventory(rk, spec.target.namespaces), v.ignore);
          const passed = d.missing.length === 0 && d.changed.length === 0;
          const parts = [d.missing.length ? `missing ${d.missing.length}: ${d.missing.slice(0, 6).join(', ')}` : '', d.changed.length ? `changed ${d.changed.length}: ${d.changed.slice(0, 6).join(', ')}` : ''].filter(Boolean);
          r = { passed, detail: passed ? `all ${state.baseline!.inventory.length} objects back${d.extra.length ? `; ${d.extra.length} extra: ${d.extra.slice(0, 5).join(', ')}` : ''}` : parts.join('; ') };
        } else r = await runProbe(ctx, v);
        out.push({ type: v.type, passed: r.passed, detail: r.detail, at: iso(clock.now()) });
        reporter.info(`  ${r.passed ? 'ok  ' : 'FAIL'} ${v.type}: ${r.detail}`);
      }
      return out;
    }, (r) => `${r.filter((x) => x.passed).length}/${r.length} passed`);
    const passedAt = records.every((r) => r.passed) ? records[records.length - 1]!.at : undefined;
    state.verify = { records, passedAt };
    journal.append('verify-done', { records, passedAt }, clock.now());
  }
}

/** The off-site copy a scenario names, with credentials from its own Secret. */
async function replicaStore(kube: KubeApi, r: NonNullable<Scenario['spec']['protection']['replica']>): Promise<{ store: ObjectStore; prefix: string }> {
  let credentials;
  if (r.credentialsSecret) {
    const sec = await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace: r.credentialsSecret.namespace, name: r.credentialsSecret.name });
    const raw = (sec?.data as Record<string, string> | undefined)?.[r.credentialsSecret.key];
    credentials = raw ? parseAwsCredentials(Buffer.from(raw, 'base64').toString('utf8')) : undefined;
    if (!credentials) throw new DrillError('REPLICA_CREDENTIALS', `the replica credentials Secret ${r.credentialsSecret.namespace}/${r.credentialsSecret.name} (key ${r.credentialsSecret.key}) has no AWS credentials`, ExitCode.Precondition, { hint: 'the key should hold an AWS credentials file' });
  }
  const prefix = r.prefix ? `${r.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
  return { store: new AwsObjectStore({ endpoint: r.endpoint, region: r.region, bucket: r.bucket, prefix, forcePathStyle: !!r.endpoint, credentials }), prefix };
}

/** Runs the reverts on the cleanup stack, newest first. Returns what could not be undone. */
export async function runReverts(deps: Pick<RunDeps, 'kube' | 'clock' | 'exec' | 'journal' | 'reporter'>, state: RunState): Promise<string[]> {
  const failures: string[] = [];
  const ctx: InjectContext = { kube: deps.kube, clock: deps.clock, exec: deps.exec, nodeControl: () => Promise.resolve('none') };
  for (const step of [...state.injected].reverse()) {
    if (!step.revert || state.reverted.includes(step.index)) continue;
    try {
      const msg = await revert(ctx, step.revert);
      state.reverted.push(step.index);
      deps.journal.append('revert-done', { index: step.index, detail: msg }, deps.clock.now());
      deps.reporter.info(`  reverted: ${msg}`);
    } catch (e) {
      failures.push(`${step.type}: ${(e as Error).message}`);
      deps.journal.append('revert-failed', { index: step.index, error: (e as Error).message }, deps.clock.now());
    }
  }
  return failures;
}

async function checkSentinel(kube: KubeApi, ns: string, name: string, key: string, expected: string | undefined): Promise<{ passed: boolean; detail: string }> {
  const cm = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name });
  const got = (cm?.data as Record<string, string> | undefined)?.[key];
  if (!cm) return { passed: false, detail: `ConfigMap ${ns}/${name} did not come back` };
  if (expected === undefined) return { passed: false, detail: `the backup holds no sentinel ${ns}/${name}: nothing to compare` };
  return got === expected ? { passed: true, detail: `${ns}/${name} ${key}="${got}", as written before the backup` } : { passed: false, detail: `${ns}/${name} ${key}="${got ?? '<none>'}", expected "${expected}"` };
}

/** The sentinel value the chosen backup holds, read from its tarball in the bucket. */
async function sentinelInBackup(deps: RunDeps, veleroNs: string, bsl: string, backup: string, ns: string, name: string, key: string): Promise<string | undefined> {
  const { store, prefix } = await deps.storeFor(deps.kube, veleroNs, bsl);
  const gz = await store.get(`${prefix}backups/${backup}/${backup}.tar.gz`);
  if (!gz) return undefined;
  try {
    const f = untarGz(gz).get(`resources/configmaps/namespaces/${ns}/${name}.json`);
    return f ? (JSON.parse(f.toString()) as { data?: Record<string, string> }).data?.[key] : undefined;
  } catch {
    return undefined;
  }
}

