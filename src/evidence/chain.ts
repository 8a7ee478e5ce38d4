import { lineHash } from '../drill/journal.js';

/** What the journal's hash chain says: how many records, its head, and the first record that does not follow. */
export interface ChainCheck {
  records: number;
  /** SHA-256 of the last whole record's line: a record appended, removed or changed at the end changes it. */
  head: string;
  brokenAt?: { record: number; event?: string; at?: string; why: string };
  /** A last line cut short by a crash (not a record). */
  torn?: boolean;
}

interface Parsed {
  event?: unknown;
  at?: unknown;
  prev?: unknown;
}

function parse(line: string): Parsed | undefined {
  try {
    const e = JSON.parse(line) as Parsed;
    return typeof e === 'object' && e !== null && typeof e.event === 'string' ? e : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks journal.jsonl's chain (issue I: each record carries the SHA-256 of the line before it) over its
 * text, wherever it is: a run directory or a pack. Record numbers are line numbers, as `resume` says them.
 */
export function checkChain(text: string): ChainCheck {
  const lines = text.split('\n');
  const last = text.endsWith('\n') ? undefined : lines.pop();
  const out: ChainCheck = { records: 0, head: '' };
  let prev = '';
  const visit = (line: string, n: number, isLast: boolean): void => {
    const e = parse(line);
    if (!e) {
      if (isLast) out.torn = true;
      else out.brokenAt ??= { record: n, why: 'it is not a journal record' };
      return;
    }
    if (e.prev !== undefined && e.prev !== prev)
      out.brokenAt ??= {
        record: n,
        event: String(e.event),
        at: typeof e.at === 'string' ? e.at : undefined,
        why: n === 1 ? 'the first record names a record before it' : `it does not follow from record ${n - 1}`,
      };
    prev = lineHash(line);
    out.records++;
    out.head = prev;
  };
  lines.forEach((line, i) => {
    if (line.trim()) visit(line, i + 1, false);
  });
  if (last?.trim()) visit(last, lines.length + 1, true);
  return out;
}

export function describeBreak(c: ChainCheck): string | undefined {
  const b = c.brokenAt;
  if (!b) return undefined;
  const what = b.event ? ` (${b.event}${b.at ? ` at ${b.at}` : ''})` : '';
  return `the hash chain breaks at record ${b.record}${what}: ${b.why}; it or the record before it was changed`;
}
