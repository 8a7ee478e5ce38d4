import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ApplyReport } from './apply.js';
import { processAlive } from './core.js';
import type { MonitoringState } from './monitoring/monitoring.js';

/** What a running `kdrill lab up` leaves in its dir, for status and down. No secrets in here. */
export interface LabState {
  pid: number;
  dir: string;
  startedAt: string;
  ready: boolean;
  apiServer: string;
  kubeconfig: string;
  contexts: string[];
  /** The S3 endpoint and bucket, and the path of an AWS-style credentials file (never the secret). */
  s3?: { endpoint: string; bucket: string; credentialsFile: string; embedded: boolean; objectLock: boolean };
  backups?: string[];
  /** What loading the app applied, skipped and had refused, and what the nightly Schedule backs up. */
  app?: ApplyReport & { backupNamespaces: string[] };
  warnings?: string[];
  /** `--monitoring`: the lab's Prometheus and Alertmanager. */
  monitoring?: MonitoringState;
  log: string;
  options: Record<string, unknown>;
  error?: string;
}

export const stateFile = (dir: string): string => join(resolve(dir), 'state.json');

export async function readLabState(dir: string): Promise<LabState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(dir), 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

export async function writeLabState(s: LabState): Promise<void> {
  const tmp = `${stateFile(s.dir)}.tmp`;
  await writeFile(tmp, JSON.stringify(s, null, 2));
  // rename is atomic: `up` polls this file and must never read half of it
  const { rename } = await import('node:fs/promises');
  await rename(tmp, stateFile(s.dir));
}

export async function clearLabState(dir: string): Promise<void> {
  await rm(stateFile(dir), { force: true });
}

/** Whether the lab's process runs (a zombie does not). */
export const alive = processAlive;
