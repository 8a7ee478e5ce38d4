import type { KubeObject } from '../core.js';
import type { ResourceType } from './resources.js';

let nextClusterIp = 10;

/** What a real apiserver's PrepareForCreate and defaulting give a new object, for the fields kdrill reads. */
export function defaultOnCreate(t: ResourceType, obj: KubeObject): KubeObject {
  const key = `${t.group}/${t.resource}`;
  switch (key) {
    case '/namespaces':
      return { ...obj, spec: { finalizers: ['kubernetes'], ...obj.spec }, status: { phase: 'Active' } };
    case '/pods':
      return {
        ...obj,
        spec: { restartPolicy: 'Always', schedulerName: 'default-scheduler', ...obj.spec },
        status: { phase: 'Pending', qosClass: 'BestEffort' },
      };
    case '/persistentvolumeclaims':
      return { ...obj, status: { phase: 'Pending' } };
    case '/persistentvolumes':
      return { ...obj, status: { phase: 'Available' } };
    case '/services': {
      const spec = { type: 'ClusterIP', ...obj.spec };
      if (!spec.clusterIP && spec.type !== 'ExternalName') {
        const n = nextClusterIp++;
        spec.clusterIP = `10.96.${(n >> 8) & 255}.${n & 255}`;
        spec.clusterIPs = [spec.clusterIP];
      }
      return { ...obj, spec, status: { loadBalancer: {} } };
    }
    case 'apps/deployments':
    case 'apps/statefulsets':
    case 'apps/replicasets':
      return { ...obj, spec: { replicas: 1, ...obj.spec }, status: {} };
    default:
      return t.statusSubresource && !t.crd ? { ...obj, status: obj.status ?? {} } : obj;
  }
}

/** The part of an object whose change bumps metadata.generation. */
export function specOf(obj: KubeObject): unknown {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}
