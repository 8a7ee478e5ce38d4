import type { Server, Socket } from 'node:net';

/**
 * What the lab asks of the forwarder, one JSON line on its stdin per request. `open` binds ip:port in the
 * forwarder's network namespace and relays each connection to the unix socket `socket`, where the lab
 * answers as the pod; `close` closes the port and cuts its connections, as a pod that stopped does.
 */
export type ForwarderCommand =
  { op: 'open'; ip: string; port: number; socket: string } | { op: 'close'; ip: string; port: number };
export type ForwarderRequest = ForwarderCommand & { id: number };

/** Its answer, one JSON line on its stdout per request. */
export interface ForwarderReply {
  id: number;
  ok: boolean;
  error?: string;
}

/**
 * The body of the forwarder, run inside the pod network namespace (`ip netns exec <ns> node <file>`).
 * The CLI ships as one esbuild bundle, so this function has no file of its own at runtime: PodNetwork
 * writes its source to a file and runs that. Hence it is self-contained: no imports (types aside), no
 * names from this module, only globals and process.getBuiltinModule. It exits when its stdin ends, so
 * it never outlives the lab, even one that was killed.
 */
// eslint-disable-next-line max-lines-per-function -- its source runs as a process of its own (PodNetwork writes podForwarder.toString() to a file), so its helpers must live inside it
export function podForwarder(): void {
  const net = process.getBuiltinModule('node:net');
  const readline = process.getBuiltinModule('node:readline');
  const ports = new Map<string, { server: Server; conns: Set<Socket> }>();
  const reply = (r: ForwarderReply): void => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
  };

  const relay = (conn: Socket, socket: string, conns: Set<Socket>): void => {
    // half-open on both legs: a client that shuts its side after the request still gets the whole answer
    const up = net.connect({ path: socket, allowHalfOpen: true });
    conns.add(conn);
    conns.add(up);
    conn.pipe(up);
    up.pipe(conn);
    conn.on('error', () => up.destroy());
    up.on('error', () => conn.destroy());
    // the client is gone, so nothing the lab still sends has anywhere to go
    conn.on('close', () => {
      conns.delete(conn);
      up.destroy();
    });
    up.on('close', (hadError) => {
      conns.delete(up);
      if (hadError) conn.destroy();
    });
  };

  const open = (ip: string, port: number, socket: string): Promise<void> => {
    const key = `${ip}:${port}`;
    if (ports.has(key)) return Promise.resolve();
    const conns = new Set<Socket>();
    const server = net.createServer({ allowHalfOpen: true }, (conn) => relay(conn, socket, conns));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, ip, () => {
        server.off('error', reject);
        ports.set(key, { server, conns });
        resolve();
      });
    });
  };

  const close = (key: string): Promise<void> => {
    const p = ports.get(key);
    if (!p) return Promise.resolve();
    ports.delete(key);
    return new Promise((resolve) => {
      p.server.close(() => resolve());
      for (const c of p.conns) c.destroy();
    });
  };

  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    let req: ForwarderRequest;
    try {
      req = JSON.parse(line) as ForwarderRequest;
    } catch {
      return;
    }
    const done = req.op === 'open' ? open(req.ip, req.port, req.socket) : close(`${req.ip}:${req.port}`);
    done.then(
      () => reply({ id: req.id, ok: true }),
      (e: Error) => reply({ id: req.id, ok: false, error: e.message }),
    );
  });
  lines.on('close', () => {
    void Promise.all([...ports.keys()].map(close)).then(() => process.exit(0));
  });
}
