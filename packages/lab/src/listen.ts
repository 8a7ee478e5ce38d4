import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Listens on 127.0.0.1 only (the lab never faces a network) and tracks sockets so close() is prompt. */
export async function listenLoopback(server: Server, port: number, sockets: Set<Socket>): Promise<number> {
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as { port: number }).port;
}
