import { createHash } from 'node:crypto';
import type { ObjectStore, S3Settings } from './object-store.js';

/**
 * One object store per set of settings for the length of a run: a drill reads the BSL in preflight, for the
 * sentinel and again at recovery, and a new client each time meant new connections and the SDK's set-up
 * again. The settings are read afresh each time by the caller; credentials that changed get a new store.
 */
export function storeReuse(make: (s: S3Settings) => ObjectStore): (s: S3Settings) => ObjectStore {
  const made = new Map<string, ObjectStore>();
  return (s) => {
    // a digest, so the credentials are not kept as a string beside the store that holds them
    const id = createHash('sha256').update(JSON.stringify(s)).digest('base64');
    let store = made.get(id);
    if (!store) made.set(id, (store = make(s)));
    return store;
  };
}
