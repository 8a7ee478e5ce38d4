import type { Finding } from '../../drill/types.js';
import type { Clock } from '../../time/clock.js';
import type { BucketProtection, ObjectStore } from '../object-store.js';

export interface LockPolicy {
  required: boolean;
  minMode: 'GOVERNANCE' | 'COMPLIANCE';
  coverTtl: boolean;
  canary: boolean;
}

export interface AuditBackup {
  name: string;
  phase: string;
  startTimestamp?: string;
  expiration?: string;
}

export interface AuditOptions {
  store: ObjectStore;
  prefix: string;
  /** The backups to check (all of them, or the one asked for); from the cluster or the bucket. */
  backups: AuditBackup[];
  policy: LockPolicy;
  marginSeconds: number;
  rpoSeconds?: number;
  retentionSeconds?: number;
  canary: { enabled: boolean; key: string; retentionSeconds: number };
  replica?: { store: ObjectStore; prefix: string };
  concurrency: number;
  /** What "now" and the audit's own duration are read from; systemClock unless given. */
  clock?: Clock;
  /** A "now" the caller has already read from its clock (the drill's); else the clock is read once. */
  now?: Date;
}

export type BackupSummary = AuditReport['backups'][number];

export interface AuditReport {
  bucket: { name: string; endpoint: string; prefix: string } & BucketProtection;
  backups: {
    name: string;
    phase: string;
    objects: number;
    locked: number;
    unlocked: number;
    legalHolds: number;
    noncurrent: number;
    deleteMarkers: number;
    shortestRetainUntil?: string;
    expiration?: string;
  }[];
  kopia: { objects: number; unlocked: number };
  canary?: { key: string; deleteRefused: boolean };
  replica?: {
    bucket: string;
    endpoint: string;
    missing: number;
    mismatched: number;
    objectLock: boolean;
    versioning: string;
  };
  findings: Finding[];
  stats: { versions: number; requests: number; seconds: number };
}

/** The lock modes in order of strength: COMPLIANCE above GOVERNANCE above none. */
export const rank = (m?: string): number => (m === 'COMPLIANCE' ? 2 : m === 'GOVERNANCE' ? 1 : 0);
