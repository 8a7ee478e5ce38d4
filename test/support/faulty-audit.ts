import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kdrill } from './cli.js';
import { startFaultProxy, type FaultPlan, type FaultProxy } from './fault-proxy.js';

/** The S3 faults of issue I: 10 % 503 SlowDown and 5 % reset connections. */
export const S3_FAULTS: FaultPlan = { slowDown: 0.1, reset: 0.05, preserveHost: true };

export interface AuditOutcome {
  code: number | null;
  stderr: string;
  /** What the audit concluded, without what differs run to run (the canary's key, times). */
  verdict: {
    findings: string[];
    backups: string[];
    objectLock: boolean | undefined;
    canaryRefused: boolean | undefined;
  };
  stats?: FaultProxy['stats'];
}

interface LabState {
  s3: { endpoint: string; bucket: string; credentialsFile: string };
}

/** `kdrill audit` of a running lab's bucket, straight to its S3 or through the fault proxy. */
export async function labAudit(labDir: string, plan?: FaultPlan, seed = 1): Promise<AuditOutcome> {
  const { s3 } = JSON.parse(await readFile(join(labDir, 'state.json'), 'utf8')) as LabState;
  const proxy = plan ? await startFaultProxy(s3.endpoint, plan, seed) : undefined;
  try {
    const r = await kdrill(
      [
        'audit',
        '--s3-endpoint',
        proxy?.url ?? s3.endpoint,
        '--bucket',
        s3.bucket,
        '--s3-credentials-file',
        s3.credentialsFile,
        '-o',
        'json',
      ],
      { timeoutMs: 180_000 },
    );
    let verdict: AuditOutcome['verdict'] = {
      findings: [],
      backups: [],
      objectLock: undefined,
      canaryRefused: undefined,
    };
    try {
      const j = JSON.parse(r.stdout) as {
        findings: { code: string }[];
        backups: { name: string; locked: number }[];
        bucket: { objectLock: boolean };
        canary?: { deleteRefused: boolean };
      };
      verdict = {
        findings: j.findings.map((f) => f.code).sort(),
        backups: j.backups.map((b) => `${b.name}:${b.locked}`).sort(),
        objectLock: j.bucket.objectLock,
        canaryRefused: j.canary?.deleteRefused,
      };
    } catch {
      // not JSON: the audit gave up; its exit code and stderr say why
    }
    return { code: r.code, stderr: r.stderr, verdict, stats: proxy && { ...proxy.stats } };
  } finally {
    await proxy?.stop();
  }
}
