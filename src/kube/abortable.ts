import type { KubeApi } from './kube-api.js';

/**
 * The same KubeApi, refusing every call once `signal` has fired: after Ctrl-C a drill makes no further
 * request (a Restore is never created after the operator said stop), whatever step it was in.
 */
export function abortable(kube: KubeApi, signal: AbortSignal): KubeApi {
  return new Proxy(kube, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || prop === 'discoveryWarnings' || prop === 'takeWarnings') return v;
      return (...args: unknown[]) => {
        signal.throwIfAborted();
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
