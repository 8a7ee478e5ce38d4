import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignedHead } from '../src/backupstore/signed-head.js';
import { systemClock } from '../src/time/clock.js';

// The floor of a lab drill's CPU, in a fresh process as kdrill's is, apart from everything kdrill does with
// the answers. `kube`: the drill's own GETs (recorded by bench/request-log.cjs, watches left out) with bare
// keep-alive HTTP, each body parsed. `s3`: the drill's S3 requests as kdrill sends them: HEADs
// SigV4-signed on bare sockets, the rest through the AWS SDK.
const [mode, arg1, arg2] = process.argv.slice(2);

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
};

async function kube(server: string, log: string): Promise<Record<string, number>> {
  const paths = readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('GET /api') && !l.includes('watch='))
    .map((l) => l.slice(4));
  const agent = new Agent({ keepAlive: true });
  const cpu0 = process.cpuUsage();
  let bytes = 0;
  for (const path of paths)
    await new Promise<void>((resolve, reject) => {
      const req = request(`${server}${path}`, { agent, headers: { accept: 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          bytes += body.length;
          // a service proxy's answer is the app's own (text); everything else is JSON
          if (String(res.headers['content-type']).includes('json')) JSON.parse(body);
          resolve();
        });
      });
      req.on('error', reject);
      req.end();
    });
  const cpu = cpuSeconds(cpu0);
  agent.destroy();
  return { requests: paths.length, bytes, cpuSeconds: cpu };
}

async function s3(stateFile: string): Promise<Record<string, number>> {
  const import0 = process.cpuUsage();
  const sdk = await import('@aws-sdk/client-s3');
  const importSeconds = cpuSeconds(import0);
  const st = (
    JSON.parse(readFileSync(stateFile, 'utf8')) as { s3: { endpoint: string; bucket: string; credentialsFile: string } }
  ).s3;
  const ini = Object.fromEntries(
    readFileSync(st.credentialsFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => l.split('=').map((x) => x.trim())),
  );
  const cpu0 = process.cpuUsage();
  const agent = new Agent({ keepAlive: true });
  const client = new sdk.S3Client({
    requestHandler: new NodeHttpHandler({ httpAgent: agent }),
    endpoint: st.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ini.aws_access_key_id!, secretAccessKey: ini.aws_secret_access_key! },
  });
  const Bucket = st.bucket;
  // what a drill's preflight and recovery ask of the store: the bucket's settings, the backups' objects and
  // versions, a HEAD of each of a backup's files, its tarball and resource list, a canary written and deleted
  const listed = await client.send(new sdk.ListObjectsV2Command({ Bucket, Prefix: 'backups/' }));
  await client.send(new sdk.GetBucketVersioningCommand({ Bucket }));
  await client.send(new sdk.GetObjectLockConfigurationCommand({ Bucket }));
  const versions = await client.send(new sdk.ListObjectVersionsCommand({ Bucket, Prefix: 'backups/' }));
  const keys = (listed.Contents ?? []).map((o) => o.Key!).slice(0, 7);
  // the HEADs go as kdrill sends them: SigV4-signed on the same sockets, without the SDK's stack
  const head = new SignedHead({
    endpoint: st.endpoint,
    region: 'us-east-1',
    bucket: Bucket,
    credentials: () => client.config.credentials(),
    agent,
    maxAttempts: 3,
    clock: systemClock,
  });
  for (const v of (versions.Versions ?? []).slice(0, 7)) await head.head(v.Key!, v.VersionId!, 10_000);
  for (const Key of keys.slice(0, 2)) {
    const got = await client.send(new sdk.GetObjectCommand({ Bucket, Key }));
    await got.Body!.transformToByteArray();
  }
  await client.send(new sdk.PutObjectCommand({ Bucket, Key: 'kdrill-bench-floor', Body: 'canary' }));
  await client.send(new sdk.DeleteObjectCommand({ Bucket, Key: 'kdrill-bench-floor' }));
  const cpu = cpuSeconds(cpu0);
  client.destroy();
  agent.destroy();
  return { requests: 6 + keys.length + Math.min(keys.length, 2), importSeconds, cpuSeconds: cpu };
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const out = mode === 'kube' ? await kube(arg1!, arg2!) : await s3(arg1!);
process.stdout.write(`${JSON.stringify(out)}\n`);
