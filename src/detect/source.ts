import { DrillError, ExitCode } from '../errors.js';
import type { KubeApi } from '../kube/kube-api.js';
import type { SeenAlert } from './types.js';

/** Where firing alerts are read: Alertmanager's API, or Prometheus's rules API. */
export interface AlertSource {
  /** For messages and result.json, e.g. "Alertmanager http://127.0.0.1:9093". */
  readonly name: string;
  /** Every alert firing now (silenced ones marked suppressed). Throws a DrillError when the source cannot be read. */
  firing(signal?: AbortSignal): Promise<SeenAlert[]>;
}

/** An HTTP endpoint as the scenario names it: a URL, or a Service through the API server proxy. */
export interface EndpointRef {
  url?: string;
  service?: { namespace: string; name: string; port: number | string; path: string };
}

export type HttpGet = (path: string, signal?: AbortSignal) => Promise<{ status: number; body: string }>;

const REQUEST_TIMEOUT_MS = 10_000;

export const endpointName = (e: EndpointRef): string =>
  e.url
    ? e.url.replace(/\/+$/, '')
    : `service ${e.service!.namespace}/${e.service!.name}:${e.service!.port} (through the API server proxy)`;

/** GET on an endpoint: `path` is appended to the URL, or to the Service's path. */
export function httpGetter(e: EndpointRef, kube?: KubeApi): HttpGet {
  if (e.url) {
    const base = e.url.replace(/\/+$/, '');
    return async (path, signal) => {
      const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
      const r = await fetch(`${base}${path}`, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      return { status: r.status, body: await r.text() };
    };
  }
  const s = e.service!;
  if (!kube) throw new Error('a Service endpoint needs the cluster');
  const prefix = s.path.replace(/\/+$/, '');
  return (path) => kube.proxyGet(s.namespace, s.name, s.port, `${prefix}${path}`);
}

/** Why a source could not be read, as an exit-4 precondition (before the disaster) or a note (during it). */
export function sourceError(name: string, what: string, cause?: unknown): DrillError {
  const why = cause instanceof Error ? causeText(cause) : typeof cause === 'string' ? cause : '';
  return new DrillError(
    'DETECT_SOURCE_UNREACHABLE',
    `${name} ${what}${why ? `: ${why}` : ''}: the drill cannot tell whether anyone would notice the disaster`,
    ExitCode.Precondition,
    {
      hint: 'start it, or fix detect.source in the scenario (for the lab: kdrill lab up --monitoring, or lab: { monitoring: true })',
      cause,
    },
  );
}

/** fetch hides the reason (ECONNREFUSED…) in its cause; the first line of a DrillError is enough. */
function causeText(e: Error): string {
  const c = (e as { cause?: { code?: string; message?: string } }).cause;
  if (c?.code) return `${e.message} (${c.code})`;
  return e.message.split('\n')[0] ?? '';
}

/** Reads JSON from a source, or says precisely why not. */
export async function getJson(get: HttpGet, name: string, path: string, signal?: AbortSignal): Promise<unknown> {
  let r: { status: number; body: string };
  try {
    r = await get(path, signal);
  } catch (e) {
    if (signal?.aborted) throw e;
    throw sourceError(name, 'does not answer', e);
  }
  if (r.status !== 200)
    throw sourceError(name, `answered HTTP ${r.status} to GET ${path}`, r.body.trim().slice(0, 160));
  try {
    return JSON.parse(r.body) as unknown;
  } catch {
    throw sourceError(name, `answered GET ${path} with something that is not JSON`, r.body.trim().slice(0, 80));
  }
}
