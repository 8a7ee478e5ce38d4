import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { KubeApi } from '../kube/kube-api.js';
import type { Clock } from '../time/clock.js';

/** One look at an endpoint: up or down, and what it said when down. */
export type Probe = (timeoutMs: number) => Promise<{ up: boolean; detail: string }>;

export interface Expect {
  expectStatus: number;
  bodyRegex?: string;
}

const judge = (e: Expect, status: number, body: string): { up: boolean; detail: string } => {
  if (status !== e.expectStatus) return { up: false, detail: `HTTP ${status}` };
  if (e.bodyRegex && !new RegExp(e.bodyRegex).test(body))
    return { up: false, detail: `HTTP ${status}, body does not match /${e.bodyRegex}/` };
  return { up: true, detail: `HTTP ${status}` };
};

/**
 * A URL, over kept-alive connections: sampling ten times a second must cost the sampler next to
 * nothing, and must not open a connection per sample on the service either.
 */
export function urlProbe(url: string, e: Expect, clock: Clock): Probe {
  const u = new URL(url);
  const https = u.protocol === 'https:';
  const agent = https
    ? new HttpsAgent({ keepAlive: true, maxSockets: 1 })
    : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const send = https ? httpsRequest : httpRequest;
  return (timeoutMs) =>
    new Promise((resolve) => {
      const ac = new AbortController();
      const deadline = clock.timeout(() => ac.abort(), timeoutMs);
      const done = (r: { up: boolean; detail: string }): void => {
        deadline.clear();
        resolve(r);
      };
      const req = send(u, { agent, signal: ac.signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          if (e.bodyRegex) chunks.push(c);
        });
        res.on('end', () => done(judge(e, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
        res.on('error', (err) => done({ up: false, detail: err.message }));
      });
      req.on('error', (err: NodeJS.ErrnoException) =>
        done({ up: false, detail: ac.signal.aborted ? `no answer within ${timeoutMs}ms` : (err.code ?? err.message) }),
      );
      req.end();
    });
}

/** A Service through the API server's proxy, as the http verify check reaches it. */
export function serviceProbe(
  kube: KubeApi,
  s: { namespace: string; name: string; port: number | string; path: string },
  e: Expect,
  clock: Clock,
): Probe {
  return async (timeoutMs) => {
    let timer: { clear(): void } | undefined;
    const late = new Promise<{ up: boolean; detail: string }>((resolve) => {
      timer = clock.timeout(() => resolve({ up: false, detail: `no answer within ${timeoutMs}ms` }), timeoutMs);
    });
    const asked = kube.proxyGet(s.namespace, s.name, s.port, s.path).then(
      (r) => judge(e, r.status, r.body),
      (err: Error) => ({ up: false, detail: err.message.split('\n')[0] ?? 'error' }),
    );
    try {
      return await Promise.race([asked, late]);
    } finally {
      timer?.clear();
    }
  };
}
