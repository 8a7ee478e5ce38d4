import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Journal } from '../../src/drill/journal.js';
import type { DrillResult } from '../../src/drill/types.js';
import { writeReports } from '../../src/report/write.js';

/** The lab's credentials as a run directory holds them: a pack must never carry them. */
export const LAB_KEY_ID = 'KDRILLTESTKEYID0001';
export const LAB_SECRET = 'tEsT-SeCrEt-0123456789abcdefXYZ';

/** A passing namespace-loss drill, as result.json holds it; `over` changes what the test is about. */
export function sampleResult(over: Partial<DrillResult> = {}): DrillResult {
  const at = (s: number): string => new Date(Date.UTC(2026, 11, 1, 2, 0, s)).toISOString();
  return {
    runId: 'a1b2c3d4',
    scenario: 'namespace-loss',
    mode: 'run',
    context: 'kdrill-lab',
    recoveryContext: 'kdrill-lab',
    verdict: 'pass',
    exitCode: 0,
    startedAt: at(0),
    endedAt: at(20),
    backup: { name: 'nightly-1', phase: 'Completed', startTimestamp: at(-60), expiration: at(86400 * 30) },
    objectives: {
      rto: { objectiveSeconds: 14400, measuredSeconds: 12, met: true, detail: '12s against 4h' },
      rpo: { objectiveSeconds: 86400, measuredSeconds: 65, met: true, detail: '1m5s against 1d' },
      retention: {
        objectiveSeconds: 604800,
        backupTtlSeconds: 2592000,
        oldestBackupAgeSeconds: 100,
        newestBackupAgeSeconds: 60,
        met: true,
        detail: 'TTL 30d covers 7d',
      },
    },
    timeline: [{ phase: 'preflight', startedAt: at(0), endedAt: at(1), ok: true }],
    restores: [
      {
        name: 'namespace-loss-a1b2c3d4-1',
        context: 'kdrill-lab',
        phase: 'Completed',
        includedResources: ['networkpolicies.networking.k8s.io'],
        excludedResources: [],
        errors: 0,
        warnings: 0,
        failedItems: [],
        results: 'not-needed',
      },
    ],
    verify: [
      { type: 'workloads-ready', passed: true, detail: 'every workload in thanos is available', at: at(15) },
      { type: 'sentinel', passed: true, detail: 'thanos/kdrill-sentinel runId="seed"', at: at(16) },
      { type: 'inventory', passed: true, detail: 'all 66 objects back', at: at(17) },
    ],
    disaster: [{ type: 'delete-namespace', detail: 'deleted namespace thanos', at: at(3) }],
    findings: [],
    actionItems: [],
    backupScope: { backup: 'nightly-1', source: 'resource-list', namespaces: ['thanos'], items: 94, gap: [] },
    interruptions: [],
    protection: {
      bucket: {
        name: 'kdrill-lab-backups',
        prefix: '',
        versioning: 'Enabled',
        objectLock: true,
        defaultRetention: { mode: 'GOVERNANCE', days: 31 },
      },
      backups: [
        {
          name: 'nightly-1',
          phase: 'Completed',
          objects: 7,
          locked: 7,
          unlocked: 0,
          legalHolds: 0,
          noncurrent: 1,
          deleteMarkers: 0,
          shortestRetainUntil: at(86400 * 31),
          expiration: at(86400 * 30),
        },
      ],
      kopia: { objects: 0, unlocked: 0 },
      canary: { key: 'kdrill-canary-a1b2c3d4', deleteRefused: true },
      findings: [],
      stats: { versions: 7, requests: 13, seconds: 0.2 },
    },
    drill: {
      goals: ['measure RTO'],
      leader: 'on-call platform engineer',
      observers: [],
      discovery: 'ticket',
      cause: 'kubectl delete namespace',
    },
    notes: [],
    versions: { kdrill: '0.1.0', clusters: [{ context: 'kdrill-lab', kubernetes: 'v1.30.0', velero: 'v1.14.1' }] },
    ...over,
  };
}

/**
 * A run directory as `kdrill run --lab` leaves it: the reports written by the real writers, a journal
 * with its hash chain, the scenario as run, and the lab's credentials file beside them.
 */
export async function syntheticRun(dir: string, r: DrillResult = sampleResult()): Promise<string> {
  await mkdir(join(dir, 'lab'), { recursive: true });
  await writeReports(dir, r);
  await copyFile('scenarios/namespace-loss.yaml', join(dir, 'scenario.yaml'));
  await writeFile(
    join(dir, 'lab', 's3-credentials'),
    `[default]\naws_access_key_id=${LAB_KEY_ID}\naws_secret_access_key=${LAB_SECRET}\n`,
  );
  const j = new Journal(dir);
  const at = (s: number) => new Date(Date.parse(r.startedAt) + s * 1000);
  j.append('run-started', { runId: r.runId, scenario: r.scenario, kubeconfig: join(dir, 'lab', 'kubeconfig') }, at(0));
  j.append('phase-started', { phase: 'preflight' }, at(1));
  j.append('phase-ended', { phase: 'preflight', ok: true }, at(2));
  j.append('inject-started', {}, at(3));
  j.append('restore-creating', { phase: 1, name: `${r.scenario}-${r.runId}-1` }, at(4));
  j.append('verify-done', { passed: true }, at(17));
  j.append('run-ended', { verdict: r.verdict, exitCode: r.exitCode }, at(20));
  return dir;
}
