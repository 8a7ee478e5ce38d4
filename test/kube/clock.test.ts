import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientNodeKubeApi, loadKubeConfig } from '../../src/kube/client-node.js';
import { labKubeconfig } from '../../packages/lab/src/kubeconfig.js';
import { FakeClock } from '../support/fakes/fake-clock.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const json = (res: ServerResponse, code: number, body: unknown): void => {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const CORE = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [{ name: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: ['list', 'watch'] }],
};
const unavailable = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'ServiceUnavailable', code: 503 };
const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'x' };
const turn = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The adapter's deadlines, backoff and discovery skip window run on the Clock it is given, not on the wall clock. */
describe("the kube adapter's clock", () => {
  let server: Server;
  let handler: Handler;
  let seen: string[];
  let clock: FakeClock;
  let api: ClientNodeKubeApi;
  const held: ServerResponse[] = [];

  beforeEach(async () => {
    seen = [];
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url === '/api/v1') return json(res, 200, CORE);
      handler(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-kclock-'));
    const kc = join(dir, 'kubeconfig');
    await writeFile(kc, labKubeconfig(`http://127.0.0.1:${(server.address() as { port: number }).port}`));
    clock = new FakeClock();
    api = new ClientNodeKubeApi(loadKubeConfig({ kubeconfig: kc }), {
      clock,
      timeoutMs: 600_000,
      onWarning: () => undefined,
    });
  });
  afterEach(async () => {
    for (const res of held.splice(0)) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('gives up on a silent server when the clock reaches the request deadline', async () => {
    handler = (_q, res) => void held.push(res);
    let settled: unknown = 'pending';
    const done = api.get(ref).then(
      () => (settled = 'resolved'),
      (e: unknown) => (settled = e),
    );
    while (held.length === 0) await turn(5);
    clock.advance(599_999);
    await turn();
    expect(settled).toBe('pending');
    clock.advance(1);
    await done;
    expect((settled as { code?: string }).code).toBe('KUBE_TIMEOUT');
  });

  it('backs off on the clock between retries', async () => {
    let n = 0;
    handler = (_q, res) =>
      n++ === 0 ? json(res, 503, unavailable) : json(res, 200, { kind: 'ConfigMap', metadata: { name: 'x' } });
    expect((await api.get(ref))?.metadata?.name).toBe('x');
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(100);
  });

  it('skips a broken API group for a minute of clock time, then asks again', async () => {
    handler = (req, res) =>
      req.url === '/apis'
        ? json(res, 200, { groups: [{ name: 'broken.io', preferredVersion: { groupVersion: 'broken.io/v1' } }] })
        : json(res, 503, unavailable);
    const asked = (): number => seen.filter((s) => s === 'GET /apis/broken.io/v1').length;
    await api.resources();
    const first = asked();
    expect(first).toBeGreaterThan(0);
    clock.advance(59_000);
    await api.resources();
    expect(asked()).toBe(first);
    clock.advance(1_001);
    await api.resources();
    expect(asked()).toBeGreaterThan(first);
  });

  it("waits for a watch stream's headers until the clock reaches the deadline", async () => {
    handler = (req, res) =>
      req.url?.includes('watch=true')
        ? void held.push(res)
        : json(res, 200, { kind: 'ConfigMapList', metadata: { resourceVersion: '1' }, items: [] });
    const w = api.watch({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: 'default', onEvent: () => undefined });
    let settled: unknown = 'pending';
    const done = w.ready.then(
      () => (settled = 'ready'),
      (e: unknown) => (settled = e),
    );
    while (held.length === 0) await turn(5);
    clock.advance(599_999);
    await turn();
    expect(settled).toBe('pending');
    clock.advance(1);
    await done;
    w.stop();
    expect((settled as { code?: string }).code).toBe('KUBE_TIMEOUT');
  });
});
