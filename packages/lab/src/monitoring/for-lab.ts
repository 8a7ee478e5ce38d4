import type { RunningLab } from '../lab.js';
import { startMonitoring, type RunningMonitoring } from './monitoring.js';

/** `lab up --monitoring`: Prometheus and Alertmanager watching the lab's first cluster and its app; the lab stops when they cannot start. */
export async function monitorLab(lab: RunningLab, log: (m: string) => void): Promise<RunningMonitoring> {
  try {
    return await startMonitoring({ dir: lab.dir, kube: lab.clusters[0]!.kube, namespaces: lab.backupNamespaces, log });
  } catch (e) {
    await lab.stop();
    throw e;
  }
}
