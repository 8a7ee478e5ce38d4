import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What goes wrong, per request, as fractions; watch streams are cut every few seconds. */
export interface FaultPlan {
  /** Answered 500 by the "server" (before it acted). */
  error500?: number;
  /** Answered 429 with Retry-After. */
  error429?: number;
  retryAfterSeconds?: number;
  /** 503 SlowDown, as S3 throttles. */
  slowDown?: number;
  /** The connection is reset before an answer. */
  reset?: number;
  /** Streams (watches) are cut after a random time in this range, in ms. */
  cutStreamsMs?: [number, number];
  /** Accept and never answer at all. */
  silent?: boolean;
  /** Forward the client's Host header unchanged: S3 signs it (SigV4), so rewriting it breaks every signature. */
  preserveHost?: boolean;
}

export interface FaultProxy {
  url: string;
  stats: { requests: number; e500: number; e429: number; slowDown: number; resets: number; cuts: number };
  /** Every request as `METHOD /path?query`, in the order it came. */
  seen: string[];
  stop(): Promise<void>;
}

/** A deterministic PRNG (mulberry32): the same seed, the same faults, so a failure can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const isStream = (req: IncomingMessage): boolean => /[?&]watch=(true|1)/.test(req.url ?? '');

/**
 * An HTTP proxy of the project's own, in front of an API server or an S3 endpoint, that fails as
 * real ones do under load: 500s, 429s with Retry-After, 503 SlowDown, reset connections, watch
 * streams cut mid-way, or total silence. Everything else is passed through unchanged.
 */
export async function startFaultProxy(target: string, plan: FaultPlan, seed = 1): Promise<FaultProxy> {
  const rand = prng(seed);
  const up = new URL(target);
  const stats = { requests: 0, e500: 0, e429: 0, slowDown: 0, resets: 0, cuts: 0 };
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    stats.requests++;
    seen.push(`${req.method} ${req.url}`);
    if (plan.silent) return; // accepted, never answered
    const r = rand();
    let edge = plan.reset ?? 0;
    if (r < edge) {
      stats.resets++;
      req.socket.destroy();
      return;
    }
    if (r < (edge += plan.error500 ?? 0)) {
      stats.e500++;
      res.writeHead(500, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: 'fault injected: internal error',
          reason: 'InternalError',
          code: 500,
        }),
      );
      return;
    }
    if (r < (edge += plan.error429 ?? 0)) {
      stats.e429++;
      res
        .writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': String(plan.retryAfterSeconds ?? 1) })
        .end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            message: 'fault injected: too many requests',
            reason: 'TooManyRequests',
            code: 429,
          }),
        );
      return;
    }
    if (r < edge + (plan.slowDown ?? 0)) {
      stats.slowDown++;
      res
        .writeHead(503, { 'Content-Type': 'application/xml' })
        .end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
        );
      return;
    }
    const fwd = request(
      {
        host: up.hostname,
        port: up.port,
        method: req.method,
        path: req.url,
        headers: plan.preserveHost ? req.headers : { ...req.headers, host: up.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        if (isStream(req) && plan.cutStreamsMs) {
          const [lo, hi] = plan.cutStreamsMs;
          const t = setTimeout(
            () => {
              stats.cuts++;
              answer.destroy();
              res.socket?.destroy();
            },
            lo + rand() * (hi - lo),
          );
          answer.once('close', () => clearTimeout(t));
        }
      },
    );
    fwd.on('error', () => res.socket?.destroy());
    req.pipe(fwd);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    seen,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
