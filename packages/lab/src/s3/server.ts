import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { systemClock, type Clock } from '../core.js';
import { listenLoopback } from '../listen.js';
import { BUCKET_ROUTES, needBucket } from './bucket-ops.js';
import { S3Error } from './errors.js';
import { methodNotAllowed, readBody, route, send, type S3Call, type S3Context } from './http.js';
import { listBuckets } from './list.js';
import { OBJECT_ROUTES } from './object-ops.js';
import { verifySigV4, type Credentials } from './sigv4.js';
import { S3Store } from './store.js';
import { xml } from './xml.js';

export interface LabS3Options {
  credentials: Credentials;
  /** Keep data here (survives restarts); in memory when undefined. */
  dir?: string;
  port?: number;
  region?: string;
  /** The server's time: Object Lock's retain-until, Last-Modified, pre-signed URL expiry (systemClock by default). */
  clock?: Clock;
}

/**
 * The lab's S3 endpoint: path-style requests, SigV4-checked, versioning and Object Lock enforced the
 * way AWS does (where RGW differs, the lab follows AWS; see ../shared/rgw/README.md). One handler per
 * S3 operation: bucket-ops.ts, object-ops.ts, delete.ts, list.ts.
 */
export class LabS3Server {
  readonly store: S3Store;
  private readonly server: Server;
  private readonly opts: LabS3Options;
  private readonly ctx: S3Context;
  private readonly sockets = new Set<Socket>();

  constructor(opts: LabS3Options) {
    this.opts = opts;
    const clock = opts.clock ?? systemClock;
    this.store = new S3Store(opts.dir, clock);
    this.ctx = { store: this.store, clock, region: opts.region };
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => this.fail(req, res, e));
    });
  }

  async listen(port = this.opts.port ?? 0): Promise<string> {
    await listenLoopback(this.server, port, this.sockets);
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    this.store.flush();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://s3');
    verifySigV4(req, url, this.opts.credentials, this.ctx.clock.now().getTime());
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const bucket = decodeURIComponent(bucketName);
    const key = rest.map(decodeURIComponent).join('/');
    const method = req.method ?? 'GET';
    const body = method === 'PUT' || method === 'POST' ? await readBody(req) : Buffer.alloc(0);
    const call: S3Call = { method, q: url.searchParams, req, body, res };
    if (!bucket) {
      if (method !== 'GET') throw methodNotAllowed();
      return listBuckets(this.ctx, call);
    }
    if (!key) return route(BUCKET_ROUTES, call)(this.ctx, call, bucket);
    const b = needBucket(this.ctx, bucket);
    return route(OBJECT_ROUTES, call)(this.ctx, call, b, key);
  }

  private fail(req: IncomingMessage, res: ServerResponse, e: unknown): void {
    const err =
      e instanceof S3Error ? e : new S3Error(500, 'InternalError', e instanceof Error ? e.message : String(e));
    if (res.headersSent) return void res.destroy();
    // drain what the client is still sending, so it reads our answer instead of a reset
    req.resume();
    const head = req.method === 'HEAD';
    send(
      res,
      err.status,
      head
        ? ''
        : xml('Error', { Code: err.code, Message: err.message, Resource: req.url, RequestId: 'lab' }).replace(
            ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"',
            '',
          ),
      err.headers,
      head,
    );
  }
}
