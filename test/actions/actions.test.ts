import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { githubIssue, markdownChecklist } from '../../src/actions/export.js';
import { DirActionLog, S3ActionLog, parseEvent } from '../../src/actions/log.js';
import { openActionItems } from '../../src/actions/open.js';
import { closeAction, readActions } from '../../src/actions/service.js';
import { dueDate, trackActionItems } from '../../src/actions/track.js';
import type { ActionEvent, CarriedActionItem } from '../../src/actions/types.js';
import type { ActionItem } from '../../src/drill/types.js';
import { recordOf } from '../../src/history/record.js';
import { DirHistory, S3History } from '../../src/history/store.js';
import { retrospective } from '../../src/report/retrospective.js';
import { FakeObjectStore } from '../support/fakes/fake-object-store.js';
import { sampleResult } from '../support/evidence.js';

const tmp = (p: string) => mkdtemp(join(tmpdir(), p));
const GAP: ActionItem = { severity: 'P2', code: 'BACKUP_SCOPE_GAP', object: 'nightly-1', action: 'include them' };
const LOCK: ActionItem = { severity: 'P1', code: 'LOCK_NOT_ENFORCED', action: 'enable Object Lock' };
const ended = new Date('2026-12-01T02:00:20Z');

function track(items: ActionItem[], runId: string, open: CarriedActionItem[] = [], requiredEverySeconds?: number) {
  return trackActionItems(items, {
    runId,
    startedAt: '2026-12-01T02:00:00.000Z',
    endedAt: ended,
    owner: 'on-call platform engineer',
    open,
    requiredEverySeconds,
  });
}

/** A run of namespace-loss in the history that raised `items` (tracked as the drill would track them). */
function runRecord(runId: string, startedAt: string, items: ActionItem[], open: CarriedActionItem[] = []) {
  const t = track(items, runId, open);
  return recordOf(sampleResult({ runId, startedAt, actionItems: t.items, carriedOver: t.carriedOver }));
}

