import { systemClock } from '../time/clock.js';

/** Backoff for calls the server asked us to retry (429, 5xx) or that lost their connection. */
export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
  sleep: (ms: number) => Promise<void>;
}

export const defaultRetry: RetryPolicy = {
  attempts: 6,
  baseMs: 100,
  maxMs: 5000,
  sleep: (ms) => systemClock.sleep(ms),
};

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);

export type Attempt<T> =
  { ok: true; value: T } | { ok: false; status?: number; retryAfter?: string; errno?: string; error: unknown };

/**
 * How a call may be repeated: `idempotent` (GET, PUT, PATCH, DELETE) on 429, 5xx and resets; `create`
 * (a POST whose caller treats a 409 AlreadyExists of its own object as success) likewise; `once` only
 * on 429 and a refused connection, where the server cannot have acted. A request the server accepted
 * and never answered (ETIMEDOUT, our own deadline) is never repeated: a silent server stays silent.
 */
export type RetryMode = 'idempotent' | 'create' | 'once';

/** Retries while the outcome says so. */
export async function withRetry<T>(
  run: () => Promise<Attempt<T>>,
  mode: RetryMode | boolean,
  policy: RetryPolicy = defaultRetry,
): Promise<T> {
  const m: RetryMode = mode === true ? 'idempotent' : mode === false ? 'once' : mode;
  let last: Attempt<T> | undefined;
  for (let i = 0; i < policy.attempts; i++) {
    last = await run();
    if (last.ok) return last.value;
    if (!retryable(last, m, i) || i === policy.attempts - 1) break;
    await policy.sleep(delay(i, last.retryAfter, policy));
  }
  throw (last as { error: unknown }).error;
}

function retryable(a: Exclude<Attempt<unknown>, { ok: true }>, m: RetryMode, attempt: number): boolean {
  if (a.status !== undefined) return a.status === 429 || (m !== 'once' && RETRYABLE_STATUS.has(a.status));
  const code = a.errno ?? '';
  if (code === 'ECONNREFUSED') return attempt < 2;
  return m !== 'once' && RESET_CODES.has(code);
}

/** Retry-After when the server gave one (bounded), else exponential backoff with jitter. */
export function delay(attempt: number, retryAfter: string | undefined, p: RetryPolicy): number {
  const s = retryAfter !== undefined ? Number(retryAfter) : NaN;
  if (Number.isFinite(s) && s >= 0) return Math.min(s * 1000, p.maxMs * 6);
  const exp = Math.min(p.maxMs, p.baseMs * 2 ** attempt);
  return exp / 2 + Math.random() * (exp / 2);
}
