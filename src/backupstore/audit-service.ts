import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { DrillError, ExitCode, usageError } from '../errors.js';
import { connectKube } from '../kube/client-node.js';
import { systemClock, type Clock } from '../time/clock.js';
import { auditBackups, type AuditBackup, type AuditReport } from './audit.js';
import { AwsObjectStore } from './aws-object-store.js';
import { envCredentials, parseAwsCredentials, settingsFromCluster } from './bsl.js';
import type { ObjectStore, S3Settings } from './object-store.js';

export interface AuditArgs {
  kubeconfig?: string;
  context?: string;
  bsl: string;
  veleroNamespace: string;
  backup?: string;
  all: boolean;
  s3Endpoint?: string;
  bucket?: string;
  prefix?: string;
  region: string;
  s3CredentialsFile?: string;
  replicaEndpoint?: string;
  replicaBucket?: string;
  replicaPrefix?: string;
  replicaCredentialsFile?: string;
  rpo?: number;
  retention?: number;
  margin: number;
  canary: boolean;
  canaryKey?: string;
  canaryRetention: number;
  concurrency: number;
  minMode: 'GOVERNANCE' | 'COMPLIANCE';
}

async function credentials(file: string | undefined, what: string): Promise<S3Settings['credentials']> {
  if (!file) return envCredentials();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw usageError(
      `${what}: cannot read ${file}`,
      'an AWS credentials file: [default] aws_access_key_id=… aws_secret_access_key=…',
    );
  }
  const c = parseAwsCredentials(text);
  if (!c)
    throw usageError(
      `${what}: ${file} has no [default] aws_access_key_id and aws_secret_access_key`,
      'an AWS credentials file: [default] aws_access_key_id=… aws_secret_access_key=…',
    );
  return c;
}

const normPrefix = (p?: string): string => {
  const t = (p ?? '').replace(/^\/+|\/+$/g, '');
  return t ? `${t}/` : '';
};

/** Backups as the bucket knows them: each backups/<name>/velero-backup.json. */
async function backupsFromBucket(store: ObjectStore, prefix: string): Promise<AuditBackup[]> {
  const names = new Set<string>();
  for await (const o of store.list(`${prefix}backups/`)) {
    const m = /^backups\/([^/]+)\/velero-backup\.json$/.exec(o.key.slice(prefix.length));
    if (m) names.add(m[1]!);
  }
  const out: AuditBackup[] = [];
  for (const name of [...names].sort()) {
    const raw = await store.get(`${prefix}backups/${name}/velero-backup.json`);
    let status: { phase?: string; startTimestamp?: string; expiration?: string } = {};
    try {
      status = (JSON.parse(raw?.toString('utf8') ?? '{}') as { status?: typeof status }).status ?? {};
    } catch {
      // an unreadable metadata file is itself worth auditing: keep the backup, without times
    }
    out.push({
      name,
      phase: status.phase ?? 'Unknown',
      startTimestamp: status.startTimestamp,
      expiration: status.expiration,
    });
  }
  return out;
}

/** Where the backups are, and which they are when the cluster says so (else the bucket is asked later). */
async function locate(a: AuditArgs): Promise<{ settings: S3Settings; backups?: AuditBackup[] }> {
  if (a.s3Endpoint || a.bucket) {
    if (!a.bucket)
      throw usageError('--s3-endpoint needs --bucket', 'e.g. --s3-endpoint http://127.0.0.1:7480 --bucket velero');
    return {
      settings: {
        endpoint: a.s3Endpoint,
        region: a.region,
        bucket: a.bucket,
        prefix: normPrefix(a.prefix),
        forcePathStyle: !!a.s3Endpoint,
        credentials: await credentials(a.s3CredentialsFile, '--s3-credentials-file'),
      },
    };
  }
  const kube = connectKube({ kubeconfig: a.kubeconfig, context: a.context });
  const { settings } = await settingsFromCluster(kube, a.veleroNamespace, a.bsl);
  const items = (
    await kube.list({ apiVersion: 'velero.io/v1', kind: 'Backup' }, { namespace: a.veleroNamespace })
  ).items.filter((b) => (b.spec?.storageLocation ?? a.bsl) === a.bsl);
  const backups = items.map((b) => ({
    name: b.metadata?.name ?? '',
    phase: String(b.status?.phase ?? 'New'),
    startTimestamp: b.status?.startTimestamp as string | undefined,
    expiration: b.status?.expiration as string | undefined,
  }));
  return { settings, backups };
}

