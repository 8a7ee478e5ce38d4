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
  const t = req.type;
  const key = storageKey(t);
  const match = (o: KubeObject): boolean =>
    (!t.namespaced || req.namespace === undefined || o.metadata?.namespace === req.namespace) &&
    matchesRequirements(o.metadata?.labels ?? {}, req.labels) &&
    matchesFields(o, req.fields);
  const send = (type: string, object: unknown): void => {
    res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const translate = (e: StoreEvent): void => {
    const now = match(e.object);
    const before = e.prev !== undefined && match(e.prev);
    const obj = cluster.present(t, e.object);
    if (e.type === 'ADDED' && now) send('ADDED', obj);
    else if (e.type === 'DELETED' && before) send('DELETED', obj);
    else if (e.type === 'MODIFIED') {
      if (now && before) send('MODIFIED', obj);
      else if (now) send('ADDED', obj);
      else if (before) send('DELETED', obj);
    }
  };

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache',
  });
  res.flushHeaders();

  const rvText = req.resourceVersion ?? '';
  let replay: StoreEvent[] = [];
  if (rvText === '' || rvText === '0') {
    for (const o of cluster.store.list(key, t.namespaced ? req.namespace : undefined))
      if (match(o)) send('ADDED', cluster.present(t, o));
  } else {
    const rv = Number(rvText);
    const events = Number.isInteger(rv) ? cluster.store.eventsSince(key, rv) : undefined;
    if (!events) {
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
      res.end();
      return;
    }
    replay = events;
  }
  for (const e of replay) translate(e);
  const unsubscribe = cluster.store.subscribe(key, translate);

  const bookmark = req.bookmarks
    ? setInterval(() => {
        send('BOOKMARK', {
          kind: t.kind,
          apiVersion: groupVersion(t),
          metadata: {
            resourceVersion: String(cluster.store.currentResourceVersion()),
            annotations: { 'k8s.io/initial-events-end': 'true' },
          },
        });
      }, req.bookmarkIntervalMs)
    : undefined;
  const timeout = setTimeout(() => finish(), req.timeoutMs);
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    unsubscribe();
    clearTimeout(timeout);
    if (bookmark) clearInterval(bookmark);
    if (!res.writableEnded) res.end();
  };
  onClose(finish);
}
