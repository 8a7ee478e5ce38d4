import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { envCredentials, parseAwsCredentials } from './core.js';
import { DrillError, ExitCode, usageError } from './core.js';
import type { LabOptions } from './lab.js';
import { monitoringBinaries } from './monitoring/binaries.js';

export interface LabArgsLike {
  dir: string;
  port?: number;
  hardened?: 'deny' | 'warn';
  appNamespace?: string;
  backupNamespaces?: string[];
  veleroVersion?: '1.14' | '1.18';
  zones: string;
  nodesPerZone: number;
  startDelay: number;
  app?: string[];
  thanos: boolean;
  seed: boolean;
  objectLock: boolean;
  s3Endpoint?: string;
  s3CredentialsFile?: string;
  bucket?: string;
  k8s: 'lab' | 'real';
  realKubeconfig?: string[];
  clusters: number;
  monitoring?: boolean;
}

export const defaultRealKubeconfig = (): string =>
  join(
    process.env.KAPI_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kapi'),
    'run',
    'kubeconfig',
  );

/** The real clusters' kubeconfigs: as given, or the one scripts/kapi-start.sh writes. */
const realKubeconfigs = (a: LabArgsLike): string[] =>
  a.realKubeconfig?.length ? a.realKubeconfig : [defaultRealKubeconfig()];

/** Checks the flags of `lab up` before anything starts, so mistakes are exit 2 with a hint. */
export async function validateLabArgs(a: LabArgsLike): Promise<void> {
  const zones = a.zones
    .split(',')
    .map((z) => z.trim())
    .filter(Boolean);
  if (zones.length === 0 || !(a.nodesPerZone >= 1))
    throw usageError(
      'the lab needs at least one zone and one node per zone',
      'e.g. --zones zone-a,zone-b --nodes-per-zone 2',
    );
  for (const app of a.app ?? [])
    if (!existsSync(app))
      throw usageError(`--app ${app}: no such file or directory`, 'give a manifest file or a directory of them');
  const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  for (const ns of [...(a.appNamespace ? [a.appNamespace] : []), ...(a.backupNamespaces ?? [])]) {
    if (!label.test(ns) || ns.length > 63)
      throw usageError(
        `"${ns}" is not a namespace name (a lowercase DNS label)`,
        'e.g. --app-namespace argocd --backup-namespaces argocd',
      );
  }
  if (a.s3Endpoint && !/^https?:\/\//.test(a.s3Endpoint))
    throw usageError(`--s3-endpoint ${a.s3Endpoint} is not an http(s) URL`, 'e.g. --s3-endpoint http://127.0.0.1:7480');
  if (a.s3Endpoint) await s3Credentials(a);
  if (a.monitoring) monitoringBinaries();
  if (a.k8s === 'real') {
    const given = a.realKubeconfig ?? [];
    if (given.length > a.clusters)
      throw usageError(
        `--real-kubeconfig given ${given.length} times for ${a.clusters} cluster(s)`,
        'one per cluster at most: with --clusters 2, the second one is the recovery cluster',
      );
    for (const kc of realKubeconfigs(a)) {
      if (!existsSync(kc))
        throw new DrillError('LAB_NO_REAL_K8S', `--k8s real: no kubeconfig at ${kc}`, ExitCode.Precondition, {
          hint: 'start one with scripts/kapi-build.sh && scripts/kapi-start.sh, or pass --real-kubeconfig',
        });
    }
  } else if (a.realKubeconfig?.length) {
    throw usageError('--real-kubeconfig needs --k8s real', 'add --k8s real, or drop --real-kubeconfig');
  }
}

async function s3Credentials(a: LabArgsLike): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  if (a.s3CredentialsFile) {
    let text: string;
    try {
      text = await readFile(a.s3CredentialsFile, 'utf8');
    } catch {
      throw usageError(
        `--s3-credentials-file ${a.s3CredentialsFile}: cannot read it`,
        'an AWS credentials file: [default] aws_access_key_id=… aws_secret_access_key=…',
      );
    }
    const c = parseAwsCredentials(text);
    if (!c)
      throw usageError(
        `--s3-credentials-file ${a.s3CredentialsFile} has no [default] aws_access_key_id and aws_secret_access_key`,
        'an AWS credentials file: [default] aws_access_key_id=… aws_secret_access_key=…',
      );
    return c;
  }
  const c = envCredentials();
  if (!c)
    throw usageError(
      '--s3-endpoint needs credentials',
      'pass --s3-credentials-file, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    );
  return c;
}

export async function labOptionsFromArgs(a: LabArgsLike): Promise<LabOptions & { monitoring?: boolean }> {
  return {
    dir: a.dir,
    port: a.port,
    hardened: a.hardened,
    layout: {
      zones: a.zones
        .split(',')
        .map((z) => z.trim())
        .filter(Boolean),
      perZone: a.nodesPerZone,
    },
    startDelayMs: a.startDelay,
    k8s: a.k8s,
    realKubeconfigs: a.k8s === 'real' ? realKubeconfigs(a) : undefined,
    clusters: a.clusters === 2 ? 2 : 1,
    s3: a.s3Endpoint ? { endpoint: a.s3Endpoint, credentials: await s3Credentials(a) } : undefined,
    bucket: a.bucket,
    objectLock: a.objectLock,
    seed: a.seed
      ? {
          apps: a.app ?? [],
          withThanos: a.thanos || !a.app?.length,
          backups: 2,
          defaultNamespace: a.appNamespace,
          backupNamespaces: a.backupNamespaces,
        }
      : false,
    veleroVersion: a.veleroVersion,
    monitoring: a.monitoring,
  };
}
