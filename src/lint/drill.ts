import type { Finding } from '../drill/types.js';
import type { KubeApi } from '../kube/kube-api.js';
import { lint } from './service.js';

/**
 * The lint of a drill's preflight: the same checks on the target namespaces, as P3 findings with
 * their own severity and fix in the message. They are the guide's traps for maintenance and restores,
 * not a failed recovery, so they never fail a drill; each still names the object and the fix.
 */
export async function lintForDrill(
  kube: KubeApi,
  o: { namespaces: string[]; hardened: boolean; veleroNamespace: string },
): Promise<Finding[]> {
  try {
    const r = await lint(kube, o);
    return r.findings.map((f) => ({
      ...f,
      severity: 'P3',
      message: `[lint ${f.severity}] ${f.message}; fix: ${f.fix}`,
    }));
  } catch (e) {
    return [
      {
        severity: 'P3',
        code: 'LINT_SKIPPED',
        message: `the maintenance and restore lint could not run: ${(e as Error).message.split('\n')[0]}`,
        fix: 'run kdrill lint on its own to see why',
      },
    ];
  }
}
