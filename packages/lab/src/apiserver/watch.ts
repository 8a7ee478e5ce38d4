import type { ServerResponse } from 'node:http';
import { matchesRequirements, type Requirement } from '../core.js';
import type { KubeObject } from '../core.js';
import type { LabCluster } from './core.js';
import { matchesFields, type FieldRequirement } from './fields.js';
import { groupVersion, storageKey, type ResourceType } from './resources.js';
import type { StoreEvent } from './store.js';

export interface WatchRequest {
  type: ResourceType;
  namespace?: string;
  resourceVersion?: string;
  labels: Requirement[];
  fields: FieldRequirement[];
  bookmarks: boolean;
  timeoutMs: number;
  bookmarkIntervalMs: number;
}

/**
 * Streams watch events as newline-delimited JSON. Without a resourceVersion (or with "0") it starts
 * with ADDED for what exists; with one it replays history, or sends a 410 Expired ERROR event when
 * the version is older than the history, the way a real apiserver's watch cache does.
 */
export function serveWatch(
  cluster: LabCluster,
  req: WatchRequest,
  res: ServerResponse,
  onClose: (fn: () => void) => void,
): void {
  const key = storageKey(req.type);
  const send = (type: string, object: unknown): void => {
    res.write(`${JSON.stringify({ type, object })}\n`);
  };
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache',
  });
  res.flushHeaders();
  const replay = startingEvents(cluster, req, send);
  if (!replay) {
    res.end();
    return;
  }
  const translate = translator(cluster, req, send);
  for (const e of replay) translate(e);
  const unsubscribe = cluster.store.subscribe(key, translate);
  const bookmark = req.bookmarks ? bookmarks(cluster, req, send) : undefined;
  let timeout: { clear(): void } | undefined = undefined;
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    unsubscribe();
    timeout?.clear();
    if (bookmark) clearInterval(bookmark);
    if (!res.writableEnded) res.end();
  };
  // the watch's timeoutSeconds is a deadline: the cluster's clock
  timeout = cluster.clock.timeout(finish, req.timeoutMs);
  onClose(finish);
}

const matcher =
  (req: WatchRequest) =>
  (o: KubeObject): boolean =>
    (!req.type.namespaced || req.namespace === undefined || o.metadata?.namespace === req.namespace) &&
    matchesRequirements(o.metadata?.labels ?? {}, req.labels) &&
    matchesFields(o, req.fields);

/**
 * ADDED for what exists (no resourceVersion, or "0"): nothing to replay then; else the history since
 * the version, or undefined after a 410 Expired ERROR when it is older than the history.
 */
function startingEvents(
  cluster: LabCluster,
  req: WatchRequest,
  send: (type: string, object: unknown) => void,
): StoreEvent[] | undefined {
  const t = req.type;
  const key = storageKey(t);
  const rvText = req.resourceVersion ?? '';
  if (rvText === '' || rvText === '0') {
    const match = matcher(req);
    for (const o of cluster.store.list(key, t.namespaced ? req.namespace : undefined))
      if (match(o)) send('ADDED', cluster.present(t, o));
    return [];
  }
  const rv = Number(rvText);
  const events = Number.isInteger(rv) ? cluster.store.eventsSince(key, rv) : undefined;
  if (events) return events;
  const oldest = cluster.store.oldestResourceVersion();
  send('ERROR', {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `too old resource version: ${rvText} (${oldest})`,
    reason: 'Expired',
    code: 410,
  });
  return undefined;
}

/** A store event as the watcher sees it through its selectors: an object leaving them is DELETED. */
function translator(
  cluster: LabCluster,
  req: WatchRequest,
  send: (type: string, object: unknown) => void,
): (e: StoreEvent) => void {
  const match = matcher(req);
  return (e) => {
    const now = match(e.object);
    const before = e.prev !== undefined && match(e.prev);
    const obj = cluster.present(req.type, e.object);
    if (e.type === 'ADDED' && now) send('ADDED', obj);
    else if (e.type === 'DELETED' && before) send('DELETED', obj);
    else if (e.type === 'MODIFIED') {
      if (now && before) send('MODIFIED', obj);
      else if (now) send('ADDED', obj);
      else if (before) send('DELETED', obj);
    }
  };
}

/**
 * BOOKMARKs every bookmarkIntervalMs: a keepalive of the stream that carries the resourceVersion, not a
 * time anyone reads, so Node's interval, whatever the cluster's clock.
 */
function bookmarks(
  cluster: LabCluster,
  req: WatchRequest,
  send: (type: string, object: unknown) => void,
): ReturnType<typeof setInterval> {
  return setInterval(() => {
    send('BOOKMARK', {
      kind: req.type.kind,
      apiVersion: groupVersion(req.type),
      metadata: {
        resourceVersion: String(cluster.store.currentResourceVersion()),
        annotations: { 'k8s.io/initial-events-end': 'true' },
      },
    });
  }, req.bookmarkIntervalMs);
}
