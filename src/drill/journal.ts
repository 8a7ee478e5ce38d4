import { appendFileSync, existsSync, fsyncSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface JournalEntry {
  at: string;
  event: string;
  [k: string]: unknown;
}

/**
 * journal.jsonl in the report dir: every phase transition is written (and synced) before kdrill acts
 * on it, so `kdrill resume` knows exactly what was done. Secrets never go in here.
 */
export class Journal {
  readonly file: string;

  constructor(dir: string) {
    this.file = join(dir, 'journal.jsonl');
  }

  append(event: string, data: Record<string, unknown> = {}, at = new Date()): void {
    const fd = openSync(this.file, 'a');
    try {
      appendFileSync(fd, `${JSON.stringify({ at: at.toISOString(), event, ...data })}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  exists(): boolean {
    return existsSync(this.file);
  }

  read(): JournalEntry[] {
    if (!this.exists()) return [];
    const out: JournalEntry[] = [];
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as JournalEntry);
      } catch {
        // a line cut by a crash mid-write: everything before it is still good
        break;
      }
    }
    return out;
  }
}
