import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { KubeApi } from '../kube/kube-api.js';
import type { Clock } from '../time/clock.js';
import { V, waitForPhase } from './velero.js';

/** The kinds of file a DownloadRequest can fetch (downloadrequest_types.go). */
export type DownloadKind =
  | 'BackupResourceList'
  | 'BackupContents'
  | 'BackupResults'
  | 'RestoreResults'
  | 'RestoreResourceList'
  | 'RestoreLog'
  | 'BackupLog';

/** Fetches a pre-signed URL: the body, or undefined when the object is not there (404). */
export type UrlFetcher = (url: string, signal?: AbortSignal) => Promise<Buffer | undefined>;

export const fetchUrl: UrlFetcher = async (url, signal) => {
  const r = await fetch(url, {
    signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(30_000)]) : AbortSignal.timeout(30_000),
  });
  if (r.status === 404) return undefined;
  if (!r.ok) throw new Error(`GET of the pre-signed URL answered HTTP ${r.status}`);
  return Buffer.from(await r.arrayBuffer());
};

export interface DownloadOptions {
  clock: Clock;
  signal?: AbortSignal;
  fetch?: UrlFetcher;
  /** The velero CLI gives describe 30 s (pkg/cmd/util/downloadrequest). */
  timeoutMs?: number;
}

/**
 * A file of Velero's, fetched the way the velero CLI does when it cannot read the bucket itself
 * (no credentials here, IRSA, another provider): a DownloadRequest, whose pre-signed URL Velero
 * fills in. Resolves with the content (gunzipped, except BackupContents), or undefined when Velero
 * processed the request without a URL or the URL finds nothing. As with the CLI, the request is left
 * to Velero, which deletes it when it expires (10 minutes): kdrill needs no right to delete them.
 */
export async function viaDownloadRequest(
  kube: KubeApi,
  namespace: string,
  target: { kind: DownloadKind; name: string },
  o: DownloadOptions,
): Promise<Buffer | undefined> {
  const name = `${target.name.slice(0, 200)}-${randomBytes(4).toString('hex')}`;
  const ref = { ...V('DownloadRequest'), namespace, name };
  await kube.create({
    ...ref,
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'kdrill' } },
    spec: { target },
  });
  const done = await waitForPhase(kube, 'DownloadRequest', namespace, name, new Set(['Processed']), {
    timeoutMs: o.timeoutMs ?? 30_000,
    clock: o.clock,
    signal: o.signal,
  });
  const url = done.object.status?.downloadURL as string | undefined;
  if (!url) return undefined;
  const body = await (o.fetch ?? fetchUrl)(url, o.signal);
  if (body === undefined) return undefined;
  return target.kind === 'BackupContents' ? body : gunzipSync(body);
}
