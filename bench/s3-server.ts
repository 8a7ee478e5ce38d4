import { LabS3Server } from '../src/lab/s3/server.js';

// The embedded S3 in its own process for the benchmark, so server and client do not share one core.
const s3 = new LabS3Server({ credentials: { accessKeyId: 'BENCH', secretAccessKey: 'bench-secret' } });
process.stdout.write(`${await s3.listen(0)}\n`);
process.on('SIGTERM', () => void s3.close().then(() => process.exit(0)));
