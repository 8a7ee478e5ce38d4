import { DrillError, ExitCode } from '../errors.js';
import type { S3Settings } from './object-store.js';

const where = (s: Pick<S3Settings, 'endpoint' | 'bucket'>): string =>
  `bucket "${s.bucket}" at ${s.endpoint ?? 'AWS S3'}`;

/** Turns an SDK failure into one line that names the endpoint and bucket, with a hint; exit 4. */
export function s3Error(err: unknown, s: Pick<S3Settings, 'endpoint' | 'bucket'>, what: string): DrillError {
  const e = err as {
    name?: string;
    Code?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    $response?: { statusCode?: number };
  };
  const code = e.name ?? e.Code ?? '';
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const errno = e.code ?? (err as { cause?: { code?: string } }).cause?.code ?? '';
  const mk = (c: string, msg: string, hint: string): DrillError =>
    new DrillError(c, msg, ExitCode.Precondition, { hint, cause: err });
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken'].includes(code)) {
    return mk(
      'S3_CREDENTIALS',
      `S3 refused the credentials for ${where(s)} (${code})`,
      'check the access key and secret in the BSL credentials Secret (or --s3-* flags)',
    );
  }
  if (code === 'CredentialsProviderError') {
    return mk(
      'S3_NO_CREDENTIALS',
      `no S3 credentials for ${where(s)}`,
      'give a credentials file (--s3-credentials-file, or the BSL credentials Secret), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    );
  }
  if (code === 'NoSuchBucket' || (status === 404 && what === 'reach the bucket')) {
    return mk(
      'S3_NO_BUCKET',
      `${where(s)} does not exist`,
      'check spec.objectStorage.bucket of the BackupStorageLocation, or create the bucket',
    );
  }
  if (code === 'AccessDenied' || status === 403)
    return mk(
      'S3_ACCESS_DENIED',
      `S3 denied access to ${where(s)} while trying to ${what}`,
      'the credentials lack a permission on this bucket',
    );
  if (/CERT|SELF_SIGNED|SSL|TLS|UNABLE_TO_VERIFY/.test(errno)) {
    return mk(
      'S3_TLS',
      `the TLS certificate of ${s.endpoint ?? 'S3'} is not trusted (${errno})`,
      'give the CA in the BSL (spec.objectStorage.caCert), or set insecureSkipTLSVerify: "true" in its config for a test store',
    );
  }
  if (code === 'TimeoutError' || code === 'AbortError' || errno === 'ABORT_ERR') {
    return mk(
      'S3_TIMEOUT',
      `S3 at ${s.endpoint ?? 'AWS'} did not answer in time while trying to ${what} (${where(s)})`,
      'is the endpoint hung, or a proxy in front of it? Raise the deadline with --request-timeout if it is only slow',
    );
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'].includes(errno)) {
    return mk(
      'S3_UNREACHABLE',
      `cannot reach S3 at ${s.endpoint ?? 'AWS'} (${errno || code})`,
      'is the endpoint up and the URL right (s3Url in the BSL config)?',
    );
  }
  if (status !== undefined && !code.match(/^[A-Z][A-Za-z]+$/)) {
    return mk(
      'S3_NOT_S3',
      `the endpoint ${s.endpoint ?? ''} answered HTTP ${status} but does not speak S3`,
      'check s3Url: it should be the S3 API endpoint, not a console or web UI',
    );
  }
  return mk(
    'S3_ERROR',
    `S3 failed to ${what} in ${where(s)}: ${code || e.message || 'unknown error'}`,
    'rerun with --debug for the full response',
  );
}
