import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DrillError, ExitCode } from '../errors.js';
import { systemClock } from '../time/clock.js';

export interface JournalEntry {
  at: string;
  event: string;
  /** SHA-256 of the previous record's line: the journal is a hash chain, so an edit shows. */
  prev?: string;
  [k: string]: unknown;
}

/** What reading the journal found beyond its records: a last line a crash cut short, and where the chain breaks. */
export interface JournalCheck {
  entries: JournalEntry[];
  /** The last line was cut mid-write (a crash): it is not a record, and it is dropped before the next append. */
  torn?: { line: number; bytes: number };
  /** The first record whose `prev` does not match the record before it (1-based line), if any. */
  chainBrokenAt?: number;
}

export const lineHash = (line: string): string => createHash('sha256').update(line).digest('hex');

/**
 * journal.jsonl in the report dir: every phase transition is written (and synced) before kdrill acts
 * on it, so `kdrill resume` knows exactly what was done. One record per line, each written with one
 * write and an fsync; each carries the hash of the line before it. A last line cut by a crash is
 * detected and truncated before anything is appended; a bad line in the middle stops resume (exit 2).
 * Secrets never go in here.
 */
export class Journal {
  readonly file: string;
  private lastHash?: string;
  private checked = false;

  constructor(dir: string) {
    this.file = join(dir, 'journal.jsonl');
  }

  append(event: string, data: Record<string, unknown> = {}, at: Date = systemClock.now()): void {
    if (!this.checked) this.repair();
    const line = JSON.stringify({ at: at.toISOString(), event, ...data, prev: this.lastHash ?? '' });
    const buf = Buffer.from(`${line}\n`);
    const fd = openSync(this.file, 'a');
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.lastHash = lineHash(line);
  }

  exists(): boolean {
    return existsSync(this.file);
  }

  read(): JournalEntry[] {
    return this.check().entries;
  }

  /**
   * Reads every record and says what else it found. A line that does not parse anywhere but at the
   * end is not a crash but damage: that throws (exit 2), as resuming from it could repeat a disaster.
   */
  check(): JournalCheck {
    if (!this.exists()) return { entries: [] };
    const text = readFileSync(this.file, 'utf8');
    const lines = text.split('\n');
    const complete = text.endsWith('\n') || text === '';
    const last = lines.pop() ?? '';
    const out: JournalCheck = { entries: [] };
    let prev = '';
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      let e: JournalEntry;
      try {
        e = JSON.parse(line) as JournalEntry;
        if (typeof e !== 'object' || e === null || typeof e.event !== 'string' || typeof e.at !== 'string')
          throw new Error('not a record');
      } catch {
        throw new DrillError('JOURNAL_DAMAGED', `${this.file} line ${i + 1} is not a journal record`, ExitCode.Usage, {
          hint: 'the journal was edited or damaged; resuming from it could repeat a disaster. Look at the line; start a new drill with kdrill run',
        });
      }
      if (out.chainBrokenAt === undefined && e.prev !== undefined && e.prev !== prev) out.chainBrokenAt = i + 1;
      prev = lineHash(line);
      out.entries.push(e);
    });
    if (!complete && last) {
      // the last line has no newline: a record is either whole (the crash came after the write) or torn
      try {
        const e = JSON.parse(last) as JournalEntry;
        if (out.chainBrokenAt === undefined && e.prev !== undefined && e.prev !== prev)
          out.chainBrokenAt = lines.length + 1;
        out.entries.push(e);
        prev = lineHash(last);
      } catch {
        out.torn = { line: lines.length + 1, bytes: Buffer.byteLength(last) };
      }
    }
    return out;
  }

  /** Drops a torn last line (a crash mid-write) so the next record starts on a line of its own; returns what was dropped. */
  repair(): JournalCheck['torn'] {
    this.checked = true;
    if (!this.exists()) return undefined;
    const c = this.check();
    const size = Buffer.byteLength(readFileSync(this.file, 'utf8'));
    if (c.torn) {
      const fd = openSync(this.file, 'r+');
      try {
        ftruncateSync(fd, size - c.torn.bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } else if (size > 0 && !readFileSync(this.file, 'utf8').endsWith('\n')) {
      // a whole record without its newline: end its line before the next one
      const fd = openSync(this.file, 'a');
      try {
        writeSync(fd, '\n');
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    const lines = readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((l) => l.trim());
    this.lastHash = lines.length ? lineHash(lines[lines.length - 1]!) : undefined;
    return c.torn;
  }
}
