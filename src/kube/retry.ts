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
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET']);

export type Attempt<T> = { ok: true; value: T } | { ok: false; status?: number; retryAfter?: string; errno?: string; error: unknown };

/**
 * Retries while the outcome says so. `idempotent: false` (a POST) retries only when the server
 * cannot have acted: 429 and refused connections, never a reset mid-request.
 */
export async function withRetry<T>(run: () => Promise<Attempt<T>>, idempotent: boolean, policy: RetryPolicy = defaultRetry): Promise<T> {
  let last: Attempt<T> | undefined;
  for (let i = 0; i < policy.attempts; i++) {
    last = await run();
    if (last.ok) return last.value;
    const code = last.errno ?? '';
    const retryable =
      (last.status !== undefined && (last.status === 429 || (idempotent && RETRYABLE_STATUS.has(last.status)))) ||
      (last.status === undefined && (code === 'ECONNREFUSED' ? i < 2 : idempotent && RESET_CODES.has(code)));
    if (!retryable || i === policy.attempts - 1) break;
    await policy.sleep(delay(i, last.retryAfter, policy));
  }
  throw (last as { error: unknown }).error;
}

export function delay(attempt: number, retryAfter: string | undefined, p: RetryPolicy): number {
  const s = retryAfter !== undefined ? Number(retryAfter) : NaN;
  if (Number.isFinite(s) && s >= 0) return Math.min(s * 1000, p.maxMs * 6);
  const exp = Math.min(p.maxMs, p.baseMs * 2 ** attempt);
  return exp / 2 + Math.random() * (exp / 2);
}
