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

type Choice = { key: string; label: string; value: string };

/** A step as the menu shows it: its prose, then each block. */
function stepBody(step: RunbookStep): string {
  return [
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
}

function stepChoices(step: RunbookStep, index: number): Choice[] {
  const runnable = step.blocks.some((b) => b.kind === 'run');
  return [
    ...(runnable ? [{ key: 'r', label: 'run the command(s)', value: 'run' }] : []),
    { key: 'd', label: 'mark done', value: 'done' },
    { key: 's', label: 'skip, with a reason', value: 'skip' },
    { key: 'n', label: 'add a note', value: 'note' },
    ...(index > 0 ? [{ key: 'b', label: 'go back a step', value: 'back' }] : []),
    { key: 'a', label: 'abort the session', value: 'abort' },
  ];
}

const FAILURE_CHOICES: Choice[] = [
  { key: 'r', label: 'retry', value: 'retry' },
  { key: 's', label: 'skip, with a reason', value: 'skip' },
  { key: 'e', label: 'escalate', value: 'escalate' },
  { key: 'd', label: 'mark done anyway (fixed by hand)', value: 'done' },
];

/** Where the operator is in the runbook, and what each step came to. */
class GuidedSession {
  private readonly o: SessionOptions;
  private readonly records: Map<number, StepRecord>;
  private i = 0;

  constructor(o: SessionOptions, prior: StepRecord[]) {
    this.o = o;
    this.records = new Map<number, StepRecord>(prior.map((p) => [p.index, p]));
    while (this.i < o.runbook.steps.length && this.records.has(this.i)) this.i++;
  }

  async run(): Promise<{ steps: StepRecord[]; aborted: boolean }> {
    while (this.i < this.o.runbook.steps.length) {
      if ((await this.visit(this.o.runbook.steps[this.i]!)) === 'abort') return this.result(true);
    }
    return this.result(false);
  }

  private result(aborted: boolean): { steps: StepRecord[]; aborted: boolean } {
    return { steps: [...this.records.values()].sort((a, b) => a.index - b.index), aborted };
  }

  /** The live header: time since the disaster, and time left to the RTO. */
  private header(step: RunbookStep, index: number): () => string {
    const { clock, disasterAt, rtoSeconds } = this.o;
    return () => {
      const since = (clock.now().getTime() - disasterAt.getTime()) / 1000;
      const left =
        rtoSeconds !== undefined
          ? `  ·  ${hms(rtoSeconds - since)} left to the RTO (${formatDuration(rtoSeconds)})`
          : '';
      return `Step ${index + 1}/${this.o.runbook.steps.length}: ${step.title}\n⏱ ${hms(since)} since the disaster${left}`;
    };
  }

  /** One menu on the current step, and what the operator chose there. */
  private async visit(step: RunbookStep): Promise<'abort' | undefined> {
    const { clock, journal, ui } = this.o;
    const i = this.i;
    const rec: StepRecord = this.records.get(i) ?? {
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
    const action = await ui.choose({
      header: this.header(step, i),
      body: stepBody(step),
      options: stepChoices(step, i),
    });
    if (action === 'abort') {
      journal.append('guide-aborted', { index: i }, clock.now());
      return 'abort';
    }
    if (action === 'back') {
      journal.append('guide-back', { from: i, to: i - 1 }, clock.now());
      this.records.delete(i - 1);
      this.i--;
    } else if (action === 'note') await this.note(rec);
    else if (action === 'skip') this.end(rec, 'skipped', (await ui.ask('Why skip it?')) || 'no reason given');
    else if (action === 'done') this.end(rec, 'done');
    else await this.runCommands(step, rec);
    return undefined;
  }

  /** Ends the current step and moves to the next. */
  private end(rec: StepRecord, status: StepRecord['status'], reason?: string): void {
    const { clock, journal } = this.o;
    rec.status = status;
    rec.reason = reason;
    rec.endedAt = clock.now().toISOString();
    this.records.set(this.i, rec);
    journal.append('guide-step-ended', { index: this.i, status, reason }, clock.now());
    this.i++;
  }

  /** A note on the step, journaled; the step itself stays where it was (unended unless it had ended). */
  private async note(rec: StepRecord): Promise<void> {
    const text = await this.o.ui.ask('Note:');
    rec.notes = [...(rec.notes ?? []), text];
    this.records.set(this.i, rec);
    this.o.journal.append('guide-note', { index: this.i, text }, this.o.clock.now());
    if (!rec.endedAt) this.records.delete(this.i);
  }

  /** Every runnable block, each followed by its expect; a failure offers retry, skip, escalate or done. */
  private async runCommands(step: RunbookStep, rec: StepRecord): Promise<void> {
    const outcome = await runStepBlocks(step, this.i, rec, { ...this.o, write: (t) => this.o.ui.write(t) });
    if (outcome.ok) return this.end(rec, 'done');
    const next = await this.afterFailure(step, outcome.reason);
    if (next === 'skip') this.end(rec, 'skipped', (await this.o.ui.ask('Why skip it?')) || outcome.reason);
    else if (next === 'done') this.end(rec, 'done', `marked done after: ${outcome.reason}`);
    // retry: the same step's menu again
  }

  /** Asks until the operator retries, skips or marks the step done; escalating shows whom to call. */
  private async afterFailure(step: RunbookStep, reason: string): Promise<string> {
    const { clock, journal, ui } = this.o;
    const esc = this.o.runbook.frontMatter.escalation;
    let next = '';
    while (next !== 'retry' && next !== 'skip' && next !== 'done') {
      next = await ui.choose({ header: this.header(step, this.i), body: `✖ ${reason}`, options: FAILURE_CHOICES });
      if (next === 'escalate') {
        journal.append('guide-escalated', { index: this.i }, clock.now());
        ui.write(
          `\nEscalate to: ${esc?.contact ?? 'your team lead'}\nRule: ${esc?.rule ?? 'escalate to the team lead, or postpone to business hours'}\n\n`,
        );
      }
    }
    return next;
  }
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
  return new GuidedSession(o, prior).run();
}
