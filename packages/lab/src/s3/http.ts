import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core.js';
import { S3Error } from './errors.js';
import type { S3Store, Version } from './store.js';

/** What every operation of the lab S3 works with: the buckets, the server's clock, its region. */
export interface S3Context {
  store: S3Store;
  /** Retain-until decisions, Last-Modified, creation dates and pre-signed URL expiry read it. */
  clock: Clock;
  region?: string;
}

/** One request, its body already read. */
export interface S3Call {
  method: string;
  q: URLSearchParams;
  req: IncomingMessage;
  body: Buffer;
  res: ServerResponse;
}

/** An operation's place in the API: its method and, when it has one, its subresource (`?versioning`). */
export interface Route<H> {
  method?: string;
  sub?: string;
  op: H;
}

/** The first route that matches, in order, as S3 tells `GET ?versioning` from a plain `GET`. */
export function route<H>(routes: Route<H>[], call: S3Call): H {
  const r = routes.find((x) => (!x.method || x.method === call.method) && (!x.sub || call.q.has(x.sub)));
  if (!r) throw methodNotAllowed();
  return r.op;
}

export const methodNotAllowed = (headers: Record<string, string> = {}): S3Error =>
  new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', headers);

export const iso = (d: Date | string): string => new Date(d).toISOString();
const httpDate = (d: string): string => new Date(d).toUTCString();

export function bypass(req: IncomingMessage): boolean {
  return String(req.headers['x-amz-bypass-governance-retention'] ?? '').toLowerCase() === 'true';
}

export function objectHeaders(v: Version): Record<string, string> {
  const h: Record<string, string> = {
    ETag: v.etag,
    'Last-Modified': httpDate(v.lastModified),
    'Content-Type': v.contentType ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    'x-amz-version-id': v.versionId,
  };
  if (v.retention) {
    h['x-amz-object-lock-mode'] = v.retention.mode;
    h['x-amz-object-lock-retain-until-date'] = v.retention.until;
  }
  if (v.legalHold) h['x-amz-object-lock-legal-hold'] = v.legalHold;
  for (const [k, val] of Object.entries(v.metadata)) h[`x-amz-meta-${k}`] = val;
  return h;
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = {},
  headOnly = false,
): void {
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  const h: Record<string, string> = { 'x-amz-request-id': 'lab', ...headers };
  if (data.length && !h['Content-Type']) h['Content-Type'] = 'application/xml';
  if (!headOnly) h['Content-Length'] = String(data.length);
  res.writeHead(status, h);
  res.end(headOnly ? undefined : data);
}
