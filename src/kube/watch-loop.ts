import type { ListResult, WatchHandle, WatchOptions } from './kube-api.js';
import type { KubeObject } from './types.js';

/** What the watch loop needs from a transport: a list, and a stream from a resourceVersion. */
export interface WatchTransport {
  list(): Promise<ListResult>;
  /** Opens a stream; resolves to a function that aborts it. `done` fires once when it ends. */
  stream(
    resourceVersion: string,
    onEvent: (type: string, object: KubeObject) => void,
    done: (err: unknown) => void,
  ): Promise<() => void>;
}

const keyOf = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** Whether a watch failure may pass: the server said 429 or 5xx, or the connection broke; 4xx is an answer. */
function transient(err: unknown): boolean {
  const status =
    (err as { statusCode?: number; status?: number } | null)?.statusCode ?? (err as { status?: number } | null)?.status;
  // no status: the network breaking is transient; a server that said nothing for the whole deadline, or a usage error, is not
  if (status === undefined)
    return !['KUBE_TIMEOUT', 'USAGE'].includes(String((err as { code?: string } | null)?.code ?? ''));
  return status === 429 || status >= 500;
}

/** Attempts the first list and stream get before the watch gives up (with backoff, about 20 s). */
const FIRST_ATTEMPTS = 8;
/** After this many failed streams in a row, each retry also lists: the watch keeps delivering by polling. */
const POLL_AFTER = 2;

/**
 * List, then watch from the list's resourceVersion. After a 410 Gone (an ERROR event or an HTTP 410)
 * it lists again and reports what changed in the gap as synthetic events; after a dropped stream it
 * reconnects from the last version it saw, so no event is lost either way. A transient failure of the
 * first list or stream (429, 5xx, a reset) is retried too; when streams keep failing, every retry
 * lists, so the watcher still sees each change within the backoff (at most 2 s apart).
 */
export function runWatch(
  t: WatchTransport,
  opts: WatchOptions,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): WatchHandle {
  const known = new Map<string, KubeObject>();
  let rv = opts.resourceVersion ?? '';
  let stopped = false;
  let abortStream: (() => void) | undefined;
  let relists = 0;
  let reconnects = 0;
  let readyResolve!: () => void;
  let readyReject!: (e: unknown) => void;
  const ready = new Promise<void>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  ready.catch(() => undefined);
  let isReady = false;

  const stop = (): void => {
    stopped = true;
    abortStream?.();
  };
  opts.signal?.addEventListener('abort', stop, { once: true });

  const resync = async (): Promise<void> => {
    const res = await t.list();
    const seen = new Set<string>();
    opts.onSync?.(res.items);
    for (const o of res.items) {
      const k = keyOf(o);
      seen.add(k);
      const before = known.get(k);
      known.set(k, o);
      if (!before) opts.onEvent({ type: 'ADDED', object: o, resynced: isReady });
      else if (before.metadata?.resourceVersion !== o.metadata?.resourceVersion)
        opts.onEvent({ type: 'MODIFIED', object: o, resynced: true });
    }
    for (const [k, o] of known) {
      if (!seen.has(k)) {
        known.delete(k);
        opts.onEvent({ type: 'DELETED', object: o, resynced: true });
      }
    }
    rv = res.resourceVersion;
  };

  const loop = async (): Promise<void> => {
    let failures = 0;
    let needList = opts.resourceVersion === undefined;
    while (!stopped) {
      try {
        if (needList) {
          if (isReady) relists++;
          await resync();
          needList = false;
        }
        const outcome = await new Promise<'gone' | 'ended'>((resolve, reject) => {
          let gone = false;
          t.stream(
            rv,
            (type, object) => {
              if (type === 'ERROR') {
                if ((object as { code?: number }).code === 410) gone = true;
                abortStream?.();
                return;
              }
              if (object?.metadata?.resourceVersion) rv = object.metadata.resourceVersion;
              if (type === 'BOOKMARK') return;
              if (type === 'ADDED' || type === 'MODIFIED') known.set(keyOf(object), object);
              else if (type === 'DELETED') known.delete(keyOf(object));
              else return;
              failures = 0;
              opts.onEvent({ type, object });
            },
            (err) => {
              if ((err as { statusCode?: number } | null)?.statusCode === 410) gone = true;
              else if (err && !stopped && (err as { statusCode?: number }).statusCode)
                return reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
              resolve(gone ? 'gone' : 'ended');
            },
          )
            .then((abort) => {
              abortStream = abort;
              if (stopped) abort();
              if (!isReady) {
                isReady = true;
                readyResolve();
              }
            })
            .catch(reject);
        });
        if (outcome === 'gone') needList = true;
        else if (!stopped) {
          reconnects++;
          failures++;
          if (failures >= POLL_AFTER) needList = true;
          await sleep(Math.min(2000, 20 * 2 ** Math.min(failures, 7)));
        }
      } catch (err) {
        failures++;
        if (!isReady && (!transient(err) || failures >= FIRST_ATTEMPTS)) {
          stopped = true;
          readyReject(err);
          return;
        }
        if (failures >= POLL_AFTER) needList = true;
        await sleep(Math.min(2000, 50 * 2 ** Math.min(failures, 7)));
      }
    }
  };
  void loop();
  return { ready, stop, stats: () => ({ relists, reconnects }) };
}
