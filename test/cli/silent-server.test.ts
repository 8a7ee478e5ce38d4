import { createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labKubeconfig } from '../../packages/lab/src/kubeconfig.js';
import { expectCleanError, kdrill } from '../support/cli.js';

/** A server that accepts TCP connections and never says a word: a hung apiserver, S3 or proxy. */
describe('a server that accepts connections and never answers', () => {
  let server: Server;
  const sockets: Socket[] = [];
  let url: string;
  let kubeconfig: string;
  beforeAll(async () => {
    server = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const dir = await mkdtemp(join(tmpdir(), 'kdrill-silent-'));
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, labKubeconfig(url, 'hung'));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('kdrill cluster gives up within 30 s by default, exit 4, one message with a hint', async () => {
    const t0 = Date.now();
    const r = await kdrill(['cluster', '--kubeconfig', kubeconfig], { timeoutMs: 60_000 });
    const seconds = (Date.now() - t0) / 1000;
    expectCleanError(r, 4, /accepted the connection but did not answer within 30s/);
    expect(r.stderr).toMatch(/--request-timeout/);
    expect(seconds).toBeLessThan(36);
  }, 70_000);

  it('--request-timeout shortens it, for the API server and for S3 alike', async () => {
    const t0 = Date.now();
    const r = await kdrill(
      [
        'run',
        'scenarios/namespace-loss.yaml',
        '--kubeconfig',
        kubeconfig,
        '--allow-context',
        'hung',
        '--request-timeout',
        '2s',
        '--out',
        join(kubeconfig, '..', 'r'),
      ],
      { timeoutMs: 60_000 },
    );
    expectCleanError(r, 4, /did not answer within 2\.0s/);
    expect((Date.now() - t0) / 1000).toBeLessThan(10);
    const t1 = Date.now();
    const a = await kdrill(['audit', '--s3-endpoint', url, '--bucket', 'b', '--request-timeout', '2s'], {
      timeoutMs: 60_000,
      env: { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' },
    });
    expectCleanError(a, 4, /S3 at http:\/\/127\.0\.0\.1:\d+ did not answer in time/);
    expect((Date.now() - t1) / 1000).toBeLessThan(10);
    expectCleanError(
      await kdrill(['cluster', '--kubeconfig', kubeconfig, '--request-timeout', 'soon']),
      2,
      /--request-timeout soon is not a duration/,
    );
  }, 70_000);
});
