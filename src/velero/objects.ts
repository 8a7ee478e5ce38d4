import type { KubeApi, ListOptions } from '../kube/kube-api.js';
import type { KubeObject } from '../kube/types.js';
import type {
  Backup,
  BackupStatus,
  BackupStorageLocation,
  DownloadRequest,
  DownloadRequestSpec,
  Restore,
  RestoreStatus,
  Schedule,
} from './types.generated.js';

export type { Backup, BackupStorageLocation, DownloadRequest, Restore, Schedule } from './types.generated.js';

/** The velero.io/v1 kinds kdrill reads, with their types as Velero's CRDs declare them. */
export interface VeleroObjects {
  Backup: Backup;
  Restore: Restore;
  Schedule: Schedule;
  BackupStorageLocation: BackupStorageLocation;
  DownloadRequest: DownloadRequest;
}
export type VeleroKind = keyof VeleroObjects;
export type BackupPhase = NonNullable<BackupStatus['phase']>;
export type RestorePhase = NonNullable<RestoreStatus['phase']>;
/** The kinds of file a DownloadRequest can fetch. */
export type DownloadKind = DownloadRequestSpec['target']['kind'];

export const V = <K extends string>(kind: K): { apiVersion: 'velero.io/v1'; kind: K } => ({
  apiVersion: 'velero.io/v1',
  kind,
});

// KubeObject leaves spec and status open, so each of these is checked by the compiler, not cast
const typed: { [K in VeleroKind]: (o: KubeObject) => VeleroObjects[K] } = {
  Backup: (o) => o,
  Restore: (o) => o,
  Schedule: (o) => o,
  BackupStorageLocation: (o) => o,
  DownloadRequest: (o) => o,
};

/**
 * An object of the API as the Velero kind it is. A list's items may omit apiVersion and kind; one
 * that names another kind is a bug in the caller, not data to read with the wrong type.
 */
export function asVelero<K extends VeleroKind>(kind: K, o: KubeObject): VeleroObjects[K] {
  const wrongKind = o.kind !== undefined && o.kind !== kind;
  const wrongGroup = o.apiVersion !== undefined && !o.apiVersion.startsWith('velero.io/');
  if (wrongKind || wrongGroup)
    throw new Error(`expected a velero.io ${kind}, got ${o.apiVersion ?? '?'} ${o.kind ?? '?'}`);
  return typed[kind](o);
}

export const asBackup = (o: KubeObject): Backup => asVelero('Backup', o);
export const asRestore = (o: KubeObject): Restore => asVelero('Restore', o);
export const asBsl = (o: KubeObject): BackupStorageLocation => asVelero('BackupStorageLocation', o);
export const asDownloadRequest = (o: KubeObject): DownloadRequest => asVelero('DownloadRequest', o);

/** One Velero object, typed; undefined when it is not there. */
export async function getVelero<K extends VeleroKind>(
  kube: KubeApi,
  ref: { kind: K; namespace: string; name: string },
): Promise<VeleroObjects[K] | undefined> {
  const o = await kube.get({ ...V(ref.kind), namespace: ref.namespace, name: ref.name });
  return o && asVelero(ref.kind, o);
}

/** Every Velero object of a kind (every page), typed. */
export async function listVelero<K extends VeleroKind>(
  kube: KubeApi,
  kind: K,
  opts: ListOptions,
): Promise<VeleroObjects[K][]> {
  return (await kube.list(V(kind), opts)).items.map((o) => asVelero(kind, o));
}
