import type { ListResult, WatchHandle, WatchOptions } from './kube-api.js';
import { systemClock } from '../time/clock.js';
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

type Outcome = 'gone' | 'ended';

/** The state of one watch: what it has seen, from which version it goes on, and how it is failing. */
class WatchLoop {
  readonly ready: Promise<void>;
  relists = 0;
  reconnects = 0;
  private readonly t: WatchTransport;
  private readonly opts: WatchOptions;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly known = new Map<string, KubeObject>();
  private rv: string;
  private stopped = false;
  private abortStream: (() => void) | undefined;
  private isReady = false;
  private failures = 0;
  private needList: boolean;
  private readyResolve!: () => void;
  private readyReject!: (e: unknown) => void;

  constructor(t: WatchTransport, opts: WatchOptions, sleep: (ms: number) => Promise<void>) {
    this.t = t;
    this.opts = opts;
    this.sleep = sleep;
    this.rv = opts.resourceVersion ?? '';
    this.needList = opts.resourceVersion === undefined;
    this.ready = new Promise<void>((res, rej) => {
      this.readyResolve = res;
      this.readyReject = rej;
    });
    this.ready.catch(() => undefined);
  }

  readonly stop = (): void => {
    this.stopped = true;
    this.abortStream?.();
  };

  async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.step();
      } catch (err) {
        if (!(await this.failed(err))) return;
      }
    }
  }

  /** A list when one is due, then one stream until it ends; a stream that merely ended is reconnected after a backoff. */
  private async step(): Promise<void> {
    if (this.needList) {
      if (this.isReady) this.relists++;
      await this.resync();
      this.needList = false;
    }
    const outcome = await this.stream();
    if (outcome === 'gone') this.needList = true;
    else if (!this.stopped) {
      this.reconnects++;
      this.failures++;
      if (this.failures >= POLL_AFTER) this.needList = true;
      await this.sleep(Math.min(2000, 20 * 2 ** Math.min(this.failures, 7)));
    }
  }

  /** A list or stream that failed: before the first success only a few transient failures pass; false ends the watch. */
  private async failed(err: unknown): Promise<boolean> {
    this.failures++;
    if (!this.isReady && (!transient(err) || this.failures >= FIRST_ATTEMPTS)) {
      this.stopped = true;
      this.readyReject(err);
      return false;
    }
    if (this.failures >= POLL_AFTER) this.needList = true;
    await this.sleep(Math.min(2000, 50 * 2 ** Math.min(this.failures, 7)));
    return true;
  }

  /** Lists, and reports the difference from what was known as events (synthetic ones after the first list). */
  private async resync(): Promise<void> {
    const res = await this.t.list();
    const seen = new Set<string>();
    this.opts.onSync?.(res.items);
    for (const o of res.items) {
      const k = keyOf(o);
      seen.add(k);
      const before = this.known.get(k);
      this.known.set(k, o);
      if (!before) this.opts.onEvent({ type: 'ADDED', object: o, resynced: this.isReady });
      else if (before.metadata?.resourceVersion !== o.metadata?.resourceVersion)
        this.opts.onEvent({ type: 'MODIFIED', object: o, resynced: true });
    }
    for (const [k, o] of this.known) {
      if (!seen.has(k)) {
        this.known.delete(k);
        this.opts.onEvent({ type: 'DELETED', object: o, resynced: true });
      }
    }
    this.rv = res.resourceVersion;
  }

  /** One stream from the last version seen: 'gone' when the server no longer has that version (410). */
  private stream(): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      let gone = false;
      this.t
        .stream(
          this.rv,
          (type, object) => this.onStreamEvent(type, object, () => (gone = true)),
          (err) => {
            if ((err as { statusCode?: number } | null)?.statusCode === 410) gone = true;
            else if (err && !this.stopped && (err as { statusCode?: number }).statusCode)
              return reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
            resolve(gone ? 'gone' : 'ended');
          },
        )
        .then((abort) => this.opened(abort))
        .catch(reject);
    });
  }

  private onStreamEvent(type: string, object: KubeObject, markGone: () => void): void {
    if (type === 'ERROR') {
      if ((object as { code?: number }).code === 410) markGone();
      this.abortStream?.();
      return;
    }
    if (object?.metadata?.resourceVersion) this.rv = object.metadata.resourceVersion;
    if (type === 'BOOKMARK') return;
    if (type === 'ADDED' || type === 'MODIFIED') this.known.set(keyOf(object), object);
    else if (type === 'DELETED') this.known.delete(keyOf(object));
    else return;
    this.failures = 0;
    this.opts.onEvent({ type, object });
  }

  /** The stream is open: the watch is ready once its first one is. */
  private opened(abort: () => void): void {
    this.abortStream = abort;
    if (this.stopped) abort();
    if (!this.isReady) {
      this.isReady = true;
      this.readyResolve();
    }
  }
}

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
  sleep: (ms: number) => Promise<void> = (ms) => systemClock.sleep(ms),
): WatchHandle {
  const w = new WatchLoop(t, opts, sleep);
  // the run's signal outlives every watch on it: a stopped watch takes its listener off
  const onAbort = (): void => w.stop();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const stop = (): void => {
    opts.signal?.removeEventListener('abort', onAbort);
    w.stop();
  };
  void w.run();
  return { ready: w.ready, stop, stats: () => ({ relists: w.relists, reconnects: w.reconnects }) };
}
