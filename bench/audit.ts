import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditBackups } from '../src/backupstore/audit.js';
import { AwsObjectStore } from '../src/backupstore/aws-object-store.js';
import type { ObjectStore } from '../src/backupstore/object-store.js';
import { systemClock } from '../src/time/clock.js';
import { RawS3, listAllVersions } from './raw-s3-client.js';
import { report } from './stats.js';
import { stopwatch } from './stopwatch.js';

// KDRILL_BENCH_AUDIT_VERSIONS=100000 for the streaming figure (peak RSS of 100,000 versions); filling takes minutes
const N = Number(process.env.KDRILL_BENCH_AUDIT_VERSIONS ?? 10_000);
const PER_BACKUP = 500;

async function fill(store: ObjectStore): Promise<void> {
  await store.createBucket({ objectLock: true });
  await store.setDefaultRetention('GOVERNANCE', 40);
  let i = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (i < N) {
        const n = i++;
        await store.put(`backups/b${Math.floor(n / PER_BACKUP)}/o-${n}`, `v${n}`);
      }
    }),
  );
}

/** The audit's requests through the bare SigV4 client: every page of versions, then one HEAD per version. */
async function rawAudit(
  raw: RawS3,
  bucket: string,
  concurrency: number,
): Promise<{ seconds: number; versions: number }> {
  const elapsed = stopwatch();
  const { versions } = await listAllVersions(raw, bucket);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < versions.length) {
        const v = versions[next++]!;
        await raw.get(`/${bucket}/${v.key}`, { versionId: v.id }, 'HEAD');
      }
    }),
  );
  return { seconds: elapsed() / 1000, versions: versions.length };
}

async function run(store: ObjectStore, concurrency: number): Promise<{ seconds: number; versions: number }> {
  const now = systemClock.now();
  const backups = Array.from({ length: N / PER_BACKUP }, (_, k) => ({
    name: `b${k}`,
    phase: 'Completed',
    startTimestamp: now.toISOString(),
    expiration: new Date(now.getTime() + 30 * 86400_000).toISOString(),
  }));
  const elapsed = stopwatch();
  const r = await auditBackups({
    store,
    prefix: '',
    backups,
    policy: { required: true, minMode: 'GOVERNANCE', coverTtl: true, canary: false },
    marginSeconds: 86400,
    canary: { enabled: false, key: '', retentionSeconds: 0 },
    concurrency,
    now,
  });
  return { seconds: elapsed() / 1000, versions: r.stats.versions };
}

/** Peak RSS of `kdrill audit` itself (its own process, as a user runs it), in MB. */
function auditRss(endpoint: string, bucket: string, creds: { accessKeyId: string; secretAccessKey: string }): number {
  const dir = mkdtempSync(join(tmpdir(), 'kdrill-bench-rss-'));
  const ini = join(dir, 'creds');
  writeFileSync(
    ini,
    `[default]\naws_access_key_id=${creds.accessKeyId}\naws_secret_access_key=${creds.secretAccessKey}\n`,
  );
  const r = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      '%M',
      process.execPath,
      'bin/kdrill.mjs',
      'audit',
      '--s3-endpoint',
      endpoint,
      '--bucket',
      bucket,
      '--s3-credentials-file',
      ini,
      '--no-canary',
      '-o',
      'json',
    ],
    { encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  return Number(r.stderr.trim().split('\n').pop()) / 1024;
}

async function side(
  name: string,
  store: AwsObjectStore,
  creds: { accessKeyId: string; secretAccessKey: string },
  latency: number,
  rawClient?: RawS3,
  fillIt = true,
): Promise<void> {
  if (fillIt) await fill(store);
  const seq = await run(store, 1);
  const par = await run(store, 32);
  const raw = rawClient ? await rawAudit(rawClient, store.settings.bucket, 32) : undefined;
  const rss = auditRss(store.settings.endpoint!, store.settings.bucket, creds);
  const rate = (r: { seconds: number; versions: number }): string =>
    `${(r.versions / r.seconds).toFixed(0)} versions/s (${r.seconds.toFixed(1)} s)`;
  report(`Audit of ${par.versions} object versions: ${name}`, [
    ['one request at a time', rate(seq)],
    ['bounded pool of 32', `${rate(par)}${latency ? '' : '  (goal: >= 5000)'}`],
    ['pool / sequential', `${(seq.seconds / par.seconds).toFixed(1)}x  (goal: >= 20x behind 20 ms)`],
    ...(raw
      ? ([
          ['bare SigV4 client, same requests, 32 in flight', rate(raw)],
          ['kdrill / bare client (1.00x: as fast as the bare client)', `${(raw.seconds / par.seconds).toFixed(2)}x`],
        ] as [string, string][])
      : []),
    ['peak RSS of `kdrill audit` (its own process)', `${rss.toFixed(0)} MB  (goal: < 200 MB)`],
  ]);
}

export async function benchAudit(): Promise<void> {
  const credentials = { accessKeyId: 'BENCH', secretAccessKey: 'bench-secret' };
  // KDRILL_BENCH_AUDIT_LATENCIES=0 for the loopback figure alone (the sequential run behind 20 ms takes
  // minutes); empty for none (only RGW, with KDRILL_TEST_S3_ENDPOINT)
  const latencies = (process.env.KDRILL_BENCH_AUDIT_LATENCIES ?? '0,20').split(',').filter(Boolean).map(Number);
  for (const latency of latencies) {
    const child = spawn(process.execPath, [...process.execArgv, 'bench/s3-server.ts'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_LATENCY_MS: String(latency) },
    });
    const endpoint = await new Promise<string>((res) =>
      child.stdout.once('data', (d: Buffer) => res(d.toString().trim())),
    );
    try {
      const label = latency
        ? `embedded S3 behind ${latency} ms of simulated network latency`
        : 'embedded S3 on loopback (CPU-bound: client and server share the two cores)';
      await side(
        label,
        new AwsObjectStore({
          endpoint,
          region: 'us-east-1',
          bucket: `audit-${systemClock.now().getTime()}`,
          prefix: '',
          forcePathStyle: true,
          credentials,
        }),
        credentials,
        latency,
        new RawS3(endpoint, credentials),
      );
    } finally {
      child.kill('SIGTERM');
    }
  }
  const rgw = process.env.KDRILL_TEST_S3_ENDPOINT;
  if (rgw) {
    const c = {
      accessKeyId: process.env.KDRILL_TEST_S3_ACCESS_KEY ?? 'TESTACCESSKEY0000001',
      secretAccessKey: process.env.KDRILL_TEST_S3_SECRET_KEY ?? 'testsecretkey0000000000000000000000000001',
    };
    await side(
      'Ceph RGW on loopback',
      new AwsObjectStore({
        endpoint: rgw,
        region: 'us-east-1',
        bucket: `audit-${systemClock.now().getTime()}`,
        prefix: '',
        forcePathStyle: true,
        credentials: c,
      }),
      c,
      0,
      new RawS3(rgw, c),
    );
  } else report('Audit on Ceph RGW', [['skipped', 'KDRILL_TEST_S3_ENDPOINT is not set']]);
}
