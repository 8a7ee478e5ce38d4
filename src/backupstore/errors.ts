import { DrillError, ExitCode } from '../errors.js';
import type { S3Settings } from './object-store.js';

type Where = Pick<S3Settings, 'endpoint' | 'bucket'>;

/** What a failure says about itself, read off the several shapes the SDK and Node give it. */
interface Failure {
  code: string; // the S3 error code or the SDK's error name
  status?: number;
  errno: string; // Node's system error code, on the error or its cause
  message?: string;
}

interface Rule {
  code: string;
  matches(f: Failure, what: string): boolean;
  message(f: Failure, s: Where, what: string): string;
  hint: string;
}

const where = (s: Where): string => `bucket "${s.bucket}" at ${s.endpoint ?? 'AWS S3'}`;

const CREDENTIAL_CODES = ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken'];
const NETWORK_ERRNOS = ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'];

/** Checked in order; the first that matches names the failure. */
const RULES: Rule[] = [
  {
    code: 'S3_CREDENTIALS',
    matches: (f) => CREDENTIAL_CODES.includes(f.code),
    message: (f, s) => `S3 refused the credentials for ${where(s)} (${f.code})`,
    hint: 'check the access key and secret in the BSL credentials Secret (or --s3-* flags)',
  },
  {
    code: 'S3_NO_CREDENTIALS',
    matches: (f) => f.code === 'CredentialsProviderError',
    message: (_f, s) => `no S3 credentials for ${where(s)}`,
    hint: 'give a credentials file (--s3-credentials-file, or the BSL credentials Secret), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
  },
  {
    code: 'S3_NO_BUCKET',
    matches: (f, what) => f.code === 'NoSuchBucket' || (f.status === 404 && what === 'reach the bucket'),
    message: (_f, s) => `${where(s)} does not exist`,
    hint: 'check spec.objectStorage.bucket of the BackupStorageLocation, or create the bucket',
  },
  {
    code: 'S3_ACCESS_DENIED',
    matches: (f) => f.code === 'AccessDenied' || f.status === 403,
    message: (_f, s, what) => `S3 denied access to ${where(s)} while trying to ${what}`,
    hint: 'the credentials lack a permission on this bucket',
  },
  {
    code: 'S3_TLS',
    matches: (f) => /CERT|SELF_SIGNED|SSL|TLS|UNABLE_TO_VERIFY/.test(f.errno),
    message: (f, s) => `the TLS certificate of ${s.endpoint ?? 'S3'} is not trusted (${f.errno})`,
    hint: 'give the CA in the BSL (spec.objectStorage.caCert), or set insecureSkipTLSVerify: "true" in its config for a test store',
  },
  {
    code: 'S3_TIMEOUT',
    matches: (f) => f.code === 'TimeoutError' || f.code === 'AbortError' || f.errno === 'ABORT_ERR',
    message: (_f, s, what) =>
      `S3 at ${s.endpoint ?? 'AWS'} did not answer in time while trying to ${what} (${where(s)})`,
    hint: 'is the endpoint hung, or a proxy in front of it? Raise the deadline with --request-timeout if it is only slow',
  },
  {
    code: 'S3_UNREACHABLE',
    matches: (f) => NETWORK_ERRNOS.includes(f.errno),
    message: (f, s) => `cannot reach S3 at ${s.endpoint ?? 'AWS'} (${f.errno || f.code})`,
    hint: 'is the endpoint up and the URL right (s3Url in the BSL config)?',
  },
  {
    // an HTTP answer without an S3 error code: a console, a web UI or a proxy's error page
    code: 'S3_NOT_S3',
    matches: (f) => f.status !== undefined && !f.code.match(/^[A-Z][A-Za-z]+$/),
    message: (f, s) => `the endpoint ${s.endpoint ?? ''} answered HTTP ${f.status} but does not speak S3`,
    hint: 'check s3Url: it should be the S3 API endpoint, not a console or web UI',
  },
];

const FALLBACK: Rule = {
  code: 'S3_ERROR',
  matches: () => true,
  message: (f, s, what) => `S3 failed to ${what} in ${where(s)}: ${f.code || f.message || 'unknown error'}`,
  hint: 'rerun with --debug for the full response',
};

function readFailure(err: unknown): Failure {
  const e = err as {
    name?: string;
    Code?: string;
    code?: string;
    message?: string;
    cause?: { code?: string };
    $metadata?: { httpStatusCode?: number };
    $response?: { statusCode?: number };
  };
  return {
    code: e.name ?? e.Code ?? '',
    status: e.$metadata?.httpStatusCode ?? e.$response?.statusCode,
    errno: e.code ?? e.cause?.code ?? '',
    message: e.message,
  };
}

/** Turns an SDK failure into one line that names the endpoint and bucket, with a hint; exit 4. */
export function s3Error(err: unknown, s: Where, what: string): DrillError {
  const f = readFailure(err);
  const rule = RULES.find((r) => r.matches(f, what)) ?? FALLBACK;
  return new DrillError(rule.code, rule.message(f, s, what), ExitCode.Precondition, { hint: rule.hint, cause: err });
}
