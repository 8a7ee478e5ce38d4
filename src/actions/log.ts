import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectStore } from '../backupstore/object-store.js';
import { historyObjectStore, type HistoryOptions } from '../history/open.js';
import { parseHistoryLocation } from '../history/store.js';
import type { ActionEvent } from './types.js';
import { makeDir } from '../fs/make-dir.js';

/** Where closed action items are recorded: beside the history, in the same directory or bucket. */
export interface ActionLog {
  readonly where: string;
  append(e: ActionEvent): Promise<void>;
  /** Every event, oldest first. */
  list(): Promise<ActionEvent[]>;
}

/** Parses a stored event; anything else (a bad line, another tool's object) is not one. */
export function parseEvent(text: string): ActionEvent | undefined {
  try {
    const e = JSON.parse(text) as Partial<ActionEvent>;
    const ok =
      e.v === 1 &&
      e.event === 'closed' &&
      [e.id, e.scenario, e.at, e.by, e.note].every((x) => typeof x === 'string') &&
      !Number.isNaN(Date.parse(e.at!));
    return ok ? (e as ActionEvent) : undefined;
  } catch {
    return undefined;
  }
}

const sorted = (xs: (ActionEvent | undefined)[]): ActionEvent[] =>
  xs.filter((e): e is ActionEvent => !!e).sort((a, b) => a.at.localeCompare(b.at));

/** `<dir>/actions.jsonl`, next to history.jsonl. */
export class DirActionLog implements ActionLog {
  readonly where: string;
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    this.where = join(dir, 'actions.jsonl');
  }

  async append(e: ActionEvent): Promise<void> {
    await makeDir(this.dir, 'the action items directory');
    await appendFile(this.where, `${JSON.stringify(e)}\n`);
  }

  async list(): Promise<ActionEvent[]> {
    const text = await readFile(this.where, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw e;
    });
    return sorted(text.split('\n').filter(Boolean).map(parseEvent));
  }
}

/**
 * One object per event under `<prefix>_actions/`: a scenario name is a DNS label, so no scenario's
 * folder of the history can ever be called that.
 */
export class S3ActionLog implements ActionLog {
  readonly where: string;
  private readonly store: ObjectStore;
  private readonly prefix: string;

  constructor(store: ObjectStore, loc: { bucket: string; prefix: string }) {
    this.store = store;
    this.prefix = `${loc.prefix}_actions/`;
    this.where = `s3://${loc.bucket}/${this.prefix}`;
  }

  async append(e: ActionEvent): Promise<void> {
    const key = `${this.prefix}${e.at.replace(/[:.]/g, '')}-${encodeURIComponent(e.id)}.json`;
    await this.store.put(key, `${JSON.stringify(e)}\n`, { contentType: 'application/json' });
  }

  async list(): Promise<ActionEvent[]> {
    const keys: string[] = [];
    for await (const o of this.store.list(this.prefix)) if (o.key.endsWith('.json')) keys.push(o.key);
    const texts = await Promise.all(keys.map(async (k) => (await this.store.get(k))?.toString('utf8') ?? ''));
    return sorted(texts.map(parseEvent));
  }
}

/** The action log of a history location; none when there is no history. */
export function openActionLog(o: HistoryOptions): ActionLog | undefined {
  if (o.history === false || o.history === undefined) return undefined;
  const loc = parseHistoryLocation(o.history);
  if (loc.kind === 'dir') return new DirActionLog(loc.dir);
  return new S3ActionLog(historyObjectStore(o, loc), loc);
}
