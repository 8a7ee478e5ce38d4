import { createServer, connect, type Server, type Socket } from 'node:net';

/** A loopback TCP proxy whose connections a test can cut, to drop watches the way a network blip does. */
export class TcpProxy {
  private readonly server: Server;
  private readonly open = new Set<Socket>();
  port = 0;

  constructor(targetHost: string, targetPort: number) {
    this.server = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      for (const s of [client, upstream]) {
        this.open.add(s);
        s.on('close', () => this.open.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async start(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  /** Cuts every connection in flight; new ones still go through. */
  dropAll(): number {
    const n = this.open.size;
    for (const s of this.open) s.destroy();
    return n;
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
