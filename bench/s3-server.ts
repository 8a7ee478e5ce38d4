import { createServer, request } from 'node:http';
import { LabS3Server } from '../packages/lab/src/s3/server.js';
import { systemClock } from '../src/time/clock.js';

// The embedded S3 in its own process for the benchmark, so server and client do not share one core.
// BENCH_LATENCY_MS puts a delay in front of it, as the network between kdrill and a real store does.
const s3 = new LabS3Server({ credentials: { accessKeyId: 'BENCH', secretAccessKey: 'bench-secret' } });
const direct = new URL(await s3.listen(0));
const latency = Number(process.env.BENCH_LATENCY_MS ?? 0);
if (!latency) process.stdout.write(`${direct.origin}\n`);
else {
  const proxy = createServer((req, res) => {
    void systemClock.sleep(latency).then(() => {
      const up = request(
        { host: direct.hostname, port: direct.port, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      req.pipe(up);
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  process.stdout.write(`http://127.0.0.1:${(proxy.address() as { port: number }).port}\n`);
}
process.on('SIGTERM', () => void s3.close().then(() => process.exit(0)));
