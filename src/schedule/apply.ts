import type { KubeApi } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import type { CronJobApi } from './manifests.js';

/**
 * batch/v1 CronJob is served from Kubernetes 1.21; before that only batch/v1beta1 is. Asks the
 * cluster rather than parsing its version: that is what the API server will accept.
 */
export async function cronJobApiOf(kube: KubeApi): Promise<CronJobApi | undefined> {
  if (await kube.serves({ apiVersion: 'batch/v1', kind: 'CronJob' })) return 'batch/v1';
  if (await kube.serves({ apiVersion: 'batch/v1beta1', kind: 'CronJob' })) return 'batch/v1beta1';
  return undefined;
}

/** Creates each object, or replaces it when it exists (a Namespace that exists is left as it is). */
export async function applyObjects(kube: KubeApi, objects: KubeObject[]): Promise<string[]> {
  const done: string[] = [];
  for (const o of objects) {
    const ref = { apiVersion: o.apiVersion!, kind: o.kind!, namespace: o.metadata?.namespace, name: o.metadata!.name! };
    const what = `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;
    const existing = await kube.get(ref);
    if (!existing) {
      await kube.create(o);
      done.push(`created ${what}`);
    } else if (o.kind === 'Namespace') {
      done.push(`kept ${what}`);
    } else {
      await kube.replace({ ...o, metadata: { ...o.metadata, resourceVersion: existing.metadata?.resourceVersion } });
      done.push(`updated ${what}`);
    }
  }
  return done;
}
