import { V114_CRD_TRANSFORMS, type CrdTransform } from './crd-transforms.js';

/**
 * The Velero releases the lab Velero behaves as. Each difference the lab follows is a field here, read
 * from that release's source (SPEC.md, "The lab Velero, release by release"), so that a drill that
 * passes in the lab passes against the same release on a real cluster.
 */
export type VeleroVersion = '1.14' | '1.18';

export interface VeleroRelease {
  version: VeleroVersion;
  /** The release tag the behaviour was read from. */
  tag: string;
  /** What `velero install --image` would run. */
  image: string;
  /**
   * velero-plugin-for-aws, as its README's compatibility table pairs it with this release. Plugin
   * v1.14.x is paired with Velero v1.18.x on its release-1.14 branch; its only tag there is v1.14.0-rc.1.
   */
  awsPlugin: { series: string; image: string };
  /** The server's default --restore-resource-priorities (pkg/cmd/server/server.go, v1.18: config/config.go). */
  restorePriorities: { high: readonly string[]; low: readonly string[] };
  /**
   * The warning for an existing object that differs from the backed-up one (pkg/restore/restore.go),
   * `{kind}` and `{name}` filled in. With existingResourcePolicy `none` both releases use v1.14's form.
   */
  alreadyExists: { unsetPolicy: string; nonePolicy: string };
  /** validateAndComplete refuses a restore whose BSL is not Available (pkg/controller/restore_controller.go). */
  restoreChecksBslPhase: boolean;
  /** Backups pass through Queued and ReadyToStart before InProgress (pkg/controller/backup_queue_controller.go). */
  backupQueue: boolean;
  /**
   * A backup's namespace list counts as "every namespace" when, wildcards expanded against the cluster,
   * it names every namespace there is (NamespaceIncludesExcludes, pkg/util/collections/includes_excludes.go).
   */
  backupNamespacesExpand: boolean;
  /** Restored whatever the namespace and resource filters and label selectors say (resourceMustHave, pkg/restore/restore.go). */
  restoreMustHave: readonly string[];
  /** PVC annotations the restore's PVC action removes (v1.18's pkg/restore/actions/pvc_action.go; v1.14 has none of its own). */
  pvcAnnotationsRemoved: readonly string[];
  /** How this release's CRDs differ from the v1.18 ones in assets/crds/velero (see crd-transforms.ts). */
  crdTransforms: readonly CrdTransform[];
}

const QUOTED =
  'could not restore, {kind} "{name}" already exists. Warning: the in-cluster version is different than the backed-up version';
const COLON =
  'could not restore, {kind}:{name} already exists. Warning: the in-cluster version is different than the backed-up version';

const V114_HIGH = [
  'customresourcedefinitions',
  'namespaces',
  'storageclasses',
  'volumesnapshotclass.snapshot.storage.k8s.io',
  'volumesnapshotcontents.snapshot.storage.k8s.io',
  'volumesnapshots.snapshot.storage.k8s.io',
  'datauploads.velero.io',
  'persistentvolumes',
  'persistentvolumeclaims',
  'serviceaccounts',
  'secrets',
  'configmaps',
  'limitranges',
  'pods',
  'replicasets.apps',
  'clusterclasses.cluster.x-k8s.io',
  'endpoints',
  'services',
] as const;

const V118_HIGH = [
  'customresourcedefinitions',
  'namespaces',
  'storageclasses',
  'volumesnapshotclass.snapshot.storage.k8s.io',
  'volumesnapshotcontents.snapshot.storage.k8s.io',
  'volumesnapshots.snapshot.storage.k8s.io',
  'datauploads.velero.io',
  'persistentvolumes',
  'persistentvolumeclaims',
  'clusterroles',
  'roles',
  'serviceaccounts',
  'clusterrolebindings',
  'rolebindings',
  'secrets',
  'configmaps',
  'limitranges',
  'priorityclasses',
  'pods',
  'replicasets.apps',
  'clusterclasses.cluster.x-k8s.io',
  'endpoints',
  'services',
] as const;

const V114_LOW = [
  'clusterbootstraps.run.tanzu.vmware.com',
  'clusters.cluster.x-k8s.io',
  'clusterresourcesets.addons.cluster.x-k8s.io',
] as const;
const V118_LOW = [...V114_LOW, 'apps.kappctrl.k14s.io', 'packageinstalls.packaging.carvel.dev'] as const;

export const VELERO_VERSIONS: Readonly<Record<VeleroVersion, VeleroRelease>> = {
  '1.14': {
    version: '1.14',
    tag: 'v1.14.1',
    image: 'velero/velero:v1.14.1',
    awsPlugin: { series: 'v1.10.x', image: 'velero/velero-plugin-for-aws:v1.10.1' },
    restorePriorities: { high: V114_HIGH, low: V114_LOW },
    alreadyExists: { unsetPolicy: QUOTED, nonePolicy: QUOTED },
    restoreChecksBslPhase: false,
    backupQueue: false,
    backupNamespacesExpand: false,
    restoreMustHave: ['datauploads.velero.io'],
    pvcAnnotationsRemoved: [],
    crdTransforms: V114_CRD_TRANSFORMS,
  },
  '1.18': {
    version: '1.18',
    tag: 'v1.18.1',
    image: 'velero/velero:v1.18.1',
    awsPlugin: { series: 'v1.14.x', image: 'velero/velero-plugin-for-aws:v1.14.0' },
    restorePriorities: { high: V118_HIGH, low: V118_LOW },
    alreadyExists: { unsetPolicy: COLON, nonePolicy: QUOTED },
    restoreChecksBslPhase: true,
    backupQueue: true,
    backupNamespacesExpand: true,
    restoreMustHave: ['datauploads.velero.io', 'volumesnapshotcontents.snapshot.storage.k8s.io'],
    pvcAnnotationsRemoved: [
      'pv.kubernetes.io/bind-completed',
      'pv.kubernetes.io/bound-by-controller',
      'volume.kubernetes.io/storage-provisioner',
      'volume.beta.kubernetes.io/storage-provisioner',
      'volume.kubernetes.io/selected-node',
      'velero.io/volume-snapshot-name',
      'velero.io/data-upload-name',
    ],
    crdTransforms: [],
  },
};

/** The nightly workflow's pin (.github/workflows/nightly-drill.yml). */
export const DEFAULT_VELERO_VERSION: VeleroVersion = '1.14';

export function veleroRelease(v: VeleroVersion = DEFAULT_VELERO_VERSION): VeleroRelease {
  return VELERO_VERSIONS[v];
}

export function alreadyExistsWarning(r: VeleroRelease, policy: string | undefined, kind: string, name: string): string {
  const format = policy === 'none' ? r.alreadyExists.nonePolicy : r.alreadyExists.unsetPolicy;
  return format.replace('{kind}', kind).replace('{name}', name);
}
