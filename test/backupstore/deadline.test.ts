import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsObjectStore } from '../../src/backupstore/aws-object-store.js';
import { isDrillError } from '../../src/errors.js';
import { FakeClock } from '../support/fakes/fake-clock.js';

/** A store that accepts connections and never answers: only the deadline ends a request to it. */
describe("the S3 adapter's deadline", () => {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it.each([
    ['a listing (the SDK)', (s: AwsObjectStore) => s.checkAccess()],
    ["a version's lock (the signed HEAD)", (s: AwsObjectStore) => s.lockOf('backups/b1/x', 'v1').then(() => undefined)],
  ])('is kept on the injected clock: %s', async (_what, op) => {
    let requests = 0;
    server = createServer((s) => {
      sockets.add(s);
      s.once('data', () => requests++);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    const clock = new FakeClock();
    const store = new AwsObjectStore(
      {
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        bucket: 'silent',
        prefix: '',
        forcePathStyle: true,
        credentials: { accessKeyId: 'K', secretAccessKey: 'S' },
      },
      { clock, timeoutMs: 600_000, maxAttempts: 1 },
    );
    let settled: unknown = 'pending';
    const done = op(store).then(
      () => (settled = 'resolved'),
      (e: unknown) => (settled = e),
    );
    while (requests === 0) await new Promise((r) => setTimeout(r, 10));
    clock.advance(599_999);
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe('pending');
    clock.advance(1);
    await done;
    expect(isDrillError(settled) && settled.code).toBe('S3_TIMEOUT');
  });
});
