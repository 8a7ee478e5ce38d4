import { ListObjectVersionsCommand, GetObjectRetentionCommand, S3Client } from '@aws-sdk/client-s3';
import { Agent } from 'node:http';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { AwsObjectStore } from '../src/backupstore/aws-object-store.js';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { systemClock } from '../src/time/clock.js';
import { RawS3, listAllVersions } from './raw-s3-client.js';
import { report } from './stats.js';
import { stopwatch } from './stopwatch.js';

const N = 10_000;

/** ListObjectVersions (all pages) then GetObjectRetention for every version, with `concurrency` in flight. */
async function audit(
  client: S3Client,
  bucket: string,
  concurrency: number,
): Promise<{ rps: number; requests: number }> {
  const elapsed = stopwatch();
  const versions: { key: string; id: string }[] = [];
  let requests = 0;
  let km: string | undefined;
  let vm: string | undefined;
  for (;;) {
    const r = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: km, VersionIdMarker: vm }));
    requests++;
    for (const v of r.Versions ?? []) versions.push({ key: v.Key!, id: v.VersionId! });
    if (!r.IsTruncated) break;
    km = r.NextKeyMarker;
    vm = r.NextVersionIdMarker;
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < versions.length) {
      const v = versions[next++]!;
      await client.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: v.key, VersionId: v.id }));
      requests++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { rps: requests / (elapsed() / 1000), requests };
}

async function fill(store: AwsObjectStore): Promise<void> {
  await store.createBucket({ objectLock: true });
  await store.setDefaultRetention('GOVERNANCE', 1);
  let i = 0;
  const worker = async (): Promise<void> => {
    while (i < N) {
      const n = i++;
      await store.put(`backups/b${Math.floor(n / 100)}/obj-${n}`, `v${n}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}

/** The embedded S3 in its own process (bench/s3-server.ts), so server and client do not share one core. */
async function startServer(): Promise<{ endpoint: string; child: ChildProcessByStdio<null, Readable, null> }> {
  const child = spawn(process.execPath, [...process.execArgv, 'bench/s3-server.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const endpoint = await new Promise<string>((res) =>
    child.stdout.once('data', (d: Buffer) => res(d.toString().trim())),
  );
  return { endpoint, child };
}

/** CPU time a process has used so far, in ms: utime + stime from /proc (100 Hz ticks). */
async function cpuMs(pid: number | undefined): Promise<number> {
  const parts = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(parts[11]) + Number(parts[12])) * 10;
}

/** The audit's requests through a bare signed client, so the server, not the SDK, is what is measured; in req/s. */
async function rawAudit(raw: RawS3, bucket: string, concurrency: number): Promise<number> {
  const elapsed = stopwatch();
  const { versions, pages } = await listAllVersions(raw, bucket);
  let requests = pages;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < versions.length) {
        const v = versions[next++]!;
        await raw.get(`/${bucket}/${v.key}`, { retention: '', versionId: v.id });
        requests++;
      }
    }),
  );
  return requests / (elapsed() / 1000);
}

export async function benchS3(): Promise<void> {
  const credentials = { accessKeyId: 'BENCH', secretAccessKey: 'bench-secret' };
  const { endpoint, child } = await startServer();
  const bucket = `bench-${systemClock.now().getTime()}`;
  await fill(
    new AwsObjectStore({ endpoint, region: 'us-east-1', bucket, prefix: '', forcePathStyle: true, credentials }),
  );
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) }),
  });
  const c1 = await audit(client, bucket, 1);
  const cpu0 = await cpuMs(child.pid);
  const elapsed = stopwatch();
  const c32 = await audit(client, bucket, 32);
  const serverShare = (await cpuMs(child.pid)) - cpu0;
  const wall = elapsed();
  const raw = new RawS3(endpoint, credentials);
  const r1 = await rawAudit(raw, bucket, 1);
  const r32 = await rawAudit(raw, bucket, 32);
  child.kill('SIGTERM');
  report(
    `Embedded S3 via the AWS SDK: ListObjectVersions + GetObjectRetention over ${N} versions (${c32.requests} requests)`,
    [
      ['concurrency 1', `${c1.rps.toFixed(0)} req/s`],
      ['concurrency 32', `${c32.rps.toFixed(0)} req/s`],
      ['32 / 1', `${(c32.rps / c1.rps).toFixed(1)}x`],
      [
        'server CPU during the SDK concurrency-32 run',
        `${((serverShare / wall) * 100).toFixed(0)}% of one core (the rest is the SDK client)`,
      ],
    ],
  );
  report('Embedded S3, the same audit through a bare SigV4 client (server-bound)', [
    ['concurrency 1', `${r1.toFixed(0)} req/s`],
    ['concurrency 32', `${r32.toFixed(0)} req/s  (goal: >= 2000)`],
    ['32 / 1', `${(r32 / r1).toFixed(1)}x`],
  ]);
}