describe('action items that live', () => {
  it('each gets an id, the drill leader as owner, and a due date by severity (never after the next required drill)', () => {
    const t = track([GAP, LOCK], 'a1b2c3d4');
    expect(t.items).toEqual([
      {
        ...GAP,
        id: 'a1b2c3d4-1',
        owner: 'on-call platform engineer',
        due: '2026-12-31',
        raisedIn: 'a1b2c3d4',
        raisedAt: '2026-12-01T02:00:00.000Z',
      },
      {
        ...LOCK,
        id: 'a1b2c3d4-2',
        owner: 'on-call platform engineer',
        due: '2026-12-08',
        raisedIn: 'a1b2c3d4',
        raisedAt: '2026-12-01T02:00:00.000Z',
      },
    ]);
    expect(dueDate('P2', ended, 14 * 86400)).toBe('2026-12-15');
    expect(dueDate('P3', ended)).toBe('2027-03-01');
    expect(dueDate('P1', ended, 3600)).toBe('2026-12-02'); // a day at least
  });

  it('a problem still open is the same item when it comes back; what was not raised again is carried over', () => {
    const first = track([GAP, LOCK], 'run1');
    const open = first.items.map((a) => ({ ...a, scenario: 'namespace-loss', seenIn: ['run1'] }));
    const again = trackActionItems([GAP], {
      runId: 'run2',
      startedAt: '2026-12-20T02:00:00.000Z',
      endedAt: new Date('2026-12-20T02:00:20Z'),
      owner: 'someone else',
      open,
    });
    expect(again.items).toEqual([
      {
        ...GAP,
        id: 'run1-1',
        owner: 'on-call platform engineer',
        due: '2026-12-31',
        raisedIn: 'run1',
        raisedAt: '2026-12-01T02:00:00.000Z',
      },
    ]);
    expect(again.carriedOver.map((a) => a.id)).toEqual(['run1-2']);
    // the same code about another object is another problem
    const other = track([{ ...GAP, object: 'nightly-2' }], 'run3', open);
    expect(other.items[0]!.id).toBe('run3-1');
  });

  it('open items come from the history; closed ones are gone; one item raised twice is one item', () => {
    const r1 = runRecord('run1', '2026-12-01T02:00:00.000Z', [GAP, LOCK]);
    const open1 = openActionItems([r1], []);
    const r2 = runRecord('run2', '2026-12-05T02:00:00.000Z', [GAP], open1);
    const open = openActionItems([r1, r2], []);
    expect(open.map((a) => [a.id, a.seenIn])).toEqual([
      ['run1-1', ['run1', 'run2']],
      ['run1-2', ['run1']],
    ]);
    const closed: ActionEvent = {
      v: 1,
      event: 'closed',
      id: 'run1-2',
      scenario: 'namespace-loss',
      at: '2026-12-06T00:00:00Z',
      by: 'kim',
      note: 'locked',
    };
    expect(openActionItems([r1, r2], [closed]).map((a) => a.id)).toEqual(['run1-1']);
    expect(openActionItems([r1, r2], [], 'other-scenario')).toEqual([]);
    // a record another tool wrote, with junk for items, holds none
    expect(openActionItems([{ ...r1, actionItems: [{ id: 1 }] as unknown as [] }], [])).toEqual([]);
  });

  it('kdrill actions close records the closing in the history; only an open item closes, and it needs a note', async () => {
    const h = await tmp('kdrill-actions-');
    const store = new DirHistory(h);
    await store.append(runRecord('run1', '2026-12-01T02:00:00.000Z', [GAP, LOCK]));
    const now = new Date('2026-12-10T09:00:00Z');
    await expect(closeAction({ history: h }, 'run1-2', { by: 'kim', note: '  ', now })).rejects.toThrow(
      /--note is empty/,
    );
    await expect(closeAction({ history: h }, 'nope-1', { by: 'kim', note: 'x', now })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/no open action item nope-1/),
    });
    const r = await closeAction({ history: h }, 'run1-2', { by: 'kim', note: 'bucket locked (COMPLIANCE 31d)', now });
    expect(r.item.code).toBe('LOCK_NOT_ENFORCED');
    const lines = (await readFile(join(h, 'actions.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => parseEvent(l))).toEqual([
      {
        v: 1,
        event: 'closed',
        id: 'run1-2',
        scenario: 'namespace-loss',
        at: now.toISOString(),
        by: 'kim',
        note: 'bucket locked (COMPLIANCE 31d)',
      },
    ]);
    const st = await readActions({ history: h }, 'namespace-loss');
    expect(st.open.map((a) => a.id)).toEqual(['run1-1']);
    expect(st.closed.map((c) => [c.item.id, c.closed.by])).toEqual([['run1-2', 'kim']]);
    await expect(closeAction({ history: h }, 'run1-2', { by: 'kim', note: 'again', now })).rejects.toThrow(
      /already closed on 2026-12-10T09:00:00.000Z by kim/,
    );
    // the history itself still reads as before: the action log is a file of its own
    expect((await store.list()).map((x) => x.runId)).toEqual(['run1']);
  });

  it('in an s3:// history the closings are objects under <prefix>_actions/, apart from every scenario', async () => {
    const s3 = new FakeObjectStore({ bucket: 'drills' });
    const loc = { bucket: 'drills', prefix: 'kdrill/' };
    const history = new S3History(s3, loc);
    await history.append(runRecord('run1', '2026-12-01T02:00:00.000Z', [GAP]));
    const log = new S3ActionLog(s3, loc);
    const e: ActionEvent = {
      v: 1,
      event: 'closed',
      id: 'run1-1',
      scenario: 'namespace-loss',
      at: '2026-12-02T00:00:00.000Z',
      by: 'kim',
      note: 'done',
    };
    await log.append(e);
    expect(log.where).toBe('s3://drills/kdrill/_actions/');
    expect(await log.list()).toEqual([e]);
    expect((await history.list()).map((r) => r.runId)).toEqual(['run1']);
    expect(openActionItems(await history.list(), await log.list())).toEqual([]);
    // a directory log of a history that never closed anything is empty, not an error
    expect(await new DirActionLog(await tmp('kdrill-actions-')).list()).toEqual([]);
  });

  it('export: GitHub issue bodies and a Markdown checklist', () => {
    const r1 = runRecord('run1', '2026-12-01T02:00:00.000Z', [GAP, LOCK]);
    const open = openActionItems([r1], []);
    const issue = githubIssue(open[0]!);
    expect(issue.title).toBe('[P2] namespace-loss: BACKUP_SCOPE_GAP (nightly-1)');
    expect(issue.labels).toEqual(['kdrill', 'dr-drill', 'P2']);
    expect(issue.body).toMatch(/\*\*What to do:\*\* `nightly-1`: include them/);
    expect(issue.body).toMatch(/\| Owner \| on-call platform engineer \|/);
    expect(issue.body).toMatch(/\| Due \| 2026-12-31 \|/);
    expect(issue.body).toMatch(/kdrill actions close run1-1 --note/);
    const closed = [
      {
        item: open[1]!,
        closed: {
          v: 1 as const,
          event: 'closed' as const,
          id: 'run1-2',
          scenario: 'namespace-loss',
          at: '2026-12-03T00:00:00Z',
          by: 'kim',
          note: 'locked',
        },
      },
    ];
    expect(markdownChecklist([open[0]!], closed)).toBe(
      [
        '# Drill action items',
        '',
        '## namespace-loss',
        '',
        '- [ ] **P2** `run1-1` `nightly-1`: include them (owner on-call platform engineer, due 2026-12-31, from run run1)',
        '- [x] **P1** `run1-2` enable Object Lock (closed 2026-12-03 by kim: locked)',
        '',
      ].join('\n'),
    );
    expect(markdownChecklist([])).toMatch(/None open/);
  });

  it('the retrospective lists each item with id, owner and due date, and what is carried over from which run', () => {
    const first = track([GAP, LOCK], 'run1');
    const open = first.items.map((a) => ({ ...a, scenario: 'namespace-loss', seenIn: ['run1'] }));
    const t = trackActionItems([GAP], {
      runId: 'run2',
      startedAt: '2027-01-05T02:00:00.000Z',
      endedAt: new Date('2027-01-05T02:00:20Z'),
      owner: 'x',
      open,
    });
    const retro = retrospective(
      sampleResult({
        runId: 'run2',
        startedAt: '2027-01-05T02:00:00.000Z',
        actionItems: t.items,
        carriedOver: t.carriedOver,
      }),
    );
    expect(retro).toContain(
      '- [ ] **P2** `nightly-1`: include them · `run1-1` · owner on-call platform engineer · due 2026-12-31, open since run run1 (2026-12-01)',
    );
    expect(retro).toContain('## Carried over from earlier runs (1)');
    expect(retro).toContain(
      '- [ ] **P1** `run1-2` LOCK_NOT_ENFORCED: enable Object Lock · owner on-call platform engineer · due 2026-12-08 · **overdue** (carried over from run run1, 2026-12-01)',
    );
    expect(retrospective(sampleResult())).not.toContain('Carried over');
  });
});
