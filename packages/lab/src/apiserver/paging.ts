import type { KubeObject } from '../core.js';
import { itemKey } from './http.js';
import { ApiError, badRequest } from './status.js';

/**
 * Paged lists as kube-apiserver serves them: every page of one list comes from the state of its first
 * page (etcd reads the continuation at the first page's revision), carries that page's resourceVersion,
 * and a token older than the compacted history is 410 Expired. The lab has no MVCC store, so it keeps
 * the first page's sorted result (stored objects are immutable, so this holds references, not copies)
 * for a few lists at a time; a continuation whose snapshot was dropped is served from the current
 * state after its last key, as before.
 */
export interface Page {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

interface Token {
  start: string;
  rv: number;
  snap?: number;
}

interface Snapshot {
  query: string;
  items: KubeObject[];
}

const SNAPSHOTS = 16;

const encode = (t: Token): string => Buffer.from(JSON.stringify(t)).toString('base64url');

function decode(token: string): Token {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString()) as Partial<Token>;
    if (typeof t.start !== 'string' || typeof t.rv !== 'number') throw new Error('bad token');
    return t as Token;
  } catch {
    throw badRequest('invalid continue token');
  }
}

/** The first index whose key sorts after `start` (items are sorted by key): a binary search, not a scan. */
function after(items: KubeObject[], start: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (itemKey(items[mid]!) <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class ListPager {
  private readonly snapshots = new Map<number, Snapshot>();
  private nextSnap = 1;

  /**
   * One page. `query` names the list (resource, namespace, selectors) so a token is not used on another;
   * `select` gives its current items sorted by key; `rv` and `floor` are the store's current and oldest versions.
   */
  page(q: URLSearchParams, query: string, select: () => KubeObject[], versions: { rv: number; floor: number }): Page {
    const limit = Number(q.get('limit') ?? '0');
    const cont = q.get('continue');
    if (!cont) return this.first(query, select(), limit, versions.rv);
    if (q.get('resourceVersion')) throw badRequest('specifying resource version is not allowed when using continue');
    const t = decode(cont);
    const snap = t.snap === undefined ? undefined : this.snapshots.get(t.snap);
    if (snap && snap.query !== query) throw badRequest('the continue token belongs to another list');
    if (!snap && t.rv < versions.floor)
      throw new ApiError(
        410,
        'Expired',
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      );
    const items = snap?.items ?? select();
    return this.slice(items, after(items, t.start), limit, snap ? t.rv : versions.rv, t.snap);
  }

  private first(query: string, items: KubeObject[], limit: number, rv: number): Page {
    if (!(limit > 0) || items.length <= limit) return this.slice(items, 0, limit, rv, undefined);
    const snap = this.nextSnap++;
    this.snapshots.set(snap, { query, items });
    // the oldest list's snapshot goes first; a client that paged that slowly continues from the current state
    if (this.snapshots.size > SNAPSHOTS) this.snapshots.delete(this.snapshots.keys().next().value!);
    return this.slice(items, 0, limit, rv, snap);
  }

  private slice(items: KubeObject[], from: number, limit: number, rv: number, snap: number | undefined): Page {
    const end = limit > 0 ? from + limit : items.length;
    const page = items.slice(from, end);
    const more = end < items.length;
    if (!more && snap !== undefined) this.snapshots.delete(snap);
    return {
      items: page,
      resourceVersion: String(rv),
      ...(more
        ? {
            continue: encode({ start: itemKey(page[page.length - 1]!), rv, ...(snap === undefined ? {} : { snap }) }),
            remainingItemCount: items.length - end,
          }
        : {}),
    };
  }
}
