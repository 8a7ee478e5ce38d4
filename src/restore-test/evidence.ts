import { listed } from '../drill/findings.js';
import type { RunState } from '../drill/state.js';
import type { Finding } from '../drill/types.js';
import type { SandboxChange } from './isolation-patches.js';
import { compareSource, type SourceComparison } from './source.js';
import type { BackupPick, IsolationRecord, RestoreTestState, TeardownRecord } from './state.js';

/** What result.json says of a restore test's sandbox. */
export interface SandboxEvidence {
  context: string;
  namespaces: { source: string; sandbox: string }[];
  expiresAt: string;
  kept: boolean;
  backupPick?: BackupPick;
  isolation?: IsolationRecord & { held?: { ok: boolean; problems: string[] }; changes: SandboxChange[] };
  teardown?: TeardownRecord;
  /** Every production object kept its uid and resourceVersion, and nothing appeared; null when not compared. */
  sourceUntouched: boolean | null;
  sourceComparison?: SourceComparison;
}

/** Production before and after, when both snapshots were taken. */
export function sourceComparisonOf(st: RunState): SourceComparison | undefined {
  const rt = st.restoreTest;
  if (!rt?.sourceBefore || !rt.sourceAfter) return undefined;
  return compareSource(rt.sourceBefore, rt.sourceAfter, [
    ...st.restoresCreated.map((r) => r.name),
    ...st.restores.map((r) => r.name),
  ]);
}

export function sandboxEvidence(st: RunState): SandboxEvidence | undefined {
  const rt = st.restoreTest;
  if (!rt) return undefined;
  const cmp = sourceComparisonOf(st);
  return {
    context: rt.sandboxContext,
    namespaces: Object.entries(rt.mapping).map(([source, sandbox]) => ({ source, sandbox })),
    expiresAt: rt.expiresAt,
    kept: rt.keep,
    backupPick: rt.plan?.pick,
    ...(rt.isolation
      ? { isolation: { ...rt.isolation, held: rt.isolationHeld, changes: rt.plan?.changes ?? [] } }
      : {}),
    teardown: rt.teardown,
    sourceUntouched: cmp ? cmp.untouched : null,
    sourceComparison: cmp,
  };
}

const SEVERE_PRECONDITIONS = /^(VELERO_|BSL_)/;

function preconditionFinding(rt: RestoreTestState): Finding[] {
  const p = rt.precondition;
  if (!p) return [];
  return [
    {
      severity: SEVERE_PRECONDITIONS.test(p.code) ? 'P1' : 'P2',
      code: p.code,
      message: `the restore test could not start: ${p.message} (nothing was restored, production was not touched)`,
      fix: p.hint ?? 'fix it, then run the restore test again',
    },
  ];
}

function isolationFindings(rt: RestoreTestState): Finding[] {
  const out: Finding[] = [];
  if (rt.isolation && !rt.isolation.applied)
    out.push({
      severity: 'P1',
      code: 'SANDBOX_NOT_ISOLATED',
      key: Object.values(rt.mapping).join(', '),
      message: `the sandbox could not be fenced off before the restore (${rt.isolation.error ?? 'no reason given'}), so nothing was restored into it`,
      fix: 'let kdrill create NetworkPolicies in the sandbox namespaces (RBAC, admission webhooks), and check the cluster serves networking.k8s.io/v1',
    });
  if (rt.isolationHeld && !rt.isolationHeld.ok)
    out.push({
      severity: 'P1',
      code: 'SANDBOX_ISOLATION_BROKEN',
      key: Object.values(rt.mapping).join(', '),
      message: `what landed in the sandbox is not fenced off as planned: ${listed(rt.isolationHeld.problems, 5)}`,
      fix: "Velero must apply the Restore's resourceModifier (v1.13+ for merge patches): check `velero restore describe` and the Velero version",
    });
  return out;
}

function sourceFindings(st: RunState, cmp: SourceComparison | undefined): Finding[] {
  if (!cmp) return [];
  const out: Finding[] = [];
  const touched = [
    ...cmp.restored.map((k) => `${k} (restored by Velero)`),
    ...cmp.replaced.map((k) => `${k} (deleted and created again)`),
    ...cmp.missing.map((k) => `${k} (gone)`),
    ...cmp.changed.filter((c) => c.content === 'changed').map((c) => `${c.key} (its content changed)`),
  ];
  if (touched.length)
    out.push({
      severity: 'P1',
      code: 'SOURCE_TOUCHED',
      key: st.restoreTest ? Object.keys(st.restoreTest.mapping).join(', ') : undefined,
      message: `production changed during the restore test: ${listed(touched, 5)}`,
      fix: 'find out who changed it (the journal names every write kdrill made; audit logs name the rest); a restore test must only ever write into its sandbox',
    });
  const benign = [
    ...cmp.changed.filter((c) => c.content === 'same').map((c) => c.key),
    ...cmp.added.filter((k) => !cmp.restored.includes(k)),
  ];
  if (benign.length)
    out.push({
      severity: 'P3',
      code: 'SOURCE_CHANGED_DURING_TEST',
      message: `${benign.length} production object(s) got a new resourceVersion, or appeared, while the test ran, their spec, data, labels and annotations as before (a controller's status write, a deploy): ${listed(benign, 5)}`,
      fix: 'nothing, if a controller or a deploy explains it; sourceComparison in result.json lists each',
    });
  return out;
}

function teardownFindings(rt: RestoreTestState): Finding[] {
  const t = rt.teardown;
  if (!t) return [];
  if (t.failures.length)
    return [
      {
        severity: 'P1',
        code: 'SANDBOX_LEFT_BEHIND',
        key: Object.values(rt.mapping).join(', '),
        message: `the sandbox was not torn down: ${listed(t.failures, 5)}`,
        fix: `kdrill gc --context ${rt.sandboxContext} once it has expired (${rt.expiresAt}), or kubectl delete namespace ${Object.values(rt.mapping).join(' ')}`,
      },
    ];
  if (t.kept)
    return [
      {
        severity: 'P3',
        code: 'SANDBOX_KEPT',
        key: Object.values(rt.mapping).join(', '),
        message: `the sandbox was kept for inspection (--keep); it expires at ${rt.expiresAt}`,
        fix: `kdrill gc --context ${rt.sandboxContext} removes it after that`,
      },
    ];
  return [];
}

/** The findings only a restore test has: it could not start, the sandbox was not fenced off, production changed, the sandbox stayed. */
export function restoreTestFindings(st: RunState): Finding[] {
  const rt = st.restoreTest;
  if (!rt) return [];
  const newer = rt.plan?.newerThanBackup ?? [];
  return [
    ...preconditionFinding(rt),
    ...isolationFindings(rt),
    ...sourceFindings(st, sourceComparisonOf(st)),
    ...teardownFindings(rt),
    ...(newer.length
      ? [
          {
            severity: 'P3' as const,
            code: 'LIVE_NEWER_THAN_BACKUP',
            key: st.preflight?.backup.name,
            message: `${newer.length} object(s) in production were created after the backup started, so it cannot hold them: ${listed(newer)}`,
            fix: 'nothing, if the next backup holds them: the next restore test will say',
          },
        ]
      : []),
  ];
}

/** A restore test whose sandbox is still there: exit 5, as a drill whose reverts failed. */
export const sandboxLeftBehind = (st: RunState): boolean => !!st.restoreTest?.teardown?.failures.length;
