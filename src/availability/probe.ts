import { KeptAliveGetter, type GetError } from './http1.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { Clock } from '../time/clock.js';

/** One look at an endpoint: up or down, and what it said when down. */
export type Probe = (timeoutMs: number) => Promise<{ up: boolean; detail: string }>;

export interface Expect {
  expectStatus: number;
  bodyRegex?: string;
}

/** The judge of one probe's answers: the body's regex compiled once, not once per sample. */
function judgeOf(e: Expect): (status: number, body: string) => { up: boolean; detail: string } {
  const re = e.bodyRegex ? new RegExp(e.bodyRegex) : undefined;
  return (status, body) => {
    if (status !== e.expectStatus) return { up: false, detail: `HTTP ${status}` };
    if (re && !re.test(body)) return { up: false, detail: `HTTP ${status}, body does not match /${e.bodyRegex}/` };
    return { up: true, detail: `HTTP ${status}` };
  };
}

/**
 * A URL, over one kept-alive connection: sampling ten times a second must cost the sampler next to
 * nothing, and must not open a connection per sample on the service either (see KeptAliveGetter).
 */
export function urlProbe(url: string, e: Expect, clock: Clock): Probe {
  const getter = new KeptAliveGetter(new URL(url));
  const judge = judgeOf(e);
  return async (timeoutMs) => {
    let cancel = (): void => undefined;
    let late = false;
    const deadline = clock.timeout(() => {
      late = true;
      cancel();
    }, timeoutMs);
    try {
      const r = await getter.get((c) => (cancel = c));
      return judge(r.status, r.body);
    } catch (err) {
      return { up: false, detail: late ? `no answer within ${timeoutMs}ms` : ((err as GetError).code ?? String(err)) };
    } finally {
      deadline.clear();
    }
  };
}

/** A Service through the API server's proxy, as the http verify check reaches it. */
export function serviceProbe(
  kube: KubeApi,
  s: { namespace: string; name: string; port: number | string; path: string },
  e: Expect,
  clock: Clock,
): Probe {
  const judge = judgeOf(e);
  return async (timeoutMs) => {
    let timer: { clear(): void } | undefined;
    const late = new Promise<{ up: boolean; detail: string }>((resolve) => {
      timer = clock.timeout(() => resolve({ up: false, detail: `no answer within ${timeoutMs}ms` }), timeoutMs);
    });
    const asked = kube.proxyGet(s.namespace, s.name, s.port, s.path).then(
      (r) => judge(r.status, r.body),
      (err: Error) => ({ up: false, detail: err.message.split('\n')[0] ?? 'error' }),
    );
    try {
      return await Promise.race([asked, late]);
    } finally {
      timer?.clear();
    }
  };
}
