import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseLabelSelector } from '../core.js';
import type { KubeObject } from '../core.js';
import { decodeProtobuf } from './protobuf.js';
import { ApiError, badRequest, unsupportedMediaType } from './status.js';

// The HTTP edges of the lab API server: bodies in, JSON out, selectors parsed.

export const notFoundPath = (): ApiError =>
  new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});

export function parseSelector(s: string | null): ReturnType<typeof parseLabelSelector> {
  try {
    return parseLabelSelector(s ?? undefined);
  } catch (e) {
    throw badRequest(`unable to parse requirement: ${(e as Error).message}`);
  }
}

export const itemKey = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export function json(res: ServerResponse, code: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

export function text(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain' });
  res.end(body);
}

export async function readJson(
  req: IncomingMessage,
  max = 3 * 1024 * 1024,
  allowAny = false,
  optional = false,
): Promise<KubeObject> {
  const ct = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim();
  if (ct.includes('yaml')) throw unsupportedMediaType(ct);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) throw new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large');
    chunks.push(c as Buffer);
  }
  if (ct === 'application/vnd.kubernetes.protobuf') return decodeProtobuf(Buffer.concat(chunks));
  const raw = Buffer.concat(chunks).toString('utf8');
  if (!raw.trim()) {
    if (optional) return undefined as unknown as KubeObject;
    throw badRequest('the request body is empty');
  }
  try {
    const v = JSON.parse(raw) as unknown;
    if (!allowAny && (typeof v !== 'object' || v === null || Array.isArray(v)))
      throw badRequest('the request body must be a JSON object');
    return v as KubeObject;
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw badRequest(`couldn't decode the request body as JSON: ${(e as Error).message}`);
  }
}
