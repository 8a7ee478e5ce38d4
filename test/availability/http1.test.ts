import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { urlProbe } from '../../src/availability/probe.js';
import { systemClock } from '../../src/time/clock.js';

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A Node HTTP server, counting the connections it was opened. */
async function http(handler: (q: IncomingMessage, r: ServerResponse) => void) {
  const s = createServer(handler);
  let connections = 0;
  s.on('connection', () => connections++);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  servers.push({ close: () => (s.closeAllConnections(), s.close()) });
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, connections: () => connections };
}

/** A TCP server that answers each request with what `answer` returns, as raw bytes; `null` destroys the socket. */
async function raw(answer: (n: number, sock: Socket) => string | null) {
  let n = 0;
  const socks = new Set<Socket>();
  const s: Server = createTcpServer((sock) => {
    socks.add(sock);
    sock.on('error', () => undefined);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        const req = buf.slice(0, buf.indexOf('\r\n\r\n'));
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        const a = answer(n++, sock);
        if (a === null) sock.destroy();
        else sock.write(a, 'latin1');
        lastRequest = req;
      }
    });
  });
  let lastRequest = '';
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  servers.push({ close: () => (socks.forEach((x) => x.destroy()), s.close()) });
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, lastRequest: () => lastRequest };
}

const up = { up: true, detail: 'HTTP 200' };

describe('the availability probe: HTTP/1.1 over one kept-alive connection', () => {
  it('keeps one connection for many samples, and reads Content-Length and chunked bodies', async () => {
    const s = await http((q, r) => {
      if (q.url === '/chunked') {
        r.write('rea');
        setTimeout(() => r.end('dy'), 5);
      } else r.end('ready');
    });
    const probe = urlProbe(`${s.url}/-/ready`, { expectStatus: 200, bodyRegex: '^ready$' }, systemClock);
    for (let i = 0; i < 20; i++) expect(await probe(1000)).toEqual(up);
    const chunked = urlProbe(`${s.url}/chunked`, { expectStatus: 200, bodyRegex: '^ready$' }, systemClock);
    for (let i = 0; i < 3; i++) expect(await chunked(1000)).toEqual(up);
    expect(s.connections()).toBe(2);
  });

  it('a server that closes idle connections (keep-alive timeout) is never seen down: a new connection is opened', async () => {
    let connections = 0;
    const s = await raw((_n, sock) => {
      if (!(sock as Socket & { seen?: boolean }).seen) connections++;
      (sock as Socket & { seen?: boolean }).seen = true;
      // closed 100 ms after each answer, as a server with a short keep-alive timeout does
      setTimeout(() => sock.end(), 100);
      return 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nready';
    });
    const probe = urlProbe(s.url, { expectStatus: 200, bodyRegex: 'ready' }, systemClock);
    for (let i = 0; i < 4; i++) {
      expect(await probe(1000)).toEqual(up);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(connections).toBe(4);
  });

  it('a kept-alive connection dropped as the next request arrives is retried once on a new one', async () => {
    // the second request on the first connection is met by a close, as when the server's idle timer fires then
    const s = await raw((n) => (n === 1 ? null : 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nready'));
    const probe = urlProbe(s.url, { expectStatus: 200, bodyRegex: 'ready' }, systemClock);
    expect(await probe(1000)).toEqual(up);
    expect(await probe(1000)).toEqual(up);
  });

  it('a fresh connection closed without an answer is down (no retry hides it)', async () => {
    const s = await raw(() => null);
    const probe = urlProbe(s.url, { expectStatus: 200 }, systemClock);
    expect(await probe(1000)).toEqual({ up: false, detail: 'ECONNRESET' });
  });

  it('reads a body that ends with the connection, Connection: close, 204, and skips 100 Continue', async () => {
    const answers = [
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nready',
      'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nready',
      'HTTP/1.1 204 No Content\r\n\r\n',
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nready',
      'HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nready',
    ];
    const s = await raw((n, sock) => {
      const a = answers[n % answers.length]!;
      // close-delimited and HTTP/1.0 answers end with the connection
      if (n % answers.length === 0 || n % answers.length === 4) setImmediate(() => sock.end());
      return a;
    });
    const probe = urlProbe(s.url, { expectStatus: 200, bodyRegex: 'ready' }, systemClock);
    const noContent = urlProbe(s.url, { expectStatus: 204 }, systemClock);
    expect(await probe(1000)).toEqual(up);
    expect(await probe(1000)).toEqual(up);
    expect(await noContent(1000)).toEqual({ up: true, detail: 'HTTP 204' });
    expect(await probe(1000)).toEqual(up);
    expect(await probe(1000)).toEqual(up);
  });

  it('down, with a reason, for a wrong status, a body that does not match, a refused port and a non-HTTP answer', async () => {
    const s = await http((q, r) => {
      r.statusCode = q.url === '/503' ? 503 : 200;
      r.end('starting');
    });
    expect(await urlProbe(`${s.url}/503`, { expectStatus: 200 }, systemClock)(1000)).toEqual({
      up: false,
      detail: 'HTTP 503',
    });
    expect(await urlProbe(s.url, { expectStatus: 200, bodyRegex: 'ready' }, systemClock)(1000)).toEqual({
      up: false,
      detail: 'HTTP 200, body does not match /ready/',
    });
    const closed = await http(() => undefined);
    const port = new URL(closed.url).port;
    servers.pop()!.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(await urlProbe(`http://127.0.0.1:${port}/`, { expectStatus: 200 }, systemClock)(1000)).toEqual({
      up: false,
      detail: 'ECONNREFUSED',
    });
    const ssh = await raw(() => 'SSH-2.0-OpenSSH_9.2\r\n\r\n');
    expect(await urlProbe(ssh.url, { expectStatus: 200 }, systemClock)(1000)).toEqual({ up: false, detail: 'EPROTO' });
  });

  it("sends the URL's path, query, Host and basic credentials; a large body is read to its end", async () => {
    const big = 'x'.repeat(200_000) + 'ready';
    let seen: IncomingMessage | undefined;
    const s = await http((q, r) => {
      seen = q;
      r.end(q.url?.startsWith('/big') ? big : 'ready');
    });
    const u = new URL(s.url);
    const probe = urlProbe(`http://ops:s%40cret@${u.host}/health?deep=1`, { expectStatus: 200 }, systemClock);
    expect(await probe(1000)).toEqual(up);
    expect(seen!.url).toBe('/health?deep=1');
    expect(seen!.headers.host).toBe(u.host);
    expect(seen!.headers.authorization).toBe(`Basic ${Buffer.from('ops:s@cret').toString('base64')}`);
    // only the first 64 KiB are kept for the regex; the rest is read past, and the connection stays usable
    const bigProbe = urlProbe(`${s.url}/big`, { expectStatus: 200, bodyRegex: '^x+$' }, systemClock);
    expect(await bigProbe(2000)).toEqual(up);
    expect(await bigProbe(2000)).toEqual(up);
  });

  it('https: verifies the certificate as Node does (a self-signed one is down, with the reason)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-tls-'));
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
    ]);
    const s = createHttpsServer(
      { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) },
      (_q, r) => r.end('ready'),
    );
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push({ close: () => (s.closeAllConnections(), s.close()) });
    const url = `https://localhost:${(s.address() as AddressInfo).port}/`;
    expect(await urlProbe(url, { expectStatus: 200 }, systemClock)(2000)).toEqual({
      up: false,
      detail: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });
});
