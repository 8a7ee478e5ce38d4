import type { Clock, KubeApi, ObjectStore } from '../core.js';
import type { LabFaults } from './faults.js';
import type { VeleroRelease } from './versions.js';

/** What a backup or a restore of the lab Velero works with: the cluster, the BSL's bucket, time, faults. */
export interface VeleroDeps {
  kube: KubeApi;
  store: ObjectStore;
  /** The BSL's prefix in the bucket. */
  prefix: string;
  /** Its timestamps, deadlines and polls read it. */
  clock: Clock;
  faults?: LabFaults;
  /** The Velero version whose behaviour it follows (the newest by default). */
  release?: VeleroRelease;
}
