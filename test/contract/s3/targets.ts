import { AwsObjectStore } from '../../../src/backupstore/aws-object-store.js';
import type { S3Settings } from '../../../src/backupstore/object-store.js';
import { LabS3Server } from '../../../packages/lab/src/s3/server.js';

export interface S3Target {
  name: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** A store for a new, uniquely named bucket (not created yet). */
  store(bucket: string, prefix?: string): AwsObjectStore;
  settings(bucket: string): S3Settings;
  stop(): Promise<void>;
}

export interface S3TargetSpec {
  name: string;
  skip?: string;
  start(): Promise<S3Target>;
}

function target(
  name: string,
  endpoint: string,
  credentials: S3Target['credentials'],
  stop: () => Promise<void>,
): S3Target {
  const settings = (bucket: string, prefix = ''): S3Settings => ({
    endpoint,
    region: 'us-east-1',
    bucket,
    prefix,
    forcePathStyle: true,
    credentials,
  });
  return { name, endpoint, credentials, settings, store: (b, p) => new AwsObjectStore(settings(b, p)), stop };
}

const ENDPOINT = 'KDRILL_TEST_S3_ENDPOINT';

export const S3_TARGETS: S3TargetSpec[] = [
  {
    name: 'embedded S3',
    start: async () => {
      const credentials = { accessKeyId: 'LABACCESSKEY', secretAccessKey: 'lab-secret-key-for-tests' };
      const s3 = new LabS3Server({ credentials });
      return target('embedded S3', await s3.listen(0), credentials, () => s3.close());
    },
  },
  {
    name: 'Ceph RGW',
    skip: process.env[ENDPOINT]
      ? undefined
      : `${ENDPOINT} is not set: run .ci/run, or start scripts/rgw-start.sh and set ${ENDPOINT}`,
    start: async () =>
      target(
        'Ceph RGW',
        process.env[ENDPOINT]!,
        {
          accessKeyId: process.env.KDRILL_TEST_S3_ACCESS_KEY ?? 'TESTACCESSKEY0000001',
          secretAccessKey: process.env.KDRILL_TEST_S3_SECRET_KEY ?? 'testsecretkey0000000000000000000000000001',
        },
        async () => undefined,
      ),
  },
];

export const uniqueBucket = (what: string): string =>
  `kd-${what}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
