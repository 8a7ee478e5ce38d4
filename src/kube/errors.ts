import { DrillError, ExitCode } from '../errors.js';

/** An error the API server returned, with its HTTP status and Status reason kept for callers. */
export class KubeApiError extends DrillError {
  readonly status: number;
  readonly reason: string;

  constructor(status: number, reason: string, message: string, hint?: string) {
    super(
      `KUBE_${reason ? reason.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() : status}`,
      message,
      status === 401 || status === 403 ? ExitCode.Precondition : ExitCode.Internal,
      { hint },
    );
    this.status = status;
    this.reason = reason;
  }
}

export function isKubeApiError(e: unknown, status?: number): e is KubeApiError {
  return e instanceof KubeApiError && (status === undefined || e.status === status);
}

/** Turns a non-2xx answer into a KubeApiError, with a hint where an operator can act. */
export function fromResponse(status: number, body: string, what: string, context: string): KubeApiError {
  let s: { reason?: string; message?: string };
  try {
    s = JSON.parse(body) as { reason?: string; message?: string };
  } catch {
    s = { message: body.slice(0, 200) };
  }
  const reason = s.reason ?? '';
  const message = s.message ?? '';
  const text = `${what}: ${message || `HTTP ${status}`}`;
  if (status === 401)
    return new KubeApiError(
      status,
      reason || 'Unauthorized',
      text,
      `the credentials of context "${context}" were refused; refresh them or pick another --context`,
    );
  // NamespaceLifecycle admission answers 403 too: no permission is missing, the namespace is going away
  if (status === 403 && message.includes('because it is being terminated'))
    return new KubeApiError(
      status,
      reason || 'Forbidden',
      text,
      'its namespace is being deleted (Terminating); wait until it is gone, or look at what holds it: kubectl get namespace <name> -o yaml',
    );
  if (status === 403 && !message.includes('admission webhook'))
    return new KubeApiError(
      status,
      reason || 'Forbidden',
      text,
      `context "${context}" lacks the RBAC permission; see \`kdrill schedule\` for the roles kdrill needs`,
    );
  return new KubeApiError(status, reason, text);
}

export function unreachable(server: string, context: string, cause: unknown): DrillError {
  const code = (cause as { code?: string }).code ?? '';
  return new DrillError(
    'KUBE_UNREACHABLE',
    `cannot reach the Kubernetes API at ${server} (context "${context}")${code ? `: ${code}` : ''}`,
    ExitCode.Precondition,
    {
      hint: 'is the cluster up? For the lab run `kdrill lab up`; otherwise check --kubeconfig and --context',
      cause,
    },
  );
}

/** A server that accepted the request and said nothing within the deadline. */
export function silent(server: string, context: string, timeoutMs: number, what: string): DrillError {
  return new DrillError(
    'KUBE_TIMEOUT',
    `the Kubernetes API at ${server} (context "${context}") accepted the connection but did not answer within ${timeoutMs >= 10_000 ? Math.round(timeoutMs / 1000) : (timeoutMs / 1000).toFixed(1)}s (${what})`,
    ExitCode.Precondition,
    {
      hint: 'is the API server (or a proxy in front of it) hung? Raise the deadline with --request-timeout if it is only slow',
    },
  );
}
