import { statSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectStore } from '../backupstore/object-store.js';
import { usageError } from '../errors.js';
import { parseRecord, type HistoryRecord } from './record.js';
import { makeDir } from '../fs/make-dir.js';

/** Where past drills are remembered: a local directory, or a prefix in S3. */
export interface HistoryStore {
  readonly where: string;
  append(r: HistoryRecord): Promise<void>;
  /** Every record, oldest first. */
  list(scenario?: string): Promise<HistoryRecord[]>;
}

export type HistoryLocation = { kind: 'dir'; dir: string } | { kind: 's3'; bucket: string; prefix: string };

// Velero owns these top-level folders of a BSL (velero-facts.md): history must never land among them,
// where Velero's sync or garbage collection would trip over it
const VELERO_FOLDERS = new Set(['backups', 'restores', 'kopia', 'restic', 'metadata', 'plugins']);

/** A directory history must be a directory, holding history.jsonl as a file if it holds one at all. */
function checkDir(spec: string): void {
  const st = statSync(spec, { throwIfNoEntry: false });
  if (st && !st.isDirectory())
    throw usageError(
      `--history ${spec} is a file, not a directory`,
      'give the directory the runs are recorded in (default drill-reports/history), or s3://bucket/prefix',
    );
  const file = statSync(join(spec, 'history.jsonl'), { throwIfNoEntry: false });
  if (file && !file.isFile())
    throw usageError(
      `--history ${spec} holds a history.jsonl that is not a file`,
      'that is not a kdrill history: give another directory',
    );
}

/** `s3://bucket/prefix` or a directory. */
export function parseHistoryLocation(spec: string): HistoryLocation {
  if (!spec.startsWith('s3://')) {
    checkDir(spec);
    return { kind: 'dir', dir: spec };
  }
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(spec);
  if (!m)
    throw usageError(
      `--history ${spec} is not s3://bucket/prefix`,
      'e.g. --history s3://drill-history/kdrill (a bucket name is 3-63 lowercase letters, digits, dots and dashes)',
    );
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (!prefix)
    throw usageError(
      `--history ${spec} has no prefix`,
      'give a prefix of its own, e.g. s3://bucket/kdrill-history, so history never mixes with backups',
    );
  const clash = prefix.split('/').find((seg) => VELERO_FOLDERS.has(seg));
  if (clash)
    throw usageError(
      `--history ${spec} is inside Velero's "${clash}/" folder`,
      "use a prefix outside Velero's folders (backups/, restores/, kopia/, restic/, metadata/, plugins/), e.g. s3://bucket/kdrill-history",
    );
  return { kind: 's3', bucket: m[1]!, prefix: `${prefix}/` };
}

/**
 * Whether an s3:// history sits where a BackupStorageLocation's Velero would see it as a top-level
 * directory of its own (it then marks the BSL Unavailable: "Backup store contains invalid top-level
 * directories"). Velero owns the whole BSL prefix: history belongs in another bucket, or outside the prefix.
 */
export function historyInsideBsl(loc: HistoryLocation, bsl: { bucket: string; prefix: string }): boolean {
  if (loc.kind !== 's3' || loc.bucket !== bsl.bucket) return false;
  const p = bsl.prefix.replace(/^\/+|\/+$/g, '');
  return p === '' || loc.prefix === `${p}/` || loc.prefix.startsWith(`${p}/`);
}

/** A JSON line per drill in `<dir>/history.jsonl`: appends are atomic for lines this short. */
export class DirHistory implements HistoryStore {
  readonly where: string;
  private readonly file: string;

  constructor(dir: string) {
    this.where = dir;
    this.file = join(dir, 'history.jsonl');
  }

  async append(r: HistoryRecord): Promise<void> {
    await makeDir(this.where, 'the history directory');
    await appendFile(this.file, `${JSON.stringify(r)}\n`);
  }

  async list(scenario?: string): Promise<HistoryRecord[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return sortAndFilter(text.split('\n').filter(Boolean).map(parseRecord), scenario);
  }
}

/**
 * One object per drill under `<prefix><scenario>/`: S3 has no append, and separate objects never race
 * when two clusters drill at once. The key sorts by start time.
 */
export class S3History implements HistoryStore {
  readonly where: string;
  private readonly store: ObjectStore;
  private readonly prefix: string;

  constructor(store: ObjectStore, loc: { bucket: string; prefix: string }) {
    this.store = store;
    this.prefix = loc.prefix;
    this.where = `s3://${loc.bucket}/${loc.prefix}`;
  }

  async append(r: HistoryRecord): Promise<void> {
    const key = `${this.prefix}${encodeURIComponent(r.scenario)}/${r.startedAt.replace(/[:.]/g, '')}-${r.runId}.json`;
    await this.store.put(key, `${JSON.stringify(r)}\n`, { contentType: 'application/json' });
  }

  async list(scenario?: string): Promise<HistoryRecord[]> {
    const under = scenario ? `${this.prefix}${encodeURIComponent(scenario)}/` : this.prefix;
    const keys: string[] = [];
    for await (const o of this.store.list(under)) if (o.key.endsWith('.json')) keys.push(o.key);
    const texts = await Promise.all(keys.map(async (k) => (await this.store.get(k))?.toString('utf8') ?? ''));
    return sortAndFilter(texts.map(parseRecord), scenario);
  }
}

function sortAndFilter(records: (HistoryRecord | undefined)[], scenario?: string): HistoryRecord[] {
  return records
    .filter((r): r is HistoryRecord => !!r && (!scenario || r.scenario === scenario))
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}
