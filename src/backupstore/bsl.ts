import { DrillError, ExitCode } from '../errors.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import type { S3Settings } from './object-store.js';

const trim = (s: string | undefined): string => (s ?? '').replace(/^\/+|\/+$/g, '');

/** The S3 keys of the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), when both are set. */
export function envCredentials(env = process.env): { accessKeyId: string; secretAccessKey: string } | undefined {
  const id = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  return id && secret ? { accessKeyId: id, secretAccessKey: secret } : undefined;
}

/** Reads the `[profile]` section of an AWS credentials INI file. */
export function parseAwsCredentials(
  ini: string,
  profile = 'default',
): { accessKeyId: string; secretAccessKey: string } | undefined {
  let section = '';
  const vals: Record<string, string> = {};
  for (const raw of ini.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const sec = /^\[(?:profile\s+)?([^\]]+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!.trim();
      continue;
    }
    const kv = /^([^=]+)=(.*)$/.exec(line);
    if (kv && section === profile) vals[kv[1]!.trim().toLowerCase()] = kv[2]!.trim();
  }
  const id = vals.aws_access_key_id;
  const secret = vals.aws_secret_access_key;
  return id && secret ? { accessKeyId: id, secretAccessKey: secret } : undefined;
}

/**
 * Turns a BackupStorageLocation (and its credentials Secret's content) into S3 settings, the way
 * velero-plugin-for-aws reads them. Without credentials the AWS SDK's default chain is used.
 */
export function settingsFromBsl(bsl: KubeObject, credentialsIni?: string): S3Settings {
  const spec = bsl.spec ?? {};
  const cfg = (spec.config ?? {}) as Record<string, string>;
  const bucket = trim(spec.objectStorage?.bucket as string | undefined);
  if (!bucket)
    throw new DrillError(
      'BSL_INVALID',
      `BackupStorageLocation ${bsl.metadata?.namespace}/${bsl.metadata?.name} has no objectStorage.bucket`,
      ExitCode.Precondition,
      { hint: 'fix the BSL spec' },
    );
  const prefix = trim(spec.objectStorage?.prefix as string | undefined);
  const ca = spec.objectStorage?.caCert as string | undefined;
  const creds =
    credentialsIni === undefined ? undefined : parseAwsCredentials(credentialsIni, cfg.profile ?? 'default');
  if (credentialsIni !== undefined && !creds) {
    throw new DrillError(
      'BSL_CREDENTIALS',
      `the credentials of BSL ${bsl.metadata?.name} have no aws_access_key_id/aws_secret_access_key in profile "${cfg.profile ?? 'default'}"`,
      ExitCode.Precondition,
      {
        hint: 'the Secret key should hold an AWS credentials file: [default] aws_access_key_id=… aws_secret_access_key=…',
      },
    );
  }
  return {
    endpoint: cfg.s3Url || undefined,
    region: cfg.region || 'us-east-1',
    bucket,
    prefix: prefix ? `${prefix}/` : '',
    forcePathStyle: cfg.s3ForcePathStyle === 'true',
    insecureSkipTLSVerify: cfg.insecureSkipTLSVerify === 'true',
    caCert: ca ? Buffer.from(ca, 'base64').toString('utf8') : undefined,
    credentials: creds,
  };
}

/** Reads a BSL and its credentials Secret from the cluster into S3 settings. */
export async function settingsFromCluster(
  kube: KubeApi,
  namespace: string,
  name: string,
): Promise<{ bsl: KubeObject; settings: S3Settings }> {
  const bsl = await kube.get({ apiVersion: 'velero.io/v1', kind: 'BackupStorageLocation', namespace, name });
  if (!bsl) {
    throw new DrillError(
      'BSL_NOT_FOUND',
      `BackupStorageLocation ${namespace}/${name} not found in context "${kube.context}"`,
      ExitCode.Precondition,
      {
        hint: `list them with: kubectl -n ${namespace} get backupstoragelocations.velero.io`,
      },
    );
  }
  const ref = (bsl.spec?.credential as { name?: string; key?: string } | undefined) ?? {
    name: 'cloud-credentials',
    key: 'cloud',
  };
  const secret = await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace, name: ref.name ?? 'cloud-credentials' });
  const raw = (secret?.data as Record<string, string> | undefined)?.[ref.key ?? 'cloud'];
  return {
    bsl,
    settings: settingsFromBsl(bsl, raw === undefined ? undefined : Buffer.from(raw, 'base64').toString('utf8')),
  };
}
