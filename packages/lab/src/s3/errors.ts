/** An S3 error response: the code and status AWS uses for the same situation. */
export class S3Error extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const noSuchBucket = (b: string): S3Error =>
  new S3Error(404, 'NoSuchBucket', `The specified bucket does not exist: ${b}`);
export const noSuchKey = (k: string, headers: Record<string, string> = {}): S3Error =>
  new S3Error(404, 'NoSuchKey', `The specified key does not exist: ${k}`, headers);
export const noSuchVersion = (): S3Error => new S3Error(404, 'NoSuchVersion', 'The specified version does not exist.');
export const accessDenied = (msg = 'Access Denied'): S3Error => new S3Error(403, 'AccessDenied', msg);
export const invalidArgument = (msg: string): S3Error => new S3Error(400, 'InvalidArgument', msg);
export const invalidRequest = (msg: string): S3Error => new S3Error(400, 'InvalidRequest', msg);
export const malformedXml = (): S3Error =>
  new S3Error(
    400,
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema.',
  );
export const invalidBucketState = (msg: string): S3Error => new S3Error(409, 'InvalidBucketState', msg);
