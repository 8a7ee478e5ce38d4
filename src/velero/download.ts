import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { KubeApi } from '../kube/kube-api.js';
import type { Clock } from '../time/clock.js';
import { deadlineSignal } from '../time/deadline.js';
import { V, type DownloadKind, type DownloadRequest } from './objects.js';
import { waitForVelero } from './wait.js';

const PROCESSED = new Set(['Processed']);

export type { DownloadKind } from './objects.js';

/** Fetches a pre-signed URL: the body, or undefined when the object is not there (404). The caller sets the deadline. */
export type UrlFetcher = (url: string, signal?: AbortSignal) => Promise<Buffer | undefined>;

export const fetchUrl: UrlFetcher = async (url, signal) => {
  const r = await fetch(url, { signal });
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
  /** How long fetching the pre-signed URL may take. */
  fetchTimeoutMs?: number;
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
  file: { namespace: string; kind: DownloadKind; name: string },
  o: DownloadOptions,
): Promise<Buffer | undefined> {
  const { namespace, ...target } = file;
  const name = `${target.name.slice(0, 200)}-${randomBytes(4).toString('hex')}`;
  const ref = { ...V('DownloadRequest'), namespace, name };
  const request: DownloadRequest = {
    ...ref,
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'kdrill' } },
    spec: { target },
  };
  await kube.create(request);
  const done = await waitForVelero(kube, {
    kind: 'DownloadRequest',
    namespace,
    name,
    terminal: PROCESSED,
    timeoutMs: o.timeoutMs ?? 30_000,
    clock: o.clock,
    signal: o.signal,
  });
  const url = done.object.status?.downloadURL;
  if (!url) return undefined;
  const deadline = deadlineSignal(o.clock, o.fetchTimeoutMs ?? 30_000, o.signal);
  const body = await (o.fetch ?? fetchUrl)(url, deadline.signal).finally(() => deadline.clear());
  if (body === undefined) return undefined;
  return target.kind === 'BackupContents' ? body : gunzipSync(body);
}
