import {
  request as httpRequest,
  type Agent as HttpAgent,
  type ClientRequest,
  type IncomingHttpHeaders,
} from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import type { Clock } from '../time/clock.js';
import { HeadSigner, s3Escape, type SigningCredentials } from './sigv4-head.js';

// as the SDK's standard retry strategy: throttling and server errors, and sockets that broke
const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRY_ERRNO = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);

/** A failed HEAD in the shape the SDK gives it (name, $metadata), so errors.ts reads both alike. */
export class HeadError extends Error {
  readonly $metadata: { httpStatusCode: number };
  constructor(status: number) {
    // a HEAD has no body to carry an S3 error code: the SDK names it NotFound for 404, else by the status
    super(`HTTP ${status}`);
    this.name = status === 404 ? 'NotFound' : String(status);
    this.$metadata = { httpStatusCode: status };
  }
}

export interface SignedHeadOptions {
  endpoint: string;
  region: string;
  bucket: string;
  /** The SDK client's own provider: the same chain, cache and refresh as every other request. */
  credentials: () => Promise<SigningCredentials>;
  agent: HttpAgent | HttpsAgent;
  maxAttempts: number;
  clock: Clock;
}

/**
 * HeadObject of one version, SigV4-signed and sent on the store's keep-alive sockets, without the SDK's
 * middleware stack: an audit sends one per object version, and the stack cost several times the request
 * itself (the profile is in the note of issue P). Path-style endpoints only. Retries as the SDK's standard
 * mode does, under one deadline over all attempts.
 */
export class SignedHead {
  private readonly url: URL;
  private readonly signer: HeadSigner;
  private readonly send: typeof httpRequest;
  private readonly base: string;
  private readonly o: SignedHeadOptions;

  constructor(o: SignedHeadOptions) {
    this.o = o;
    this.url = new URL(o.endpoint);
    this.send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    this.base = `${this.url.pathname.replace(/\/$/, '')}/${s3Escape(o.bucket)}/`;
    this.signer = new HeadSigner(o.region, this.url.host);
  }

  /**
   * The headers of one version. `timeoutMs` is the deadline over all attempts, kept on the store's clock
   * with one timer (no AbortController per request: an audit sends one per version).
   */
  async head(key: string, versionId: string, timeoutMs: number): Promise<IncomingHttpHeaders> {
    const path = this.base + key.split('/').map(s3Escape).join('/');
    const op: Op = {};
    const timer = this.o.clock.timeout(() => {
      // the reason AbortSignal.timeout gives, so the error reads as the SDK's does
      op.expired = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      op.req?.destroy(op.expired);
      op.wake?.();
    }, timeoutMs);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.once(path, versionId, op);
        } catch (e) {
          stopIfExpired(op);
          if (attempt >= this.o.maxAttempts || !retryable(e)) throw e;
          // full jitter, capped at 20 s, as the SDK's standard strategy
          await this.pause(Math.floor(Math.random() * Math.min(20_000, 100 * 2 ** attempt)), op);
          stopIfExpired(op);
        }
      }
    } finally {
      timer.clear();
    }
  }

  private pause(ms: number, op: Op): Promise<void> {
    return new Promise((resolve) => {
      const t = this.o.clock.timeout(resolve, ms);
      op.wake = () => {
        t.clear();
        resolve();
      };
    });
  }

  private async once(path: string, versionId: string, op: Op): Promise<IncomingHttpHeaders> {
    // signed with the machine's time, not the injected clock: the server checks it against its own
    const headers = this.signer.sign(path, versionId, await this.o.credentials(), new Date());
    stopIfExpired(op);
    return new Promise((resolve, reject) => {
      const req = this.send(
        {
          host: this.url.hostname,
          port: this.url.port || undefined,
          method: 'HEAD',
          path: `${path}?versionId=${s3Escape(versionId)}`,
          headers,
          agent: this.o.agent,
        },
        (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          if (status === 200) resolve(res.headers);
          else reject(new HeadError(status));
        },
      );
      op.req = req;
      req.on('error', reject);
      req.end();
    });
  }
}

/** One HEAD's state across its attempts: the request in flight, the pause between them, the deadline. */
interface Op {
  req?: ClientRequest;
  wake?: () => void;
  expired?: Error;
}

function stopIfExpired(op: Op): void {
  if (op.expired) throw op.expired;
}

function retryable(e: unknown): boolean {
  if (e instanceof HeadError) return RETRY_STATUS.has(e.$metadata.httpStatusCode);
  return RETRY_ERRNO.has((e as { code?: string }).code ?? '');
}
