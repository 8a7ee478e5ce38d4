import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsObjectStore } from '../../src/backupstore/aws-object-store.js';
import { LabS3Server } from '../../packages/lab/src/s3/server.js';
import { forward } from '../support/forward.js';

/**
 * The S3 store lives the whole run: a socket it leaves idle (through a long recovery) must be closed by
 * kdrill before the server closes it, and the next request must go out on a new connection.
 */
describe('S3 store idle sockets', () => {
  const creds = { accessKeyId: 'IDLE', secretAccessKey: 'idle-secret' };
  let s3: LabS3Server;
  let front: Server;
  let url = '';
  const open = new Set<Socket>();
  let connections = 0;
  let delayMs = 0;

  beforeEach(async () => {
    delayMs = 0;
    s3 = new LabS3Server({ credentials: creds });
    const target = new URL(await s3.listen(0));
    // in front of the store, a server that would keep an idle connection for a minute (as a busy RGW might)
    // an answer can be slow (a busy RGW): `delayMs` holds each request back before it is forwarded
    front = createServer((req, res) => void setTimeout(() => forward(target, req, res), delayMs));
    front.keepAliveTimeout = 60_000;
    front.on('connection', (sock: Socket) => {
      connections++;
      open.add(sock);
      sock.on('close', () => open.delete(sock));
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(front.address() as { port: number }).port}`;
  });
  afterEach(async () => {
    for (const s of open) s.destroy();
    front.close();
    await s3.close();
  });

  it('closes a socket left idle, and the next request opens a new one', async () => {
    const settings = { endpoint: url, region: 'us-east-1', bucket: 'idle', prefix: '', forcePathStyle: true };
    const store = new AwsObjectStore({ ...settings, credentials: creds }, { idleSocketMs: 200 });
    await store.createBucket({ objectLock: false });
    await store.put('backups/b/o', 'one');
    expect(connections).toBe(1);
    expect(open.size).toBe(1);
    // the server keeps it for a minute: only the client's idle timeout can close it this soon
    const deadline = Date.now() + 5000;
    while (open.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(open.size).toBe(0);
    expect((await store.get('backups/b/o'))?.toString()).toBe('one');
    expect(connections).toBe(2);
  });

  it('does not close a socket whose answer is slower than the idle timeout', async () => {
    const settings = { endpoint: url, region: 'us-east-1', bucket: 'slow', prefix: '', forcePathStyle: true };
    const store = new AwsObjectStore({ ...settings, credentials: creds }, { idleSocketMs: 200, maxAttempts: 1 });
    await store.createBucket({ objectLock: false });
    await store.put('backups/b/o', 'slow');
    // three times the idle timeout with nothing on the wire: only a busy socket, which must be left alone
    delayMs = 600;
    expect((await store.get('backups/b/o'))?.toString()).toBe('slow');
  });
});
