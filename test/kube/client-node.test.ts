import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientNodeKubeApi, loadKubeConfig } from '../../src/kube/client-node.js';
import { isKubeApiError } from '../../src/kube/errors.js';
import type { RetryPolicy } from '../../src/kube/retry.js';
import { labKubeconfig } from '../../packages/lab/src/kubeconfig.js';

type Step = (req: IncomingMessage, res: ServerResponse) => void;

const DISCOVERY = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [{ name: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: [] }],
};
const json =
  (code: number, body: unknown, headers: Record<string, string> = {}): Step =>
  (_q, res) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
const status = (code: number, reason: string) =>
  json(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message: reason, code });
const reset: Step = (req) => req.socket.destroy();

/** The adapter's retry and error mapping, against a scripted server: each request takes the next step. */
describe('ClientNodeKubeApi retries and errors', () => {
  let server: Server;
  let steps: Step[];
  let seen: string[];
  let api: ClientNodeKubeApi;
  let sleeps: number[];

  beforeEach(async () => {
    steps = [];
    seen = [];
    sleeps = [];
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url === '/api/v1') return json(200, DISCOVERY)(req, res);
      const step = steps.shift() ?? status(500, 'InternalError');
      step(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-retry-'));
    const kc = join(dir, 'kubeconfig');
    await writeFile(kc, labKubeconfig(`http://127.0.0.1:${(server.address() as { port: number }).port}`));
    const retry: RetryPolicy = { attempts: 5, baseMs: 100, maxMs: 1000, sleep: async (ms) => void sleeps.push(ms) };
    api = new ClientNodeKubeApi(loadKubeConfig({ kubeconfig: kc }), { retry });
  });
  afterEach(() => new Promise<void>((r) => server.close(() => r())));

  const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'x' };
  const ok = json(200, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });

  it('honours Retry-After on 429', async () => {
    steps.push(status(429, 'TooManyRequests'), json(429, {}, { 'retry-after': '2' }), ok);
    expect((await api.get(ref))?.metadata?.name).toBe('x');
    expect(sleeps[1]).toBe(2000);
    expect(seen.filter((s) => s.includes('/configmaps/x'))).toHaveLength(3);
  });

  it('backs off on 5xx and on a reset connection for reads', async () => {
    steps.push(status(503, 'ServiceUnavailable'), reset, status(500, 'InternalError'), ok);
    expect((await api.get(ref))?.metadata?.name).toBe('x');
    expect(sleeps).toHaveLength(3);
    expect(sleeps[2]!).toBeGreaterThan(sleeps[0]! / 2); // grows, with jitter
  });

  it("never retries a create of an object without this run's label whose connection reset: the server may have acted", async () => {
    steps.push(reset, ok);
    const err = await api
      .create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } })
      .catch((e: unknown) => e);
    expect((err as { code: string }).code).toBe('KUBE_UNREACHABLE');
    expect(seen.filter((s) => s.startsWith('POST'))).toHaveLength(1);
  });

  it("retries a create of this run's own object, and takes the 409 of its own earlier attempt as success", async () => {
    const mine = {
      apiVersion: 'velero.io/v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', namespace: 'default', labels: { 'kdrill.dev/run-id': 'r1' } },
    };
    const existing = json(200, { ...mine, metadata: { ...mine.metadata, uid: 'u1' } });
    // the first POST's answer is lost (500 after the server acted); the retry meets the object
    steps.push(status(500, 'InternalError'), status(409, 'AlreadyExists'), existing);
    const got = await api.create({ ...mine, apiVersion: 'v1' });
    expect(got.metadata?.uid).toBe('u1');
    expect(seen.filter((x) => x.startsWith('POST'))).toHaveLength(2);
    // someone else's object of that name is a conflict, not success
    steps.push(
      status(409, 'AlreadyExists'),
      json(200, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'x', labels: { 'kdrill.dev/run-id': 'other' } },
      }),
    );
    const err = await api.create({ ...mine, apiVersion: 'v1' }).catch((e: unknown) => e);
    expect(isKubeApiError(err, 409)).toBe(true);
  });

  it('gives up on a server that accepts the request and never answers, without retrying it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-silent-'));
    const kc = join(dir, 'kubeconfig');
    await writeFile(kc, labKubeconfig(`http://127.0.0.1:${(server.address() as { port: number }).port}`));
    const quick = new ClientNodeKubeApi(loadKubeConfig({ kubeconfig: kc }), {
      retry: { attempts: 5, baseMs: 1, maxMs: 1, sleep: async () => undefined },
      onWarning: () => undefined,
      timeoutMs: 300,
    });
    steps.push(() => undefined); // never answers
    const t0 = Date.now();
    const err = await quick.get(ref).catch((e: unknown) => e);
    expect((err as { code: string }).code).toBe('KUBE_TIMEOUT');
    expect((err as Error).message).toMatch(/accepted the connection but did not answer within 0\.3s/);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(seen.filter((x) => x.includes('/configmaps/x'))).toHaveLength(1);
  });

  it('gives up after the last attempt and reports the server message', async () => {
    for (let i = 0; i < 5; i++) steps.push(status(503, 'ServiceUnavailable'));
    const err = await api.get(ref).catch((e: unknown) => e);
    expect(isKubeApiError(err, 503)).toBe(true);
    expect(sleeps).toHaveLength(4);
  });

  it('maps 401 and 403 to precondition errors with hints, and does not retry them', async () => {
    steps.push(status(401, 'Unauthorized'));
    const e401 = await api.get(ref).catch((e: unknown) => e);
    expect(isKubeApiError(e401, 401) && (e401 as { exitCode: number }).exitCode).toBe(4);
    expect((e401 as { hint: string }).hint).toMatch(/credentials of context "kdrill-lab"/);
    steps.push(status(403, 'Forbidden'));
    const e403 = await api.get(ref).catch((e: unknown) => e);
    expect((e403 as { hint: string }).hint).toMatch(/RBAC/);
    expect(sleeps).toHaveLength(0);
  });

  it('tells a namespace being deleted apart from a missing permission (both are 403)', async () => {
    steps.push(
      json(403, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
        message:
          'secrets "x" is forbidden: unable to create new content in namespace velero because it is being terminated',
      }),
    );
    const e = await api.get(ref).catch((err: unknown) => err);
    expect(isKubeApiError(e, 403)).toBe(true);
    expect((e as { hint: string }).hint).toMatch(/being deleted \(Terminating\)/);
    expect((e as { hint: string }).hint).not.toMatch(/RBAC/);
  });

  const cms = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({ metadata: { name: `c${from + i}`, namespace: 'default' } }));
  const page = (items: unknown[], cont?: string) =>
    json(200, { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '7', continue: cont }, items });

  it('lists in pages of 500 and hands each page over as it arrives, with the kind on every item', async () => {
    steps.push(page(cms(0, 500), 'p2'), page(cms(500, 500), 'p3'), page(cms(1000, 3)));
    const pages: { n: number; restart: boolean; kind?: string }[] = [];
    const rv = await api.listEach({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: 'default' }, (items, restart) =>
      pages.push({ n: items.length, restart, kind: items[0]?.kind }),
    );
    expect(rv).toBe('7');
    expect(pages).toEqual([
      { n: 500, restart: true, kind: 'ConfigMap' },
      { n: 500, restart: false, kind: 'ConfigMap' },
      { n: 3, restart: false, kind: 'ConfigMap' },
    ]);
    const lists = seen.filter((x) => x.includes('/configmaps'));
    expect(lists[0]).toMatch(/limit=500/);
    expect(lists[1]).toMatch(/limit=500&continue=p2/);
  });

  it('lists again from the start, whole, when the server expired the list half-way (410), as client-go does', async () => {
    steps.push(page(cms(0, 500), 'old'), status(410, 'Expired'), page(cms(0, 700)));
    const pages: { n: number; restart: boolean }[] = [];
    await api.listEach({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: 'default' }, (items, restart) =>
      pages.push({ n: items.length, restart }),
    );
    expect(pages).toEqual([
      { n: 500, restart: true },
      { n: 700, restart: true },
    ]);
    expect(seen.filter((x) => x.includes('/configmaps')).pop()).not.toMatch(/limit|continue/);
    steps.push(page(cms(0, 500), 'old'), status(410, 'Expired'), page(cms(0, 700)));
    expect((await api.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: 'default' })).items).toHaveLength(700);
  });
});
