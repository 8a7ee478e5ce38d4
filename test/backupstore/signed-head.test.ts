import { createServer, Agent, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsObjectStore } from '../../src/backupstore/aws-object-store.js';
import { SignedHead } from '../../src/backupstore/signed-head.js';
import { systemClock } from '../../src/time/clock.js';
import { FakeClock } from '../support/fakes/fake-clock.js';

/** A store that answers HEADs from a script of status codes (the last one repeats), counting them. */
async function scripted(statuses: number[]): Promise<{ url: string; requests: () => number; server: Server }> {
  let n = 0;
  const server = createServer((_req, res) => {
    const status = statuses[Math.min(n++, statuses.length - 1)]!;
    res.writeHead(status, status === 200 ? { 'x-amz-object-lock-mode': 'COMPLIANCE' } : {}).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests: () => n, server };
}

const head = (url: string, clock = systemClock, maxAttempts = 5): SignedHead =>
  new SignedHead({
    endpoint: url,
    region: 'us-east-1',
    bucket: 'b',
    credentials: () => Promise.resolve({ accessKeyId: 'K', secretAccessKey: 'S' }),
    agent: new Agent({ keepAlive: true }),
    maxAttempts,
    clock,
  });

describe("the audit's signed HEAD", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it('retries throttling and server errors as the SDK does, and gets the answer', async () => {
    const s = await scripted([503, 500, 429, 200]);
    server = s.server;
    const h = await head(s.url).head('backups/b1/x', 'v1', 30_000);
    expect(h['x-amz-object-lock-mode']).toBe('COMPLIANCE');
    expect(s.requests()).toBe(4);
  });

  it('does not retry a refusal, and gives up after the attempts it has', async () => {
    const denied = await scripted([403]);
    server = denied.server;
    await expect(head(denied.url).head('k', 'v', 30_000)).rejects.toMatchObject({ name: '403' });
    expect(denied.requests()).toBe(1);
    denied.server.close();
    const busy = await scripted([503]);
    server = busy.server;
    await expect(head(busy.url, systemClock, 2).head('k', 'v', 30_000)).rejects.toMatchObject({
      $metadata: { httpStatusCode: 503 },
    });
    expect(busy.requests()).toBe(2);
  });

  it('ends at its deadline while it waits to retry, on the injected clock', async () => {
    const s = await scripted([503]);
    server = s.server;
    const clock = new FakeClock();
    let settled: unknown = 'pending';
    const done = head(s.url, clock, 10)
      .head('k', 'v', 5_000)
      .catch((e: unknown) => (settled = e));
    while (s.requests() === 0) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe('pending'); // waiting out the backoff, which only the fake clock can end
    clock.advance(5_000);
    await done;
    expect(settled).toMatchObject({ name: 'TimeoutError' });
  });

  it('through the store, a missing version and a refusal name the bucket (exit 4)', async () => {
    const s = await scripted([404]);
    server = s.server;
    const store = new AwsObjectStore({
      endpoint: s.url,
      region: 'us-east-1',
      bucket: 'named-bucket',
      prefix: '',
      forcePathStyle: true,
      credentials: { accessKeyId: 'K', secretAccessKey: 'S' },
    });
    const e = (await store.lockOf('backups/b1/x', 'v').catch((x: unknown) => x)) as {
      exitCode: number;
      message: string;
    };
    expect(e.exitCode).toBe(4);
    expect(e.message).toContain('named-bucket');
    expect(e.message).toContain('backups/b1/x');
  });
});