/** The one backup asked for (--backup), or all of them; there must be something to audit. */
function chooseBackups(backups: AuditBackup[], a: AuditArgs, settings: S3Settings): AuditBackup[] {
  if (a.backup) {
    const one = backups.find((b) => b.name === a.backup);
    if (!one)
      throw new DrillError(
        'BACKUP_MISSING',
        `backup ${a.backup} not found (seen: ${backups.map((b) => b.name).join(', ') || 'none'})`,
        ExitCode.Precondition,
        { hint: 'drop --backup to audit them all' },
      );
    return [one];
  }
  if (backups.length === 0) {
    throw new DrillError(
      'AUDIT_NOTHING',
      `nothing to audit: no backups under ${settings.prefix || '/'}backups/ in bucket "${settings.bucket}"`,
      ExitCode.Precondition,
      { hint: 'check --prefix (the BSL objectStorage.prefix) and the bucket name' },
    );
  }
  return backups;
}

/** The off-site copy to compare with (--replica-bucket), checked reachable. */
async function replicaFrom(a: AuditArgs): Promise<{ store: ObjectStore; prefix: string } | undefined> {
  if (!a.replicaBucket) return undefined;
  const replica = {
    store: new AwsObjectStore({
      endpoint: a.replicaEndpoint,
      region: a.region,
      bucket: a.replicaBucket,
      prefix: normPrefix(a.replicaPrefix),
      forcePathStyle: !!a.replicaEndpoint,
      credentials: await credentials(a.replicaCredentialsFile, '--replica-credentials-file'),
    }),
    prefix: normPrefix(a.replicaPrefix),
  };
  await replica.store.checkAccess();
  return replica;
}

/** `kdrill audit`: reads the BSL (or takes the bucket from flags), audits it, and maps the result to an exit code. */
export async function runAudit(
  a: AuditArgs,
  clock: Clock = systemClock,
): Promise<{ report: AuditReport; exitCode: number }> {
  // one "now" for the whole audit, read as it starts
  const now = clock.now();
  const { settings, backups: fromCluster } = await locate(a);
  const store = new AwsObjectStore(settings, { maxSockets: Math.max(8, a.concurrency) });
  await store.checkAccess();
  const backups = chooseBackups(fromCluster ?? (await backupsFromBucket(store, settings.prefix)), a, settings);
  const replica = await replicaFrom(a);
  // a file, not a folder, and outside the BSL prefix: Velero marks a BSL with foreign top-level folders Unavailable
  const canaryKey = a.canaryKey ?? `kdrill-canary-${hostname().replace(/[^a-zA-Z0-9-]/g, '')}-${now.getTime()}`;
  const report = await auditBackups({
    store,
    prefix: settings.prefix,
    backups,
    policy: { required: true, minMode: a.minMode, coverTtl: true, canary: a.canary },
    marginSeconds: a.margin,
    rpoSeconds: a.rpo,
    retentionSeconds: a.retention,
    canary: { enabled: a.canary, key: canaryKey, retentionSeconds: a.canaryRetention },
    replica,
    concurrency: a.concurrency,
    clock,
    now,
  });
  const bad = report.findings.some((f) => f.severity === 'P1' || f.severity === 'P2');
  return { report, exitCode: bad ? ExitCode.ObjectivesBreached : ExitCode.Ok };
}
