import { createServer, type Server } from 'node:https';
import type { KubeApi } from '../core.js';
import type { KubeObject, LabelSelector } from '../core.js';
import { servingCert, type ServingCert } from './certs.js';
import { GUARDED, RULE_NAME, WEBHOOK_NAME, checkHardened, type HardenedScope } from './hardened.js';

interface AdmissionRequest {
  uid: string;
  namespace?: string;
  operation: string;
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  object?: KubeObject;
  oldObject?: KubeObject;
}

export interface WebhookHandle {
  url: string;
  stop(): Promise<void>;
}

const VWC = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' } as const;
export const WEBHOOK_CONFIG_NAME = 'kdrill-lab-hardened';

/**
 * The hardened rule for a real apiserver: an HTTPS validating webhook on 127.0.0.1, registered with
 * a ValidatingWebhookConfiguration. It decides with the same pure rule as the lab API server.
 */
export async function startHardenedWebhook(
  kube: KubeApi,
  scope: HardenedScope,
  certDir: string,
): Promise<WebhookHandle> {
  const cert = await servingCert(certDir);
  const server = await serveReviews(kube, scope, cert);
  const port = (server.address() as { port: number }).port;
  const url = `https://127.0.0.1:${port}/validate`;
  const config = webhookConfig(url, cert, scope);
  await labelExempt(kube, scope);
  const existing = await kube.get({ ...VWC, name: WEBHOOK_CONFIG_NAME });
  if (existing)
    await kube.replace({
      ...config,
      metadata: { ...config.metadata, resourceVersion: existing.metadata?.resourceVersion },
    });
  else await kube.create(config);
  return {
    url,
    stop: async () => {
      // Unregister first: a registered webhook that no longer answers would block every pod write.
      await kube.delete({ ...VWC, name: WEBHOOK_CONFIG_NAME }).catch(() => undefined);
      // the API server keeps its connections to a webhook alive; close() alone would wait for them forever
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** The HTTPS server that answers each AdmissionReview with the rule's decision, listening on 127.0.0.1. */
async function serveReviews(kube: KubeApi, scope: HardenedScope, cert: ServingCert): Promise<Server> {
  const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        let review: { request?: AdmissionRequest };
        try {
          review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request?: AdmissionRequest };
        } catch {
          res.writeHead(400).end();
          return;
        }
        const request = review.request;
        const response = request ? await decide(kube, scope, request) : { uid: '', allowed: true };
        const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return server;
}

function webhookConfig(url: string, cert: ServingCert, scope: HardenedScope) {
  return {
    ...VWC,
    metadata: {
      name: WEBHOOK_CONFIG_NAME,
      labels: { 'app.kubernetes.io/managed-by': 'kdrill', 'kdrill.dev/lab': 'true' },
    },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        clientConfig: { url, caBundle: Buffer.from(cert.caPem).toString('base64') },
        rules: [...new Set(GUARDED.map((g) => g.group))].map((group) => ({
          apiGroups: [group],
          // CronJobs are batch/v1beta1 before Kubernetes 1.21
          apiVersions: group === 'batch' ? ['v1', 'v1beta1'] : ['v1'],
          resources: GUARDED.filter((g) => g.group === group).map((g) => g.resource),
          operations: ['CREATE', 'UPDATE'],
        })),
        // never kube-system nor the lab's own namespaces, even when this process is gone (failurePolicy Fail)
        namespaceSelector: exemptSelector(scope),
        failurePolicy: 'Fail',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: 5,
      },
    ],
  };
}

/** Label that exempts a namespace on servers before 1.21, which do not label namespaces with their name. */
export const EXEMPT_LABEL = 'kdrill.dev/hardened-exempt';

/**
 * The webhook's namespaceSelector: the scope's own selector, and never an exempt namespace, by the
 * kubernetes.io/metadata.name label (1.21+) or, before 1.21, by EXEMPT_LABEL put on them.
 */
export function exemptSelector(scope: HardenedScope): LabelSelector {
  return {
    ...(scope.namespaceSelector?.matchLabels ? { matchLabels: scope.namespaceSelector.matchLabels } : {}),
    matchExpressions: [
      ...(scope.namespaceSelector?.matchExpressions ?? []),
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...scope.exemptNamespaces].sort() },
      { key: EXEMPT_LABEL, operator: 'DoesNotExist' },
    ],
  };
}

async function labelExempt(kube: KubeApi, scope: HardenedScope): Promise<void> {
  if ((Number.parseInt((await kube.serverVersion()).minor, 10) || 99) >= 21) return;
  for (const ns of scope.exemptNamespaces) {
    if (await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns }))
      await kube.patch(
        { apiVersion: 'v1', kind: 'Namespace', name: ns },
        { metadata: { labels: { [EXEMPT_LABEL]: 'true' } } },
      );
  }
}

async function decide(kube: KubeApi, scope: HardenedScope, req: AdmissionRequest): Promise<object> {
  const allow = { uid: req.uid, allowed: true };
  const ns = req.namespace ?? '';
  if (req.subResource || scope.exemptNamespaces.includes(ns) || !req.object) return allow;
  // Updates that leave the spec alone (labels, controller bookkeeping) are not re-judged.
  if (req.operation === 'UPDATE' && JSON.stringify(req.oldObject?.spec) === JSON.stringify(req.object.spec))
    return allow;
  const obj = { ...req.object, metadata: { ...req.object.metadata, namespace: ns } };
  const nps = await kube.list({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' }, { namespace: ns });
  const reason = checkHardened(obj, nps.items);
  if (!reason) return allow;
  // Gatekeeper's warn action: admitted, and the client is told (kubectl prints it as "Warning: …")
  if (scope.action === 'warn') return { ...allow, warnings: [reason] };
  return {
    uid: req.uid,
    allowed: false,
    status: {
      code: 403,
      reason: 'Forbidden',
      message: reason,
      details: { causes: [{ reason: RULE_NAME, message: reason }] },
    },
  };
}
