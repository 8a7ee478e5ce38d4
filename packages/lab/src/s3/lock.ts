import { accessDenied, noSuchKey, noSuchVersion } from './errors.js';
import type { S3Context } from './http.js';
import type { Bucket, LockMode, Version } from './store.js';

/** The version a request names (the latest without a versionId); a delete marker as S3 answers it. */
export function versionOf(b: Bucket, key: string, versionId: string | null): Version {
  const list = b.objects.get(key);
  if (versionId) {
    const v = list?.find((x) => x.versionId === versionId);
    if (!v) throw list ? noSuchVersion() : noSuchKey(key);
    return v;
  }
  const latest = list?.[list.length - 1];
  if (!latest) throw noSuchKey(key);
  if (latest.deleteMarker)
    throw noSuchKey(key, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': latest.versionId });
  return latest;
}

/** A retention in force may be lengthened, never shortened or changed in mode (GOVERNANCE: unless bypassed). */
export function checkRetentionChange(
  ctx: S3Context,
  v: Version,
  mode: LockMode | undefined,
  until: string | undefined,
  bypassGovernance: boolean,
): void {
  const cur = v.retention;
  if (!cur || Date.parse(cur.until) <= ctx.clock.now().getTime()) return;
  const shorter = !until || Date.parse(until) < Date.parse(cur.until);
  const modeChange = mode !== cur.mode;
  if (cur.mode === 'COMPLIANCE' && (shorter || modeChange))
    throw accessDenied('Access Denied because object protected by object lock.');
  if (cur.mode === 'GOVERNANCE' && (shorter || modeChange) && !bypassGovernance)
    throw accessDenied('Access Denied because object protected by object lock.');
}

/** Why a version may not be deleted, or undefined when it may. */
function lockedReason(ctx: S3Context, v: Version, bypassGovernance: boolean): string | undefined {
  if (v.deleteMarker) return undefined;
  if (v.legalHold === 'ON') return 'forbidden by object lock (legal hold)';
  if (v.retention && Date.parse(v.retention.until) > ctx.clock.now().getTime()) {
    if (v.retention.mode === 'COMPLIANCE' || !bypassGovernance)
      return `forbidden by object lock (${v.retention.mode} until ${v.retention.until})`;
  }
  return undefined;
}

/**
 * A delete, as S3 does it: of a version, unless the lock forbids it; without one, on a versioned bucket,
 * a delete marker (allowed even under lock); on an unversioned bucket, the 'null' version goes.
 */
export function removeOrMark(
  ctx: S3Context,
  b: Bucket,
  key: string,
  versionId: string | null,
  bypassGovernance: boolean,
): { versionId?: string; deleteMarker?: boolean } {
  if (versionId) {
    const v = b.objects.get(key)?.find((x) => x.versionId === versionId);
    if (!v) return { versionId }; // deleting a missing version succeeds, as on AWS
    const why = lockedReason(ctx, v, bypassGovernance);
    if (why) throw accessDenied(why);
    ctx.store.removeVersion(b, key, versionId);
    return { versionId, deleteMarker: v.deleteMarker || undefined };
  }
  if (!b.versioning) {
    const nullVersion = b.objects.get(key)?.find((x) => x.versionId === 'null');
    if (nullVersion) ctx.store.removeVersion(b, key, 'null');
    return {};
  }
  const marker: Version = {
    versionId: ctx.store.newVersionId(b),
    deleteMarker: true,
    size: 0,
    etag: '',
    lastModified: ctx.clock.now().toISOString(),
    metadata: {},
  };
  ctx.store.addVersion(b, key, marker);
  return { versionId: marker.versionId, deleteMarker: true };
}
