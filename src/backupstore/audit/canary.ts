import type { Finding } from '../../drill/types.js';
import type { BucketProtection, ObjectStore } from '../object-store.js';
import type { AuditOptions, AuditReport } from './types.js';

/**
 * Writes a canary locked until `now` plus its retention, then tries to delete that version: a store
 * that lets the delete through does not enforce Object Lock, whatever its settings say.
 */
export async function lockCanary(
  store: ObjectStore,
  canary: AuditOptions['canary'],
  p: BucketProtection,
  now: Date,
): Promise<{ canary: NonNullable<AuditReport['canary']>; findings: Finding[]; requests: number }> {
  const put = await store.put(canary.key, `kdrill lock canary ${now.toISOString()}\n`, {
    retention: {
      mode: p.defaultRetention?.mode ?? 'GOVERNANCE',
      until: new Date(now.getTime() + canary.retentionSeconds * 1000),
    },
  });
  const outcome = put.versionId ? await store.deleteVersion(canary.key, put.versionId) : 'deleted';
  const findings: Finding[] = [];
  if (outcome !== 'refused')
    findings.push({
      severity: 'P1',
      code: 'LOCK_NOT_ENFORCED',
      key: canary.key,
      message: `the locked canary ${canary.key} could be deleted: this store does not enforce Object Lock`,
      fix: 'use a store that enforces Object Lock, and check its configuration',
    });
  return { canary: { key: canary.key, deleteRefused: outcome === 'refused' }, findings, requests: 2 };
}
