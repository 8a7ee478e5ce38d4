import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, lineHash } from '../../src/drill/journal.js';
import { stateFromJournal } from '../../src/drill/state.js';
import { isDrillError } from '../../src/errors.js';

const fresh = () => new Journal(mkdtempSync(join(tmpdir(), 'kdrill-journal-')));
const lines = (j: Journal) => readFileSync(j.file, 'utf8').split('\n').filter(Boolean);

describe('journal.jsonl: one synced record per line, hash-chained, and crash-safe', () => {
  it('chains each record to the one before it', () => {
    const j = fresh();
    j.append('run-started', { runId: 'r1' }, new Date('2026-12-01T00:00:00Z'));
    j.append('phase-started', { phase: 'preflight' });
    j.append('phase-ended', { phase: 'preflight', ok: true });
    const l = lines(j);
    expect(JSON.parse(l[0]!).prev).toBe('');
    expect(JSON.parse(l[1]!).prev).toBe(lineHash(l[0]!));
    expect(JSON.parse(l[2]!).prev).toBe(lineHash(l[1]!));
    expect(j.check()).toEqual({ entries: expect.any(Array) });
    // a new Journal on the same file goes on with the chain
    const again = new Journal(join(j.file, '..'));
    again.append('note', { text: 'x' });
    expect(JSON.parse(lines(again)[3]!).prev).toBe(lineHash(l[2]!));
  });

  it('notices an edited record: the chain breaks at the record after it', () => {
    const j = fresh();
    for (const e of ['run-started', 'inject-started', 'inject-done', 'recover-done']) j.append(e);
    const l = lines(j);
    l[1] = l[1]!.replace('inject-started', 'inject-startex');
    writeFileSync(j.file, `${l.join('\n')}\n`);
    expect(j.check().chainBrokenAt).toBe(3);
  });

  it('drops a last line a crash cut short, before it appends, and keeps everything before it', () => {
    const j = fresh();
    j.append('run-started', { runId: 'r1' });
    j.append('phase-started', { phase: 'recover' });
    appendFileSync(j.file, '{"at":"2026-12-01T00:00:01.000Z","event":"restore-crea');
    const c = j.check();
    expect(c.torn).toEqual({
      line: 3,
      bytes: Buffer.byteLength('{"at":"2026-12-01T00:00:01.000Z","event":"restore-crea'),
    });
    expect(c.entries.map((e) => e.event)).toEqual(['run-started', 'phase-started']);
    const again = new Journal(join(j.file, '..'));
    again.append('resumed');
    const l = lines(again);
    expect(l.map((x) => JSON.parse(x).event)).toEqual(['run-started', 'phase-started', 'resumed']);
    expect(JSON.parse(l[2]!).prev).toBe(lineHash(l[1]!));
    expect(again.check()).toEqual({ entries: expect.any(Array) });
  });

  it('a whole last record without its newline is kept, and the next starts on its own line', () => {
    const j = fresh();
    j.append('run-started');
    const full = JSON.stringify({
      at: '2026-12-01T00:00:02.000Z',
      event: 'note',
      text: 'x',
      prev: lineHash(lines(j)[0]!),
    });
    appendFileSync(j.file, full);
    const again = new Journal(join(j.file, '..'));
    again.append('resumed');
    expect(lines(again).map((x) => JSON.parse(x).event)).toEqual(['run-started', 'note', 'resumed']);
    expect(again.check().chainBrokenAt).toBeUndefined();
  });

  it('refuses a damaged line in the middle (exit 2): resuming from it could repeat a disaster', () => {
    const j = fresh();
    j.append('run-started');
    appendFileSync(j.file, 'garbage\n');
    j.append('inject-done');
    let err: unknown;
    try {
      j.check();
    } catch (e) {
      err = e;
    }
    expect(isDrillError(err) && err.code === 'JOURNAL_DAMAGED' && err.exitCode === 2).toBe(true);
  });

  it('a torn record after a verified recovery leaves the run verified: resume has nothing to repeat', () => {
    const j = fresh();
    j.append('run-started', { runId: 'r1' });
    j.append('inject-started');
    j.append('inject-step-done', { index: 0, type: 'delete-namespace', detail: 'd' });
    j.append('inject-done');
    j.append('recover-done');
    j.append('verify-done', {
      records: [{ type: 'inventory', passed: true, detail: '', at: '' }],
      passedAt: '2026-12-01T00:01:00.000Z',
    });
    appendFileSync(j.file, '{"at":"2026-12-01T00:01:01.000Z","event":"run-en');
    const s = stateFromJournal(j)!;
    expect(s.verify?.passedAt).toBe('2026-12-01T00:01:00.000Z');
    expect(s.injectDone).toBe(true);
  });
});
