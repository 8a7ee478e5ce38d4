import type { Journal, JournalEntry } from '../drill/journal.js';
import type { CommandRunner } from '../exec/command.js';
import { formatDuration } from '../scenario/duration.js';
import type { Clock } from '../time/clock.js';
import { runStepBlocks, type StepRecord } from './run-steps.js';
import type { Runbook, RunbookStep } from './runbook.js';

/** What the session needs from a terminal: a menu with a live header, a question, and output. */
export interface GuideUi {
  choose(o: {
    header: () => string;
    body: string;
    options: { key: string; label: string; value: string }[];
  }): Promise<string>;
  ask(message: string): Promise<string>;
  write(text: string): void;
}

export interface SessionOptions {
  runbook: Runbook;
  file: string;
  ui: GuideUi;
  exec: CommandRunner;
  clock: Clock;
  journal: Journal;
  env: Record<string, string>;
  /** When the disaster started: the clock counts from it. */
  disasterAt: Date;
  rtoSeconds?: number;
  available: (cmd: string) => boolean;
}

const hms = (s: number): string => {
  const t = Math.max(0, Math.floor(s));
  return `${String(Math.floor(t / 3600)).padStart(2, '0')}:${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
};

/** Steps already ended in the journal (for resume): the last word on each index wins. */
export function stepsFromJournal(entries: JournalEntry[], rb: Runbook): StepRecord[] {
  const out = new Map<number, StepRecord>();
  const started = new Map<number, string>();
  for (const e of entries) {
    const index = e.index as number;
    if (e.event === 'guide-step-started') started.set(index, e.at);
    if (e.event === 'guide-step-ended') {
      const s = rb.steps[index];
      if (s)
        out.set(index, {
          index,
          title: s.title,
          anchor: s.anchor,
          startedAt: started.get(index) ?? e.at,
          endedAt: e.at,
          status: e.status as StepRecord['status'],
          reason: e.reason as string | undefined,
          commands: [],
          notes: [],
        });
    }
    if (e.event === 'guide-note') out.get(index)?.notes?.push(e.text as string);
  }
  return [...out.values()].sort((a, b) => a.index - b.index);
}

/**
 * The guided session: one step at a time with a clock (time since the disaster, time left to the RTO);
 * run the step's commands (output streamed and kept), mark it done, skip it with a reason, add a
 * note, go back, or abort. A failing command offers retry, skip or escalate. Everything is journaled,
 * so `kdrill guide --resume` continues where the operator was.
 */
export async function runGuidedSession(
  o: SessionOptions,
  prior: StepRecord[] = [],
): Promise<{ steps: StepRecord[]; aborted: boolean }> {
  const { runbook: rb, ui, journal, clock } = o;
  const records = new Map<number, StepRecord>(prior.map((p) => [p.index, p]));
  const esc = rb.frontMatter.escalation;
  let i = 0;
  while (i < rb.steps.length && records.has(i)) i++;
  const header = (step: RunbookStep, index: number) => (): string => {
    const since = (clock.now().getTime() - o.disasterAt.getTime()) / 1000;
    const left =
      o.rtoSeconds !== undefined
        ? `  ·  ${hms(o.rtoSeconds - since)} left to the RTO (${formatDuration(o.rtoSeconds)})`
        : '';
    return `Step ${index + 1}/${rb.steps.length}: ${step.title}\n⏱ ${hms(since)} since the disaster${left}`;
  };
  while (i < rb.steps.length) {
    const step = rb.steps[i]!;
    const rec: StepRecord = records.get(i) ?? {
      index: i,
      title: step.title,
      anchor: step.anchor,
      startedAt: clock.now().toISOString(),
      endedAt: '',
      status: 'done',
      commands: [],
      notes: [],
    };
    journal.append('guide-step-started', { index: i, title: step.title }, clock.now());
    const body = [
      step.prose.trim(),
      ...step.blocks.map((b) =>
        b.kind === 'run'
          ? `  $ ${b.text.split('\n').join('\n    ')}${b.external ? '   (external)' : ''}`
          : b.kind === 'expect'
            ? `  expect: /${b.text.trim()}/`
            : `  (for reference) ${b.text.split('\n').join('\n    ')}`,
      ),
    ]
      .filter(Boolean)
      .join('\n');
    const runnable = step.blocks.some((b) => b.kind === 'run');
    const options = [
      ...(runnable ? [{ key: 'r', label: 'run the command(s)', value: 'run' }] : []),
      { key: 'd', label: 'mark done', value: 'done' },
      { key: 's', label: 'skip, with a reason', value: 'skip' },
      { key: 'n', label: 'add a note', value: 'note' },
      ...(i > 0 ? [{ key: 'b', label: 'go back a step', value: 'back' }] : []),
      { key: 'a', label: 'abort the session', value: 'abort' },
    ];
    const end = (status: StepRecord['status'], reason?: string): void => {
      rec.status = status;
      rec.reason = reason;
      rec.endedAt = clock.now().toISOString();
      records.set(i, rec);
      journal.append('guide-step-ended', { index: i, status, reason }, clock.now());
    };
    const action = await ui.choose({ header: header(step, i), body, options });
    if (action === 'abort') {
      journal.append('guide-aborted', { index: i }, clock.now());
      return { steps: [...records.values()].sort((a, b) => a.index - b.index), aborted: true };
    }
    if (action === 'back') {
      journal.append('guide-back', { from: i, to: i - 1 }, clock.now());
      records.delete(i - 1);
      i--;
      continue;
    }
    if (action === 'note') {
      const text = await ui.ask('Note:');
      rec.notes = [...(rec.notes ?? []), text];
      records.set(i, rec);
      journal.append('guide-note', { index: i, text }, clock.now());
      if (!rec.endedAt) records.delete(i);
      continue;
    }
    if (action === 'skip') {
      end('skipped', (await ui.ask('Why skip it?')) || 'no reason given');
      i++;
      continue;
    }
    if (action === 'done') {
      end('done');
      i++;
      continue;
    }
    // run: every runnable block, each followed by its expect
    const outcome = await runStepBlocks(step, i, rec, { ...o, write: (t) => o.ui.write(t) });
    if (outcome.ok) {
      end('done');
      i++;
      continue;
    }
    let next = '';
    while (next !== 'retry' && next !== 'skip' && next !== 'done') {
      next = await ui.choose({
        header: header(step, i),
        body: `✖ ${outcome.reason}`,
        options: [
          { key: 'r', label: 'retry', value: 'retry' },
          { key: 's', label: 'skip, with a reason', value: 'skip' },
          { key: 'e', label: 'escalate', value: 'escalate' },
          { key: 'd', label: 'mark done anyway (fixed by hand)', value: 'done' },
        ],
      });
      if (next === 'escalate') {
        journal.append('guide-escalated', { index: i }, clock.now());
        ui.write(
          `\nEscalate to: ${esc?.contact ?? 'your team lead'}\nRule: ${esc?.rule ?? 'escalate to the team lead, or postpone to business hours'}\n\n`,
        );
      }
    }
    if (next === 'skip') {
      end('skipped', (await ui.ask('Why skip it?')) || outcome.reason);
      i++;
    } else if (next === 'done') {
      end('done', `marked done after: ${outcome.reason}`);
      i++;
    }
  }
  return { steps: [...records.values()].sort((a, b) => a.index - b.index), aborted: false };
}
