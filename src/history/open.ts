import { AwsObjectStore } from '../backupstore/aws-object-store.js';
import { envCredentials } from '../backupstore/bsl.js';
import { usageError } from '../errors.js';
import { DirHistory, parseHistoryLocation, S3History, type HistoryStore } from './store.js';

export interface HistoryOptions {
  /** A directory or s3://bucket/prefix; false: keep no history. */
  history?: string | false;
  /** The S3 endpoint of an s3:// history (default: AWS, or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL). */
  historyEndpoint?: string;
}

/** Opens the history store. S3 credentials come from the environment, never from a flag. */
export function openHistory(o: HistoryOptions): HistoryStore | undefined {
  if (o.history === false || o.history === undefined) return undefined;
  const loc = parseHistoryLocation(o.history);
  if (loc.kind === 'dir') return new DirHistory(loc.dir);
  return new S3History(historyObjectStore(o, loc), loc);
}

/** The bucket of an s3:// history (the action log lives there too). */
export function historyObjectStore(o: HistoryOptions, loc: { bucket: string }): AwsObjectStore {
  const credentials = envCredentials();
  if (!credentials)
    throw usageError(
      `--history ${o.history} needs S3 credentials`,
      'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (in a CronJob: from the Secret the manifests reference)',
    );
  const endpoint = o.historyEndpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new AwsObjectStore({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    bucket: loc.bucket,
    prefix: '',
    forcePathStyle: !!endpoint,
    credentials,
  });
}
