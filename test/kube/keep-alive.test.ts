import { createServer as createHttpServer, Agent as HttpAgent, type Server } from 'node:http';
import { createServer as createHttpsServer, Agent as HttpsAgent, type RequestOptions } from 'node:https';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ClientNodeKubeApi, loadKubeConfig } from '../../src/kube/client-node.js';
import { KeepAliveAgents } from '../../src/kube/keep-alive.js';
import { servingCert } from '../../packages/lab/src/admission/certs.js';
import { labKubeconfig } from '../../packages/lab/src/kubeconfig.js';

const run = promisify(execFile);
const VERSION = JSON.stringify({ gitVersion: 'v1.30.0', major: '1', minor: '30' });

async function kubeconfig(text: string): Promise<string> {
  const kc = join(await mkdtemp(join(tmpdir(), 'kdrill-keepalive-')), 'kubeconfig');
  await writeFile(kc, text);
  return kc;
}

/** A kubeconfig for an HTTPS server trusted by its CA, with the user entry given. */
const tlsKubeconfig = (server: string, caPem: string, user: Record<string, string>): string =>
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  });

/** client-node makes a new Agent per request; kdrill's adapter must still reuse its connections. */
describe('connections to the API server', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it('are kept alive over plain HTTP: twenty requests, one connection', async () => {
    let connections = 0;
    server = createHttpServer((_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(VERSION));
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const api = new ClientNodeKubeApi(loadKubeConfig({ kubeconfig: await kubeconfig(labKubeconfig(url)) }));
    for (let i = 0; i < 20; i++) expect((await api.serverVersion()).minor).toBe('30');
    expect(connections).toBe(1);
  });

  it('are kept alive over TLS with the kubeconfig CA: twenty requests, one handshake', async () => {
    const cert = await servingCert(join(await mkdtemp(join(tmpdir(), 'kdrill-keepalive-tls-')), 'certs'));
    let handshakes = 0;
    const auth: (string | undefined)[] = [];
    const tls = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (q, res) => {
      auth.push(q.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' }).end(VERSION);
    });
    server = tls;
    tls.on('secureConnection', () => handshakes++);
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', () => r()));
    const url = `https://127.0.0.1:${(tls.address() as { port: number }).port}`;
    const text = tlsKubeconfig(url, cert.caPem, { token: 'not-a-real-token' });
    const api = new ClientNodeKubeApi(loadKubeConfig({ kubeconfig: await kubeconfig(text) }));
    for (let i = 0; i < 20; i++) expect((await api.serverVersion()).major).toBe('1');
    expect(handshakes).toBe(1);
    // credentials written in the kubeconfig are worked out once, and every request still carries them
    expect(auth).toEqual(Array(20).fill('Bearer not-a-real-token'));
  });

  it('work out credentials written in the kubeconfig once, and carry no header of one request into the next', async () => {
    const seen: { method?: string; type?: string; length?: string }[] = [];
    server = createHttpServer((q, res) => {
      seen.push({ method: q.method, type: q.headers['content-type'], length: q.headers['content-length'] });
      q.resume();
      const body =
        q.method === 'POST'
          ? JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } })
          : VERSION;
      res.writeHead(q.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const kc = loadKubeConfig({ kubeconfig: await kubeconfig(labKubeconfig(url)) });
    let applied = 0;
    const apply = kc.applyToHTTPSOptions.bind(kc);
    kc.applyToHTTPSOptions = (o) => (applied++, apply(o));
    const api = new ClientNodeKubeApi(kc);
    await api.serverVersion();
    await api.serverVersion();
    // a POST with a body (a pod's binding), then a GET: the GET must not inherit the POST's Content-Type and Content-Length
    await api.bindPod('n', 'p', 'node-1');
    await api.serverVersion();
    expect(applied).toBe(1);
    expect(seen.map((x) => x.method)).toEqual(['GET', 'GET', 'POST', 'GET']);
    expect(seen[2]).toMatchObject({ method: 'POST', type: 'application/json' });
    expect(Number(seen[2]!.length)).toBeGreaterThan(0);
    expect(seen[3]).toEqual({ method: 'GET', type: undefined, length: undefined });
  });

  it('read client certificate files again for each request: a rotated certificate is used at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-keepalive-rotate-'));
    const cert = await servingCert(join(dir, 'serving'));
    const client = async (cn: string): Promise<{ cert: string; key: string }> => {
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${cn}`,
        '-keyout',
        join(dir, `${cn}.key`),
        '-out',
        join(dir, `${cn}.crt`),
      ]);
      return {
        cert: await readFile(join(dir, `${cn}.crt`), 'utf8'),
        key: await readFile(join(dir, `${cn}.key`), 'utf8'),
      };
    };
    const [one, two] = [await client('one'), await client('two')];
    const seen: string[] = [];
    const tls = createHttpsServer(
      { cert: cert.certPem, key: cert.keyPem, requestCert: true, rejectUnauthorized: false },
      (q, res) => {
        seen.push(String((q.socket as TLSSocket).getPeerCertificate().subject?.CN));
        res.writeHead(200, { 'content-type': 'application/json' }).end(VERSION);
      },
    );
    server = tls;
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', () => r()));
    const url = `https://127.0.0.1:${(tls.address() as { port: number }).port}`;
    await writeFile(join(dir, 'client.crt'), one.cert);
    await writeFile(join(dir, 'client.key'), one.key);
    const text = tlsKubeconfig(url, cert.caPem, {
      'client-certificate': join(dir, 'client.crt'),
      'client-key': join(dir, 'client.key'),
    });
    const api = new ClientNodeKubeApi(loadKubeConfig({ kubeconfig: await kubeconfig(text) }));
    for (let i = 0; i < 3; i++) await api.serverVersion();
    await writeFile(join(dir, 'client.crt'), two.cert);
    await writeFile(join(dir, 'client.key'), two.key);
    for (let i = 0; i < 3; i++) await api.serverVersion();
    expect(seen).toEqual(['one', 'one', 'one', 'two', 'two', 'two']);
  });

  it('get a new agent when the TLS identity changes, and leave proxy agents alone', () => {
    const agents = new KeepAliveAgents();
    const opts = (agent: RequestOptions['agent']): RequestOptions => ({ agent });
    const a = opts(new HttpsAgent({ cert: 'one', key: 'k1' }));
    const b = opts(new HttpsAgent({ cert: 'one', key: 'k1' }));
    agents.apply(a);
    agents.apply(b);
    expect(a.agent).toBe(b.agent);
    expect((a.agent as HttpsAgent & { keepAlive: boolean }).keepAlive).toBe(true);
    const rotated = opts(new HttpsAgent({ cert: 'two', key: 'k2' }));
    agents.apply(rotated);
    expect(rotated.agent).not.toBe(a.agent);
    class ProxyAgent extends HttpAgent {}
    const proxy = new ProxyAgent();
    const viaProxy = opts(proxy);
    agents.apply(viaProxy);
    expect(viaProxy.agent).toBe(proxy);
  });
});
