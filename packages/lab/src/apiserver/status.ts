/** Errors the lab API server returns, each rendered as a real metav1.Status object. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason?: string; message: string; field?: string }[];
  };

  constructor(code: number, reason: string, message: string, details?: ApiError['details']) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

const res = (group: string, resource: string): string => (group ? `${resource}.${group}` : resource);

export const notFound = (group: string, resource: string, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${res(group, resource)} "${name}" not found`, {
    name,
    group: group || undefined,
    kind: resource,
  });

export const alreadyExists = (group: string, resource: string, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${res(group, resource)} "${name}" already exists`, {
    name,
    group: group || undefined,
    kind: resource,
  });

export const conflict = (group: string, resource: string, name: string): ApiError =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${res(group, resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: group || undefined, kind: resource },
  );

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export const invalid = (kind: string, name: string, causes: { message: string; field?: string }[]): ApiError =>
  new ApiError(
    422,
    'Invalid',
    `${kind} "${name}" is invalid: ${causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ')}`,
    { name, kind, causes: causes.map((c) => ({ reason: 'FieldValueInvalid', ...c })) },
  );

export const forbidden = (message: string): ApiError => new ApiError(403, 'Forbidden', message);

export const gone = (message: string): ApiError => new ApiError(410, 'Expired', message);

export const methodNotAllowed = (message: string): ApiError => new ApiError(405, 'MethodNotAllowed', message);

export const unsupportedMediaType = (type: string): ApiError =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${type})`,
  );
