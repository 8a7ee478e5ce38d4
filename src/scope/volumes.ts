import type { KubeObject } from '../kube/types.js';
import type { ScopeInput } from './cluster.js';
import { POD_NAMES, labelsCovered, resourceCovered, type Template } from './filters.js';

/** How one claim's data gets into a Schedule's backups, or why it does not. */
export interface VolumeCoverage {
  how: 'fs-backup (default)' | 'fs-backup (annotation)' | 'csi-snapshot' | 'native-snapshot' | 'none';
  why: string;
}

const OPT_IN = 'backup.velero.io/backup-volumes';
const OPT_OUT = 'backup.velero.io/backup-volumes-excludes';
const VSC_LABEL = 'velero.io/csi-volumesnapshot-class';
const NATIVE = ['awsElasticBlockStore', 'gcePersistentDisk', 'azureDisk', 'cinder', 'vsphereVolume'];
const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The running pods that mount the claim, each with the name of the volume that does. */
export function mountsOf(pvc: KubeObject, pods: KubeObject[]): { pod: KubeObject; volume: string }[] {
  const ns = pvc.metadata?.namespace;
  return pods
    .filter((p) => p.metadata?.namespace === ns && !['Succeeded', 'Failed'].includes(String(p.status?.phase)))
    .flatMap((pod) =>
      ((pod.spec?.volumes ?? []) as { name: string; persistentVolumeClaim?: { claimName?: string } }[])
        .filter((v) => v.persistentVolumeClaim?.claimName === pvc.metadata?.name)
        .map((v) => ({ pod, volume: v.name })),
    );
}

/** Velero's server default (--default-volumes-to-fs-backup, or --default-volumes-to-restic before v1.10), unless the template says. */
export function fsByDefault(t: Template, veleroArgs: string[]): boolean {
  const own = t.defaultVolumesToFsBackup ?? t.defaultVolumesToRestic;
  if (own !== undefined) return own;
  return veleroArgs.some((a) => /^--default-volumes-to-(fs-backup|restic)(=true)?$/.test(a));
}

/** A pod volume file-system backup picks: opted in by annotation, or every volume by default unless opted out. */
export function fsBackupOf(
  t: Template,
  veleroArgs: string[],
  pod: KubeObject,
  volume: string,
): VolumeCoverage['how'] | undefined {
  const a = pod.metadata?.annotations ?? {};
  if (list(a[OPT_IN]).includes(volume)) return 'fs-backup (annotation)';
  if (fsByDefault(t, veleroArgs) && !list(a[OPT_OUT]).includes(volume)) return 'fs-backup (default)';
  return undefined;
}

/** CSI snapshots: the claim's driver has a VolumeSnapshotClass Velero uses, and Velero takes CSI snapshots (built in from v1.14). */
function csiSnapshot(input: ScopeInput, pvc: KubeObject): string | undefined {
  const sc = input.storageClasses.find((c) => c.metadata?.name === pvc.spec?.storageClassName);
  const driver = sc?.provisioner as string | undefined;
  if (!driver) return undefined;
  const csi =
    (input.velero.version && (input.velero.version[0] > 1 || input.velero.version[1] >= 14)) ||
    input.velero.args.some((x) => /EnableCSI/.test(x));
  const vsc = input.snapshotClasses.find(
    (c) =>
      c.driver === driver &&
      (c.metadata?.labels?.[VSC_LABEL] === 'true' ||
        c.metadata?.annotations?.['snapshot.storage.kubernetes.io/is-default-class'] === 'true'),
  );
  return csi && vsc ? `VolumeSnapshotClass ${vsc.metadata?.name} of ${driver}` : undefined;
}

function nativeSnapshot(input: ScopeInput, pvc: KubeObject): string | undefined {
  const pv = input.pvs.find((v) => v.metadata?.name === pvc.spec?.volumeName);
  const src = NATIVE.find((k) => pv?.spec?.[k]);
  return src && input.snapshotLocations.length
    ? `${src} through VolumeSnapshotLocation ${input.snapshotLocations[0]!.metadata?.name}`
    : undefined;
}

/**
 * How a claim's data is backed up by a Schedule whose backups hold the claim itself: file-system
 * backup of a mounting pod's volume (needs the node agent and the pod in the backup), else a CSI or
 * native snapshot (unless snapshotVolumes is false), else not at all: the claim comes back empty.
 */
export function volumeCoverage(t: Template, input: ScopeInput, pvc: KubeObject): VolumeCoverage {
  const mounts = mountsOf(pvc, input.pods);
  const podsIn = resourceCovered(t, POD_NAMES);
  for (const m of mounts) {
    const how = fsBackupOf(t, input.velero.args, m.pod, m.volume);
    if (!how) continue;
    const pod = `pod ${m.pod.metadata?.name} volume ${m.volume}`;
    if (!input.velero.nodeAgent)
      return {
        how: 'none',
        why: `${pod} is picked for file-system backup, but no node-agent DaemonSet runs (velero install --use-node-agent)`,
      };
    if (!podsIn || !labelsCovered(t, m.pod))
      return {
        how: 'none',
        why: `${pod} is picked for file-system backup, but the Schedule does not back up that pod`,
      };
    return { how, why: pod };
  }
  if (t.snapshotVolumes !== false) {
    const csi = csiSnapshot(input, pvc);
    if (csi) return { how: 'csi-snapshot', why: csi };
    const native = nativeSnapshot(input, pvc);
    if (native) return { how: 'native-snapshot', why: native };
  }
  const reasons = [
    mounts.length
      ? `no file-system backup picks its volume (no ${OPT_IN} annotation, defaultVolumesToFsBackup off)`
      : 'no running pod mounts it, so file-system backup cannot read it',
    t.snapshotVolumes === false
      ? 'snapshotVolumes is false'
      : `no snapshot: its StorageClass ${String(pvc.spec?.storageClassName ?? '(none)')} has no VolumeSnapshotClass Velero uses, and no VolumeSnapshotLocation covers it`,
  ];
  return { how: 'none', why: reasons.join('; ') };
}
