import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseAwsCredentials } from '../backupstore/bsl.js';
import type { PackEntry } from './tar.js';

export interface Secret {
  /** Where the secret comes from, never the secret. */
  source: string;
  value: string;
}

// shorter values (a user name, "true") would match by chance
const MIN_LENGTH = 8;

const readOr = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** The tokens, client keys and passwords of a kubeconfig. */
function kubeconfigSecrets(file: string): Secret[] {
  const text = readOr(file);
  if (!text) return [];
  try {
    const cfg = parse(text) as { users?: { user?: Record<string, unknown> }[] } | null;
    return (cfg?.users ?? []).flatMap((u) =>
      ['token', 'client-key-data', 'password']
        .map((k) => u.user?.[k])
        .filter((v): v is string => typeof v === 'string')
        .map((value) => ({ source: `kubeconfig ${file}`, value })),
    );
  } catch {
    return [];
  }
}

/**
 * The secrets a run could have seen: the lab's S3 credentials, the S3 credentials of the environment,
 * and the kubeconfig the run used (its path is in the journal). A pack must hold none of them.
 */
export function knownSecrets(runDir: string, kubeconfig?: string, env = process.env): Secret[] {
  const out: Secret[] = [];
  const lab = join(runDir, 'lab', 's3-credentials');
  const creds = parseAwsCredentials(readOr(lab) ?? '');
  if (creds) out.push({ source: lab, value: creds.accessKeyId }, { source: lab, value: creds.secretAccessKey });
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'])
    if (env[k]) out.push({ source: `$${k}`, value: env[k] });
  if (kubeconfig) out.push(...kubeconfigSecrets(kubeconfig));
  return out.filter((s) => s.value.length >= MIN_LENGTH);
}

/** The first file that holds a secret, and whose secret it is. */
export function findSecret(files: PackEntry[], secrets: Secret[]): { path: string; source: string } | undefined {
  for (const f of files)
    for (const s of secrets) if (f.data.includes(s.value)) return { path: f.path, source: s.source };
  return undefined;
}
