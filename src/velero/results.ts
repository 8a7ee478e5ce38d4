import { gunzipSync } from 'node:zlib';
import type { ObjectStore } from '../backupstore/object-store.js';
import type { FailedItem } from '../drill/types.js';
import type { KubeApi } from '../kube/kube-api.js';
import { viaDownloadRequest, type DownloadOptions } from './download.js';

/** A results file (`restore-<r>-results.gz`): `{"warnings": R, "errors": R}` (pkg/util/results). */
export interface ResultsFile {
  errors?: ResultSet;
  warnings?: ResultSet;
}
interface ResultSet {
  velero?: string[];
  cluster?: string[];
  namespaces?: Record<string, string[]>;
}

export interface ParsedResults {
  failedItems: FailedItem[];
  /** Every warning, one line each. */
  warnings: string[];
  /** Errors that name no item (Velero's own, or a cluster-wide one). */
  otherErrors: string[];
}

const flat = (x: ResultSet | undefined): { ns?: string; msg: string }[] => [
  ...(x?.velero ?? []).map((msg) => ({ msg })),
  ...(x?.cluster ?? []).map((msg) => ({ msg })),
  ...Object.entries(x?.namespaces ?? {}).flatMap(([ns, l]) => (l ?? []).map((msg) => ({ ns, msg }))),
];

// "error restoring deployments.apps/thanos/thanos-query: <api error>", or group-resource/name for cluster scope
const ITEM = /^error restoring ([^/\s]+)\/(?:([^/\s]+)\/)?([^:\s]+):\s*(.*)$/;

/**
 * The items a Restore failed, from its results. An admission webhook that refuses an item for
 * several reasons (Gatekeeper joins its denials with newlines) gives one item with one reason per line.
 */
export function parseResults(r: ResultsFile): ParsedResults {
  const failedItems: FailedItem[] = [];
  const otherErrors: string[] = [];
  for (const { ns, msg } of flat(r.errors)) {
    const lines = String(msg)
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const m = ITEM.exec(lines[0] ?? '');
    if (!m) {
      otherErrors.push(...lines);
      continue;
    }
    const reasons = [m[4]!, ...lines.slice(1)];
    failedItems.push({ resource: m[1]!, namespace: m[2] ?? ns, name: m[3]!, message: reasons.join('\n'), reasons });
  }
  const warnings = flat(r.warnings).flatMap(({ msg }) =>
    String(msg)
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  return { failedItems, warnings, otherErrors };
}

export interface ReadResults {
  parsed?: ParsedResults;
  source: 'bucket' | 'download-request' | 'unreadable';
  /** Why the results could not be read, when they could not. */
  error?: string;
}

/**
 * A Restore's results, from `restores/<r>/restore-<r>-results.gz` in the bucket, else through a
 * DownloadRequest (RestoreResults), as `velero restore describe` gets them. Never throws: results
 * that cannot be read are `unreadable`, with both reasons, so that a verdict never rests on them.
 */
export async function readRestoreResults(
  o: {
    kube: KubeApi;
    veleroNamespace: string;
    store?: { store: ObjectStore; prefix: string };
    download: DownloadOptions;
  },
  restore: string,
): Promise<ReadResults> {
  const why: string[] = [];
  const parse = (raw: Buffer, gz: boolean): ParsedResults =>
    parseResults(JSON.parse((gz ? gunzipSync(raw) : raw).toString('utf8')) as ResultsFile);
  if (o.store) {
    const key = `${o.store.prefix}restores/${restore}/restore-${restore}-results.gz`;
    try {
      const raw = await o.store.store.get(key);
      if (raw) return { parsed: parse(raw, true), source: 'bucket' };
      why.push(`${key} is not in the bucket`);
    } catch (e) {
      why.push(`the bucket: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  try {
    const raw = await viaDownloadRequest(
      o.kube,
      { namespace: o.veleroNamespace, kind: 'RestoreResults', name: restore },
      o.download,
    );
    if (raw) return { parsed: parse(raw, false), source: 'download-request' };
    why.push('a DownloadRequest (RestoreResults) found nothing');
  } catch (e) {
    why.push(`a DownloadRequest: ${(e as Error).message.split('\n')[0]}`);
  }
  return { source: 'unreadable', error: why.join('; ') };
}
